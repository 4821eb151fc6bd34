"""order center: initial schema.

orders, order_items, order_discounts, order_status_history, external_refs (handoffs and
reference numbers), channel_pushes (push idempotency), day_sequences (per-store daily
counter), order_outbox (events) and the id counter.

Revision ID: order_0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhongtai.platform.columns import UtcDateTime

revision = "order_0001"
down_revision = None
branch_labels = ("order",)
depends_on = None

PLATFORM_ID_BASE = 1_000_000_000_000  # frozen copy of zhongtai.platform.ids.PLATFORM_ID_BASE


def upgrade() -> None:
    op.create_table(
        "channel_pushes",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("channel_order_id", sa.String(length=40), nullable=False),
        sa.Column("push_type", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "channel", "channel_order_id", "push_type", name=op.f("pk_channel_pushes")
        ),
    )
    op.create_table(
        "day_sequences",
        sa.Column("store_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "business_day", name=op.f("pk_day_sequences")),
    )
    counter = op.create_table(
        "id_counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_counter")),
    )
    op.bulk_insert(
        counter,
        [
            {"name": "order", "next_id": PLATFORM_ID_BASE},
            {"name": "order_event", "next_id": PLATFORM_ID_BASE},
        ],
    )
    op.create_table(
        "order_outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_outbox")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("channel_order_id", sa.String(length=40), nullable=True),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("day_seq", sa.Integer(), nullable=True),
        sa.Column("pickup_code", sa.String(length=16), nullable=True),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_snapshot", sa.JSON(), nullable=False),
        sa.Column("phone_search", sa.String(length=128), nullable=True),
        sa.Column("store_snapshot", sa.JSON(), nullable=False),
        sa.Column("main_status", sa.String(length=20), nullable=False),
        sa.Column("sub_status", sa.String(length=32), nullable=True),
        sa.Column("refund_status", sa.String(length=16), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("goods_amount", sa.BigInteger(), nullable=False),
        sa.Column("package_fee", sa.BigInteger(), nullable=False),
        sa.Column("delivery_fee", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("merchant_subsidy", sa.BigInteger(), nullable=False),
        sa.Column("platform_subsidy", sa.BigInteger(), nullable=False),
        sa.Column("service_fee", sa.BigInteger(), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column("merchant_income", sa.BigInteger(), nullable=True),
        sa.Column("remark", sa.String(length=512), nullable=True),
        sa.Column("channel_ext", sa.JSON(), nullable=False),
        sa.Column("placed_at", UtcDateTime(), nullable=False),
        sa.Column("expected_at", UtcDateTime(), nullable=True),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("legacy_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "channel", "channel_order_id", name=op.f("uq_orders_channel_channel_order_id")
        ),
        sa.UniqueConstraint("legacy_id", name=op.f("uq_orders_legacy_id")),
        sa.UniqueConstraint("order_no", name=op.f("uq_orders_order_no")),
    )
    op.create_index(op.f("ix_orders_member_id_id"), "orders", ["member_id", "id"], unique=False)
    op.create_index(op.f("ix_orders_placed_at"), "orders", ["placed_at"], unique=False)
    op.create_index(
        op.f("ix_orders_store_id_main_status_id"),
        "orders",
        ["store_id", "main_status", "id"],
        unique=False,
    )
    op.create_table(
        "external_refs",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ref_no", sa.String(length=40), nullable=True),
        sa.Column("pulled_at", UtcDateTime(), nullable=True),
        sa.Column("acked_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_external_refs_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "system", name=op.f("pk_external_refs")),
    )
    op.create_index(
        op.f("ix_external_refs_system_ref_no"), "external_refs", ["system", "ref_no"], unique=False
    )
    op.create_table(
        "order_discounts",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("merchant_part", sa.BigInteger(), nullable=False),
        sa.Column("platform_part", sa.BigInteger(), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_discounts_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "seq", name=op.f("pk_order_discounts")),
    )
    op.create_table(
        "order_items",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=True),
        sa.Column("sku_code", sa.String(length=40), nullable=True),
        sa.Column("name_snapshot", sa.String(length=128), nullable=False),
        sa.Column("spec", sa.String(length=64), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("box_qty", sa.Integer(), nullable=False),
        sa.Column("box_price", sa.BigInteger(), nullable=False),
        sa.Column("parent_line_no", sa.Integer(), nullable=True),
        sa.Column("channel_item_ref", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "line_no", name=op.f("pk_order_items")),
    )
    op.create_table(
        "order_status_history",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("track", sa.String(length=8), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=True),
        sa.Column("sub_status", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_status_history_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "seq", name=op.f("pk_order_status_history")),
    )


def downgrade() -> None:
    op.drop_table("order_status_history")
    op.drop_table("order_items")
    op.drop_table("order_discounts")
    op.drop_index(op.f("ix_external_refs_system_ref_no"), table_name="external_refs")
    op.drop_table("external_refs")
    op.drop_index(op.f("ix_orders_store_id_main_status_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_placed_at"), table_name="orders")
    op.drop_index(op.f("ix_orders_member_id_id"), table_name="orders")
    op.drop_table("orders")
    op.drop_table("order_outbox")
    op.drop_table("id_counter")
    op.drop_table("day_sequences")
    op.drop_table("channel_pushes")
