"""store center: initial schema (store, channel and POS bindings, id counter).

Revision ID: store_0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhongtai.platform.columns import UtcDateTime

revision = "store_0001"
down_revision = None
branch_labels = ("store",)
depends_on = None

PLATFORM_ID_BASE = 1_000_000_000_000  # frozen copy of zhongtai.platform.ids.PLATFORM_ID_BASE


def upgrade() -> None:
    counter = op.create_table(
        "id_counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_counter")),
    )
    op.bulk_insert(counter, [{"name": "store", "next_id": PLATFORM_ID_BASE}])
    op.create_table(
        "store",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("store_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.Column("phone_ext", sa.String(length=8), nullable=True),
        sa.Column("phone_masked", sa.Boolean(), nullable=False),
        sa.Column("lng", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("business_hours", sa.JSON(), nullable=False),
        sa.Column("legacy_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store")),
        sa.UniqueConstraint("legacy_id", name=op.f("uq_store_legacy_id")),
    )
    op.create_index(op.f("ix_store_city"), "store", ["city"])
    op.create_index(op.f("ix_store_tenant_id_store_code"), "store", ["tenant_id", "store_code"])
    op.create_table(
        "store_channel_binding",
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("channel_store_id", sa.String(length=32), nullable=False),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("credential_ref", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_store_channel_binding_store_id_store")
        ),
        sa.PrimaryKeyConstraint("store_id", "channel", name=op.f("pk_store_channel_binding")),
        sa.UniqueConstraint(
            "channel",
            "channel_store_id",
            name=op.f("uq_store_channel_binding_channel_channel_store_id"),
        ),
    )
    op.create_table(
        "store_pos_binding",
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("pos_store_code", sa.String(length=32), nullable=False),
        sa.Column("pos_vendor", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_store_pos_binding_store_id_store")
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_pos_binding")),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; MariaDB refuses to drop an index a foreign key uses.
    op.drop_table("store_pos_binding")
    op.drop_table("store_channel_binding")
    op.drop_table("store")
    op.drop_table("id_counter")
