"""store_db tables (SQLAlchemy Core), this center's metadata only.

Child rows of the aggregate (channel and POS bindings) are replaced when the store is saved;
UNIQUE(channel, channel_store_id) makes a channel's store id resolve to one store.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.platform.columns import NAMING_CONVENTION, Id, UtcDateTime
from zhongtai.platform.ids import id_counter_table

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

store = sa.Table(
    "store",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("tenant_id", Id, nullable=False),
    sa.Column("store_code", sa.String(32), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("city", sa.String(32)),
    sa.Column("address", sa.String(255)),
    sa.Column("phone_e164", sa.String(20)),
    sa.Column("phone_ext", sa.String(8)),
    sa.Column("phone_masked", sa.Boolean, nullable=False),
    sa.Column("phone_text", sa.String(64)),  # as written; shown verbatim on store lists
    sa.Column("lng", sa.Double),  # GCJ-02
    sa.Column("lat", sa.Double),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("business_hours", sa.JSON, nullable=False),
    sa.Column("legacy_id", Id, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.Index(None, "tenant_id", "store_code"),
    sa.Index(None, "city"),
)

store_channel_binding = sa.Table(
    "store_channel_binding",
    metadata,
    sa.Column("store_id", Id, sa.ForeignKey("store.id"), primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("channel_store_id", sa.String(32), nullable=False),
    sa.Column("external_ref", sa.String(64)),
    sa.Column("credential_ref", sa.String(255)),
    sa.UniqueConstraint("channel", "channel_store_id"),
)

store_pos_binding = sa.Table(
    "store_pos_binding",
    metadata,
    sa.Column("store_id", Id, sa.ForeignKey("store.id"), primary_key=True),
    sa.Column("pos_store_code", sa.String(32), nullable=False),
    sa.Column("pos_vendor", sa.String(32), nullable=False),
)

id_counter = id_counter_table(metadata)
