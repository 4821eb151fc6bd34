"""The strangler's tables in the state database (SQLAlchemy Core, same DDL on every engine).

Times are naive UTC (microseconds on MariaDB too). ``strangler_meta.version`` goes up with
every route change; proxies poll it to reload their table without a restart.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

metadata = sa.MetaData()

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

meta = sa.Table(
    "strangler_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

routes = sa.Table(
    "strangler_route",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),  # the resolved [[route]] table
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("percent", sa.Float),
    sa.Column("revision", sa.Integer, nullable=False),  # +1 on every stage change
    sa.Column("updated_at", UtcTime, nullable=False),
    sa.Column("updated_by", sa.String(128), nullable=False),
)

audit = sa.Table(
    "strangler_audit",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcTime, nullable=False),
    sa.Column("route", sa.String(64), nullable=False),
    sa.Column("who", sa.String(128), nullable=False),
    sa.Column("from_stage", sa.String(16)),  # NULL when the route was created
    sa.Column("from_percent", sa.Float),
    sa.Column("to_stage", sa.String(16), nullable=False),
    sa.Column("to_percent", sa.Float),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("automatic", sa.Boolean, nullable=False, default=False),
    sa.Column("figures", sa.JSON),  # gate figures behind an automatic rollback
    sa.Index("ix_strangler_audit_route", "route", "id"),
)

shadow = sa.Table(
    "strangler_shadow",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcTime, nullable=False),
    sa.Column("route", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # shadow: legacy vs platform; aa: legacy twice
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("sticky_key", sa.String(128)),
    sa.Column("legacy_status", sa.Integer),  # NULL: no answer
    sa.Column("other_status", sa.Integer),  # platform (shadow) or legacy again (aa)
    sa.Column("legacy_ms", sa.Float),
    sa.Column("other_ms", sa.Float),
    sa.Column("mismatched", sa.Boolean, nullable=False),  # differs beyond noise
    sa.Column("fields", sa.JSON, nullable=False),  # every differing field path
    sa.Column("example", sa.JSON),  # request and both answers, truncated, secrets masked
    sa.Column("instance", sa.String(128), nullable=False),
    sa.Index("ix_strangler_shadow_route_at", "route", "at"),
    sa.Index("ix_strangler_shadow_at", "at"),  # retention deletes by age
)

snapshots = sa.Table(
    "strangler_metrics",
    metadata,
    sa.Column("instance", sa.String(128), primary_key=True),  # host:pid:start of one proxy process
    sa.Column("updated_at", UtcTime, nullable=False),
    sa.Column("figures", sa.JSON, nullable=False),  # FigureBook.to_dict()
)

# The store key directory (zhongtai.strangler.storekeys): aliases replaced wholesale by each
# `zhongtai route stores refresh`, with ``strangler_meta.stores_version`` bumped so proxies
# reload them. No unique index on (kind, value): the refresh checks uniqueness itself, and
# MariaDB's default collation would call 'mt_a' and 'MT_A' the same value.
store_aliases = sa.Table(
    "strangler_store_alias",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("store_code", sa.String(64), nullable=False),
)

store_refreshes = sa.Table(
    "strangler_store_refresh",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcTime, nullable=False),
    sa.Column("who", sa.String(128), nullable=False),
    sa.Column("source", sa.String(255), nullable=False),  # the store list's URL
    sa.Column("stores", sa.Integer, nullable=False),
    sa.Column("aliases", sa.JSON, nullable=False),  # count per kind
    sa.Column("changes", sa.JSON, nullable=False),  # added, removed, moved aliases
)

# Channel order ids the proxies learned from the traffic (append-only; pruned by age).
order_aliases = sa.Table(
    "strangler_order_alias",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UtcTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("store_key", sa.String(64), nullable=False),  # what the store was bucketed by
    sa.Column("instance", sa.String(128), nullable=False),
    sa.Index("ix_strangler_order_alias_at", "at"),
)
