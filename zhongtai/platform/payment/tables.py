"""payment_db tables (SQLAlchemy Core), this center's metadata only (domain.md §3.2).

``out_trade_no`` (our id at the channel) and ``transaction_id`` (the channel's) are unique, so
a resent notify can never record a second payment; ``refund_no`` is unique, so a repeated
refund request is recognised. Money is integer fen, times are UTC.
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

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("out_trade_no", sa.String(32), nullable=False),
    sa.Column("order_no", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("transaction_id", sa.String(64)),
    sa.Column("paid_at", UtcDateTime),
    sa.Column("raw_notify", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.Column("legacy_id", Id),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("out_trade_no"),
    sa.UniqueConstraint("transaction_id"),
    sa.UniqueConstraint("legacy_id"),
    sa.Index(None, "order_no"),
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("refund_no", sa.String(32), nullable=False),
    sa.Column("order_no", sa.String(32), nullable=False),
    sa.Column("payment_id", Id, sa.ForeignKey("payments.id")),
    sa.Column("amount", Money, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason_code", sa.Integer),
    sa.Column("reason", sa.String(255)),
    sa.Column("channel_refund_id", sa.String(64)),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.Column("legacy_id", Id),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("refund_no"),
    sa.UniqueConstraint("legacy_id"),
    sa.Index(None, "order_no"),
    sa.Index(None, "channel_refund_id"),
)

id_counter = id_counter_table(metadata)

ID_COLUMNS = {"payment": payments.c.id, "refund": refunds.c.id}
