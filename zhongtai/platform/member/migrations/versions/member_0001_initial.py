"""member center: initial schema (members, identities, stored value, id counter).

Revision ID: member_0001
Revises:
Create Date: 2026-12-01 02:59:56.771522
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhongtai.platform.columns import UtcDateTime

revision = "member_0001"
down_revision = None
branch_labels = ("member",)
depends_on = None

PLATFORM_ID_BASE = 1_000_000_000_000  # frozen copy of zhongtai.platform.ids.PLATFORM_ID_BASE


def upgrade() -> None:
    counter = op.create_table(
        "id_counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_counter")),
    )
    op.bulk_insert(counter, [{"name": "member", "next_id": PLATFORM_ID_BASE}])
    op.create_table(
        "member",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.Column("phone_ext", sa.String(length=8), nullable=True),
        sa.Column("phone_masked", sa.Boolean(), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("register_store_id", sa.BigInteger(), nullable=True),
        sa.Column("source_channel", sa.String(length=16), nullable=True),
        sa.Column("merged_into_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index(op.f("ix_member_phone_e164"), "member", ["phone_e164"])

    op.create_table(
        "member_identity",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_identity_member_id_member")
        ),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_member_identity")),
    )
    op.create_index(op.f("ix_member_identity_member_id"), "member_identity", ["member_id"])

    op.create_table(
        "stored_value_account",
        sa.Column("member_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_stored_value_account_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_stored_value_account")),
    )
    op.create_table(
        "stored_value_txn",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_stored_value_txn_member_id_member")
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_stored_value_txn")),
    )
    op.create_index(op.f("ix_stored_value_txn_member_id"), "stored_value_txn", ["member_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes; MariaDB refuses to drop an index a foreign key uses.
    op.drop_table("stored_value_txn")
    op.drop_table("stored_value_account")
    op.drop_table("member_identity")
    op.drop_table("member")
    op.drop_table("id_counter")
