"""The legacy monolith's one database (schema ``o2o``), as SQLAlchemy Core tables.

This is the 1.5-era takeout database with the mini-program grafted on, quirks included on
purpose (see ``shared/reference/domain.md`` §2.2/§2.4), because they are what a migration has
to cope with:

* money: ``t_order``/``t_order_item``/``t_refund`` in float yuan (DOUBLE), ``t_payment`` in
  integer fen, ``t_product.price`` DECIMAL(10,2), some channel fields (``service_fee``,
  ``income``) in fen inside an otherwise-yuan row;
* magic status ints (``status``, ``pos_sync_status``, ``pay_status``, ``refund_status``);
* local-time (Asia/Shanghai) ``VARCHAR(19)`` timestamps, ``'0000-00-00 00:00:00'`` for none,
  ``expect_time = 0`` for "as soon as possible";
* store and product names copied into orders; channel ids and tokens inlined in stores and SKUs;
* mixed phone formats; several soft-delete conventions (``is_deleted``, ``del_flag``,
  ``t_store.status = -1``).

The same DDL runs unchanged on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# BIGINT keys that still autoincrement on SQLite (which only does so for INTEGER PRIMARY KEY).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Yuan = sa.Double()  # float yuan, the legacy's money type (DOUBLE on MariaDB, not FLOAT)
LocalTime = sa.String(19)  # 'yyyy-MM-dd HH:mm:ss', Asia/Shanghai, no zone


def _id() -> sa.Column:
    return sa.Column("id", BigId, primary_key=True, autoincrement=True)


t_brand = sa.Table(
    "t_brand",
    metadata,
    _id(),
    sa.Column("brand_code", sa.String(32), nullable=False),
    sa.Column("brand_name", sa.String(64), nullable=False),
    sa.Column("status", sa.SmallInteger, nullable=False, server_default="1"),
    sa.Column("create_time", LocalTime),
)

t_store = sa.Table(
    "t_store",
    metadata,
    _id(),
    sa.Column("brand_id", sa.BigInteger, nullable=False),
    sa.Column("store_code", sa.String(16), nullable=False),  # POS/ERP store code, e.g. SH0012
    sa.Column("store_name", sa.String(64), nullable=False),
    sa.Column("city_name", sa.String(32)),
    sa.Column("address", sa.String(255)),
    sa.Column("phone", sa.String(64)),  # mixed formats
    sa.Column("lng", sa.Float),  # sometimes swapped with lat
    sa.Column("lat", sa.Float),
    sa.Column("business_hours", sa.String(64)),  # "10:00-14:00,17:00-22:00"
    sa.Column(
        "status", sa.SmallInteger, nullable=False
    ),  # 0 closed, 1 open, 2 preparing, -1 deleted
    sa.Column("mt_app_poi_code", sa.String(32)),  # Meituan app_poi_code, inlined binding
    sa.Column("ele_shop_id", sa.String(32)),  # Eleme shopId
    sa.Column("ele_open_id", sa.String(32)),  # Eleme openId (store external id)
    sa.Column("mt_token", sa.String(64)),  # secrets in a business table (a quirk)
    sa.Column("ele_token", sa.String(64)),
    sa.Column("is_deleted", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("create_time", LocalTime),
    sa.Column("update_time", sa.DateTime),
    sa.Index("ix_t_store_code", "store_code"),
    sa.Index("ix_t_store_mt", "mt_app_poi_code"),
    sa.Index("ix_t_store_ele", "ele_shop_id"),
)

t_product = sa.Table(
    "t_product",
    metadata,
    _id(),
    sa.Column("brand_id", sa.BigInteger, nullable=False),
    sa.Column("erp_code", sa.String(32), nullable=False),  # key of the ERP sync
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("category_id", sa.Integer),
    sa.Column("category_name", sa.String(32)),  # denormalised
    sa.Column("price", sa.Numeric(10, 2)),  # DECIMAL yuan
    sa.Column("pic_url", sa.String(255)),
    sa.Column("unit", sa.String(8)),
    sa.Column("status", sa.SmallInteger, nullable=False, server_default="1"),  # 1 on sale, 0 off
    sa.Column("is_deleted", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("sort", sa.Integer, server_default="0"),
    sa.Column("create_time", LocalTime),
    sa.Column("update_time", LocalTime),
    sa.Index("ix_t_product_erp", "erp_code"),
)

t_product_sku = sa.Table(
    "t_product_sku",
    metadata,
    _id(),
    sa.Column("product_id", sa.BigInteger, nullable=False),
    sa.Column("sku_code", sa.String(40), nullable=False),  # ERP code + spec, e.g. P0012-L
    sa.Column("spec_name", sa.String(32)),  # 大份 / 小份
    sa.Column("price", Yuan, nullable=False),  # DOUBLE yuan
    sa.Column("box_num", sa.Integer, server_default="0"),
    sa.Column("box_price", Yuan, server_default="0"),
    sa.Column("mt_app_food_code", sa.String(40)),  # channel mapping inlined
    sa.Column("mt_sku_id", sa.String(40)),
    sa.Column("ele_item_id", sa.String(40)),
    sa.Column("ele_sku_id", sa.String(40)),
    sa.Column("is_deleted", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Index("ix_t_sku_product", "product_id"),
    sa.Index("ix_t_sku_code", "sku_code"),
    sa.Index("ix_t_sku_mt", "mt_app_food_code"),
    sa.Index("ix_t_sku_ele", "ele_item_id"),
)

t_store_product = sa.Table(
    "t_store_product",
    metadata,
    _id(),
    sa.Column("store_id", sa.BigInteger, nullable=False),
    sa.Column("sku_id", sa.BigInteger, nullable=False),
    sa.Column("price", Yuan),  # store override; NULL = the SKU price
    sa.Column("sold_out", sa.SmallInteger, nullable=False, server_default="0"),  # 沽清
    sa.Column("stock", sa.Integer),
    sa.Column("update_time", LocalTime),
    sa.UniqueConstraint("store_id", "sku_id", name="uq_t_store_product"),
)

t_member = sa.Table(
    "t_member",
    metadata,
    _id(),
    sa.Column("openid", sa.String(64)),
    sa.Column("unionid", sa.String(64)),
    sa.Column("mobile", sa.String(32)),  # mixed formats
    sa.Column("nickname", sa.String(64)),  # emoji sometimes lost as ????
    sa.Column("gender", sa.SmallInteger, server_default="0"),  # 0 unknown, 1 male, 2 female
    sa.Column("birthday", sa.String(19)),  # VARCHAR, several formats
    sa.Column("level", sa.SmallInteger, server_default="1"),
    sa.Column("points", sa.Integer, server_default="0"),
    sa.Column("balance", Yuan, server_default="0"),  # stored value, float yuan
    sa.Column("source_channel", sa.SmallInteger),  # 3 mini-program, 4 app
    sa.Column("register_store_id", sa.BigInteger),
    sa.Column("is_deleted", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("create_time", LocalTime),
    sa.Index("ix_t_member_openid", "openid"),
    sa.Index("ix_t_member_mobile", "mobile"),
)

t_order = sa.Table(
    "t_order",
    metadata,
    _id(),
    sa.Column("order_no", sa.String(32), nullable=False),  # embeds the store code
    sa.Column("channel", sa.SmallInteger, nullable=False),  # 1 MT, 2 ELE, 3 mini, 4 app, 5 baidu
    sa.Column("channel_order_id", sa.String(32)),  # > 2^53, VARCHAR here
    sa.Column("day_seq", sa.Integer),
    sa.Column("store_id", sa.BigInteger, nullable=False),
    sa.Column("store_code", sa.String(16)),  # copied at order time
    sa.Column("store_name", sa.String(64)),  # copied at order time, stale after renames
    sa.Column("member_id", sa.BigInteger),
    sa.Column("platform_user_id", sa.String(32)),
    sa.Column("recipient_name", sa.String(64)),
    sa.Column("recipient_phone", sa.String(64)),  # privacy numbers, comma-joined lists
    sa.Column("recipient_address", sa.String(255)),
    sa.Column("lng", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("order_type", sa.SmallInteger, nullable=False),  # 1 delivery, 2 pickup, 3 dine-in
    sa.Column("status", sa.SmallInteger, nullable=False),  # magic ints, see legacy.status
    sa.Column("channel_status", sa.String(16)),  # raw platform status or last push type
    sa.Column("pay_status", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("refund_status", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("original_amount", Yuan),
    sa.Column("total_amount", Yuan),  # what the user paid, float yuan
    sa.Column("shipping_fee", Yuan),
    sa.Column("package_fee", Yuan),
    sa.Column("discount_amount", Yuan),
    sa.Column("merchant_subsidy", Yuan),
    sa.Column("platform_subsidy", Yuan),
    sa.Column("hongbao", Yuan),
    sa.Column("service_fee", sa.Integer),  # fen (!) inside a yuan row
    sa.Column("income", sa.Integer),  # fen (!)
    sa.Column("pay_type", sa.SmallInteger),  # 1 cash on delivery, 2 online
    sa.Column("remark", sa.String(255)),
    sa.Column("invoice_title", sa.String(128)),
    sa.Column("is_book", sa.SmallInteger, server_default="0"),
    sa.Column("expect_time", sa.BigInteger, server_default="0"),  # unix seconds, 0 = ASAP
    sa.Column("order_time", LocalTime),
    sa.Column("pickup_code", sa.String(8)),  # mini-program fields crammed in (1.5)
    sa.Column("table_no", sa.String(8)),
    sa.Column("dine_people", sa.SmallInteger),
    sa.Column("pos_sync_status", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("pos_pull_time", LocalTime),
    sa.Column("pos_ack_time", LocalTime),
    sa.Column("pos_ticket_no", sa.String(32)),
    sa.Column("pos_retry", sa.SmallInteger, server_default="0"),
    sa.Column("pos_error", sa.String(255)),
    sa.Column("ext_json", sa.Text),  # raw platform payload, sometimes URL-encoded
    sa.Column("del_flag", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("create_time", LocalTime),
    sa.Column("update_time", LocalTime),
    sa.UniqueConstraint("order_no", name="uq_t_order_no"),
    # Not unique: historical re-pushes left duplicate rows before t_push_log existed.
    sa.Index("ix_t_order_channel_id", "channel", "channel_order_id"),
    sa.Index("ix_t_order_pos", "store_id", "pos_sync_status", "status"),
    sa.Index("ix_t_order_member", "member_id"),
    sa.Index("ix_t_order_time", "order_time"),
)

t_order_item = sa.Table(
    "t_order_item",
    metadata,
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("sku_id", sa.BigInteger),  # NULL when the channel code could not be mapped
    sa.Column("erp_code", sa.String(40)),
    sa.Column("channel_food_code", sa.String(40)),
    sa.Column("channel_sku_id", sa.String(40)),
    sa.Column("channel_item_id", sa.String(40)),
    sa.Column("name", sa.String(64)),  # denormalised
    sa.Column("spec", sa.String(32)),
    sa.Column("property", sa.String(64)),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price", Yuan, nullable=False),
    sa.Column("food_discount", sa.Float, server_default="1"),
    sa.Column("box_num", sa.Integer, server_default="0"),
    sa.Column("box_price", Yuan, server_default="0"),
    sa.Column("total", Yuan),
    sa.Column("cart_id", sa.SmallInteger, server_default="0"),
    sa.Column("is_gift", sa.SmallInteger, server_default="0"),
    sa.Index("ix_t_order_item_order", "order_id"),
)

t_order_activity = sa.Table(
    "t_order_activity",
    metadata,
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("act_type", sa.String(16)),
    sa.Column("act_name", sa.String(64)),
    sa.Column("amount", Yuan),
    sa.Column("merchant_part", Yuan),
    sa.Column("platform_part", Yuan),
    sa.Index("ix_t_order_activity_order", "order_id"),
)

t_order_status_log = sa.Table(
    "t_order_status_log",
    metadata,
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("from_status", sa.SmallInteger),
    sa.Column("to_status", sa.SmallInteger, nullable=False),
    sa.Column("source", sa.String(16)),  # MT_PUSH, ELE_PUSH, POS, ADMIN, MP
    sa.Column("push_type", sa.String(16)),
    sa.Column("operator", sa.String(32)),
    sa.Column("remark", sa.String(255)),
    sa.Column("create_time", LocalTime),
    sa.Index("ix_t_order_status_log_order", "order_id"),
)

t_payment = sa.Table(
    "t_payment",
    metadata,
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("order_no", sa.String(32), nullable=False),
    sa.Column("pay_channel", sa.String(16), nullable=False),  # WX_JSAPI, ALIPAY, BALANCE
    sa.Column("out_trade_no", sa.String(32), nullable=False),
    sa.Column("transaction_id", sa.String(32)),
    sa.Column("total_fee", sa.Integer, nullable=False),  # fen (!), while t_order is in yuan
    sa.Column("status", sa.SmallInteger, nullable=False),  # 0 pending, 1 paid, 2 failed, 3 closed
    sa.Column("time_end", sa.String(14)),  # yyyyMMddHHmmss, GMT+8
    sa.Column("notify_raw", sa.Text),
    sa.Column("create_time", LocalTime),
    sa.UniqueConstraint("out_trade_no", name="uq_t_payment_out_trade_no"),
    sa.Index("ix_t_payment_order", "order_id"),
)

t_refund = sa.Table(
    "t_refund",
    metadata,
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("refund_no", sa.String(32), nullable=False),
    sa.Column("channel_refund_id", sa.String(40)),
    sa.Column("type", sa.SmallInteger, nullable=False),  # 1 whole, 2 partial
    sa.Column("source", sa.String(16)),  # user, merchant, platform
    sa.Column("amount", Yuan, nullable=False),
    sa.Column("reason_code", sa.Integer),
    sa.Column("reason", sa.String(255)),
    sa.Column("status", sa.SmallInteger, nullable=False),  # see legacy.status.RefundStatus
    sa.Column("apply_time", LocalTime),
    sa.Column("finish_time", LocalTime),
    sa.UniqueConstraint("refund_no", name="uq_t_refund_no"),
    sa.Index("ix_t_refund_order", "order_id"),
)

# Idempotency of channel pushes: (channel, channel order id, push type). Added after the
# duplicate-row incidents, so older t_order rows may still be duplicated.
t_push_log = sa.Table(
    "t_push_log",
    metadata,
    _id(),
    sa.Column("channel", sa.SmallInteger, nullable=False),
    sa.Column("channel_order_id", sa.String(32), nullable=False),
    sa.Column("push_type", sa.String(16), nullable=False),
    sa.Column("order_id", sa.BigInteger),
    sa.Column("create_time", LocalTime),
    sa.UniqueConstraint("channel", "channel_order_id", "push_type", name="uq_t_push_log"),
)

t_pull_cursor = sa.Table(
    "t_pull_cursor",
    metadata,
    _id(),
    sa.Column("channel", sa.SmallInteger, nullable=False),
    sa.Column("store_id", sa.BigInteger, nullable=False),
    sa.Column("last_pull_time", LocalTime),
    sa.Column("last_order_id", sa.String(32)),
    sa.Column("update_time", LocalTime),
    sa.UniqueConstraint("channel", "store_id", name="uq_t_pull_cursor"),
)

t_erp_sync_log = sa.Table(
    "t_erp_sync_log",
    metadata,
    _id(),
    sa.Column("batch_no", sa.String(32)),
    sa.Column("erp_code", sa.String(32), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # INSERT / UPDATE
    sa.Column("payload", sa.Text),
    sa.Column("result", sa.String(16)),
    sa.Column("create_time", LocalTime),
)

# Per-store daily counter behind day_seq and the order number's serial.
t_day_seq = sa.Table(
    "t_day_seq",
    metadata,
    sa.Column("store_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("biz_date", sa.String(8), primary_key=True),  # yyyyMMdd, local
    sa.Column("seq", sa.Integer, nullable=False),
)


def create_schema(engine: sa.Engine) -> None:
    """Create every legacy table that does not exist yet (the legacy app's own DDL)."""
    metadata.create_all(engine)


def drop_schema(engine: sa.Engine) -> None:
    metadata.drop_all(engine)
