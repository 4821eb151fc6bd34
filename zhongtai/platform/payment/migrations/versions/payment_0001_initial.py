"""payment center: initial schema (payments, refunds, id counter).

Revision ID: payment_0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhongtai.platform.columns import UtcDateTime

revision = "payment_0001"
down_revision = None
branch_labels = ("payment",)
depends_on = None

PLATFORM_ID_BASE = 1_000_000_000_000  # frozen copy of zhongtai.platform.ids.PLATFORM_ID_BASE


def upgrade() -> None:
    counter = op.create_table(
        "id_counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_counter")),
    )
    op.bulk_insert(
        counter,
        [
            {"name": "payment", "next_id": PLATFORM_ID_BASE},
            {"name": "refund", "next_id": PLATFORM_ID_BASE},
        ],
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("out_trade_no", sa.String(length=32), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("raw_notify", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("legacy_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("legacy_id", name=op.f("uq_payments_legacy_id")),
        sa.UniqueConstraint("out_trade_no", name=op.f("uq_payments_out_trade_no")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_payments_transaction_id")),
    )
    op.create_index(op.f("ix_payments_order_no"), "payments", ["order_no"], unique=False)
    op.create_table(
        "refunds",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("refund_no", sa.String(length=32), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("channel_refund_id", sa.String(length=64), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("legacy_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("legacy_id", name=op.f("uq_refunds_legacy_id")),
        sa.UniqueConstraint("refund_no", name=op.f("uq_refunds_refund_no")),
    )
    op.create_index(
        op.f("ix_refunds_channel_refund_id"), "refunds", ["channel_refund_id"], unique=False
    )
    op.create_index(op.f("ix_refunds_order_no"), "refunds", ["order_no"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_refunds_order_no"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_channel_refund_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_payments_order_no"), table_name="payments")
    op.drop_table("payments")
    op.drop_table("id_counter")
