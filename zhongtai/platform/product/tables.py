"""product_db tables (SQLAlchemy Core), this center's metadata only."""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.platform.columns import NAMING_CONVENTION, Id, Money, UtcDateTime
from zhongtai.platform.ids import id_counter_table

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

category = sa.Table(
    "category",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
)

spu = sa.Table(
    "spu",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("tenant_id", Id, nullable=False),
    sa.Column("erp_code", sa.String(32), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("category_id", Id, sa.ForeignKey("category.id")),
    sa.Column("category_name", sa.String(32)),  # as imported with the product (legacy contract)
    sa.Column("unit", sa.String(8)),
    sa.Column("pic_url", sa.String(255)),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("last_batch_id", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.UniqueConstraint("tenant_id", "erp_code"),
)

sku = sa.Table(
    "sku",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("spu_id", Id, sa.ForeignKey("spu.id"), nullable=False),
    sa.Column("sku_code", sa.String(40), nullable=False),
    sa.Column("spec", sa.String(32)),
    sa.Column("list_price", Money, nullable=False),
    sa.Column("box_qty", sa.Integer, nullable=False),
    sa.Column("box_price", Money, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.UniqueConstraint("sku_code"),
    sa.Index(None, "spu_id"),
)

channel_sku_mapping = sa.Table(
    "channel_sku_mapping",
    metadata,
    # channel|store or *|food code|channel sku id or *: NULL-free, so UNIQUE works everywhere
    sa.Column("mapping_key", sa.String(200), primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("store_id", Id),
    sa.Column("channel_food_code", sa.String(64), nullable=False),
    sa.Column("channel_sku_id", sa.String(64)),
    sa.Column("sku_id", Id, sa.ForeignKey("sku.id"), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(None, "channel", "channel_food_code"),
    sa.Index(None, "sku_id"),
)

store_sku_price = sa.Table(
    "store_sku_price",
    metadata,
    sa.Column("store_id", Id, primary_key=True, autoincrement=False),
    sa.Column("sku_id", Id, sa.ForeignKey("sku.id"), primary_key=True, autoincrement=False),
    sa.Column("price", Money),  # NULL = the SKU's list price
    sa.Column("on_sale", sa.Boolean, nullable=False),
    sa.Column("sold_out", sa.Boolean, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

erp_sync_batch = sa.Table(
    "erp_sync_batch",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("item_count", sa.Integer, nullable=False),
    sa.Column("results", sa.JSON, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

id_counter = id_counter_table(metadata)
