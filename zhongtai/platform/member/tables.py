"""member_db tables (SQLAlchemy Core), this center's metadata only.

``member_identity``'s primary key is ``(kind, value)``: an identity belongs to one member.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.platform.columns import NAMING_CONVENTION, Id, Money, UtcDateTime
from zhongtai.platform.ids import id_counter_table

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

member = sa.Table(
    "member",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("tenant_id", Id, nullable=False),
    sa.Column("name", sa.String(64)),
    sa.Column("phone_e164", sa.String(20)),
    sa.Column("phone_ext", sa.String(8)),
    sa.Column("phone_masked", sa.Boolean, nullable=False),
    sa.Column("gender", sa.String(8), nullable=False),
    sa.Column("birthday", sa.Date),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("register_store_id", Id),
    sa.Column("source_channel", sa.String(16)),
    sa.Column("merged_into_id", Id),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.Index(None, "phone_e164"),
)

member_identity = sa.Table(
    "member_identity",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(128), primary_key=True),
    sa.Column("member_id", Id, sa.ForeignKey("member.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index(None, "member_id"),
)

stored_value_account = sa.Table(
    "stored_value_account",
    metadata,
    sa.Column("member_id", Id, sa.ForeignKey("member.id"), primary_key=True, autoincrement=False),
    sa.Column("balance", Money, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

stored_value_txn = sa.Table(
    "stored_value_txn",
    metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),  # the caller's idempotency key
    sa.Column("member_id", Id, sa.ForeignKey("member.id"), nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("balance_after", Money, nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index(None, "member_id"),
)

id_counter = id_counter_table(metadata)
