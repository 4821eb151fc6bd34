"""product center: initial schema (categories, SPU/SKU, channel mappings, store prices,
ERP batches, id counter).

Revision ID: product_0001
Revises:
Create Date: 2026-12-01 02:57:26.047241
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhongtai.platform.columns import UtcDateTime

revision = "product_0001"
down_revision = None
branch_labels = ("product",)
depends_on = None

PLATFORM_ID_BASE = 1_000_000_000_000  # frozen copy of zhongtai.platform.ids.PLATFORM_ID_BASE


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
    )
    op.create_table(
        "erp_sync_batch",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_erp_sync_batch")),
    )
    counter = op.create_table(
        "id_counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_counter")),
    )
    op.bulk_insert(
        counter,
        [{"name": kind, "next_id": PLATFORM_ID_BASE} for kind in ("category", "spu", "sku")],
    )
    op.create_table(
        "spu",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("erp_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.String(length=8), nullable=True),
        sa.Column("pic_url", sa.String(length=255), nullable=True),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_batch_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_spu_category_id_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spu")),
        sa.UniqueConstraint("tenant_id", "erp_code", name=op.f("uq_spu_tenant_id_erp_code")),
    )
    op.create_table(
        "sku",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("spu_id", sa.BigInteger(), nullable=False),
        sa.Column("sku_code", sa.String(length=40), nullable=False),
        sa.Column("spec", sa.String(length=32), nullable=True),
        sa.Column("list_price", sa.BigInteger(), nullable=False),
        sa.Column("box_qty", sa.Integer(), nullable=False),
        sa.Column("box_price", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["spu_id"], ["spu.id"], name=op.f("fk_sku_spu_id_spu")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku")),
        sa.UniqueConstraint("sku_code", name=op.f("uq_sku_sku_code")),
    )
    op.create_index(op.f("ix_sku_spu_id"), "sku", ["spu_id"])

    op.create_table(
        "channel_sku_mapping",
        sa.Column("mapping_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_food_code", sa.String(length=64), nullable=False),
        sa.Column("channel_sku_id", sa.String(length=64), nullable=True),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["sku.id"], name=op.f("fk_channel_sku_mapping_sku_id_sku")
        ),
        sa.PrimaryKeyConstraint("mapping_key", name=op.f("pk_channel_sku_mapping")),
    )
    op.create_index(
        op.f("ix_channel_sku_mapping_channel_channel_food_code"),
        "channel_sku_mapping",
        ["channel", "channel_food_code"],
    )
    op.create_index(op.f("ix_channel_sku_mapping_sku_id"), "channel_sku_mapping", ["sku_id"])

    op.create_table(
        "store_sku_price",
        sa.Column("store_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sku_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("on_sale", sa.Boolean(), nullable=False),
        sa.Column("sold_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sku_id"], ["sku.id"], name=op.f("fk_store_sku_price_sku_id_sku")),
        sa.PrimaryKeyConstraint("store_id", "sku_id", name=op.f("pk_store_sku_price")),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; MariaDB refuses to drop an index a foreign key uses.
    op.drop_table("store_sku_price")
    op.drop_table("channel_sku_mapping")
    op.drop_table("sku")
    op.drop_table("spu")
    op.drop_table("id_counter")
    op.drop_table("erp_sync_batch")
    op.drop_table("category")
