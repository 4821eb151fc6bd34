"""order_db tables (SQLAlchemy Core), this center's metadata only (domain.md §3.2).

* ``orders``: the header; ``order_no`` and ``legacy_id`` keep the legacy identity,
  UNIQUE(channel, channel_order_id) stops a re-pushed takeout order from being recorded twice;
  ``phone_search`` is the recipient phone with formatting characters removed, for searches.
* ``order_items``, ``order_discounts``: written once at creation, keyed by (order, line).
* ``order_status_history``: one row per move on the main, sub or refund track.
* ``external_refs``: the handoff to a back-office system and its reference number (see
  ``handoff.py`` for why the POS pull/ack state lives here).
* ``channel_pushes``: idempotency of inbound channel pushes on (channel, channel order id,
  push type).
* ``day_sequences``: the per-store business-day counter behind day sequences and order numbers.
* ``order_outbox``: fat creation and thin change events, in commit order of their ids.
* ``pull_cursors``: where the last compensation pull of a channel and store stopped
  (``cursors.py``).
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.platform.columns import Id, Money, UtcDateTime
from zhongtai.platform.ids import id_counter_table

# Every constraint and index gets a predictable name, so migrations can address it by name.
metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("order_no", sa.String(32), nullable=False),
    sa.Column("tenant_id", Id, nullable=False),
    sa.Column("store_id", Id, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("channel_order_id", sa.String(40)),
    sa.Column("order_type", sa.String(16), nullable=False),
    sa.Column("day_seq", sa.Integer),
    sa.Column("pickup_code", sa.String(16)),
    sa.Column("member_id", Id),
    sa.Column("customer_snapshot", sa.JSON, nullable=False),
    sa.Column("phone_search", sa.String(128)),
    sa.Column("store_snapshot", sa.JSON, nullable=False),
    sa.Column("main_status", sa.String(20), nullable=False),
    sa.Column("sub_status", sa.String(32)),
    sa.Column("refund_status", sa.String(16), nullable=False),
    sa.Column("refunded_amount", Money, nullable=False),
    sa.Column("goods_amount", Money, nullable=False),
    sa.Column("package_fee", Money, nullable=False),
    sa.Column("delivery_fee", Money, nullable=False),
    sa.Column("discount_amount", Money, nullable=False),
    sa.Column("merchant_subsidy", Money, nullable=False),
    sa.Column("platform_subsidy", Money, nullable=False),
    sa.Column("service_fee", Money, nullable=False),
    sa.Column("paid_amount", Money, nullable=False),
    sa.Column("merchant_income", Money),
    sa.Column("remark", sa.String(512)),
    sa.Column("channel_ext", sa.JSON, nullable=False),
    sa.Column("placed_at", UtcDateTime, nullable=False),
    sa.Column("expected_at", UtcDateTime),
    sa.Column("paid_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.Column("legacy_id", Id),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("order_no"),
    sa.UniqueConstraint("legacy_id"),
    sa.UniqueConstraint("channel", "channel_order_id"),
    sa.Index(None, "store_id", "main_status", "id"),
    sa.Index(None, "member_id", "id"),
    sa.Index(None, "placed_at"),
)

order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sku_id", Id),
    sa.Column("sku_code", sa.String(40)),
    sa.Column("name_snapshot", sa.String(128), nullable=False),
    sa.Column("spec", sa.String(64)),
    sa.Column("properties", sa.JSON, nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
    sa.Column("unit_price", Money, nullable=False),
    sa.Column("line_total", Money, nullable=False),
    sa.Column("box_qty", sa.Integer, nullable=False),
    sa.Column("box_price", Money, nullable=False),
    sa.Column("parent_line_no", sa.Integer),
    sa.Column("channel_item_ref", sa.String(64)),
)

order_discounts = sa.Table(
    "order_discounts",
    metadata,
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128)),
    sa.Column("amount", Money, nullable=False),
    sa.Column("merchant_part", Money, nullable=False),
    sa.Column("platform_part", Money, nullable=False),
    sa.Column("source_ref", sa.String(64)),
)

order_status_history = sa.Table(
    "order_status_history",
    metadata,
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("track", sa.String(8), nullable=False),
    sa.Column("from_status", sa.String(32)),
    sa.Column("to_status", sa.String(32)),
    sa.Column("sub_status", sa.String(32)),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(255)),
    sa.Column("amount", Money),
    sa.Column("at", UtcDateTime, nullable=False),
)

external_refs = sa.Table(
    "external_refs",
    metadata,
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("system", sa.String(16), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("ref_no", sa.String(40)),
    sa.Column("pulled_at", UtcDateTime),
    sa.Column("acked_at", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.String(255)),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(None, "system", "ref_no"),
)

channel_pushes = sa.Table(
    "channel_pushes",
    metadata,
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("channel_order_id", sa.String(40), primary_key=True),
    sa.Column("push_type", sa.String(40), primary_key=True),
    # An orders.id without a foreign key; ``refers_to`` tells comparisons which table's ids
    # it holds (zhongtai.compare.idmap), no constraint in the database.
    sa.Column("order_id", Id, nullable=False, info={"refers_to": "orders"}),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

day_sequences = sa.Table(
    "day_sequences",
    metadata,
    sa.Column("store_id", Id, primary_key=True, autoincrement=False),
    sa.Column("business_day", sa.Date, primary_key=True),
    sa.Column("last_value", sa.Integer, nullable=False),
)

pull_cursors = sa.Table(
    "pull_cursors",
    metadata,
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("store_id", Id, primary_key=True, autoincrement=False),
    sa.Column("cursor", sa.String(255)),
    sa.Column("pulled_at", UtcDateTime, nullable=False),
)

order_outbox = sa.Table(
    "order_outbox",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("order_no", sa.String(32), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

id_counter = id_counter_table(metadata)

ID_COLUMNS = {"order": orders.c.id, "order_event": order_outbox.c.id}
