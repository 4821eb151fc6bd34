"""The store key directory in the state database: aliases, refresh records, learned orders.

A refresh replaces every alias in one transaction that first bumps
``strangler_meta.stores_version`` — the row lock serialises two refreshes, and the proxies
poll that counter to reload (:mod:`.storekeys_sync`). Learned channel orders are appended by
the proxies and read back incrementally by id, with a short look-back by time because ids from
concurrent transactions can become visible out of order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa

from zhongtai.strangler import schema
from zhongtai.strangler.state import utcnow
from zhongtai.strangler.storekeys import StoreDirectory

VERSION_KEY = "stores_version"
_VERSION = sa.select(schema.meta.c.value).where(schema.meta.c.key == VERSION_KEY)
_TABLES = [schema.meta, schema.store_aliases, schema.store_refreshes, schema.order_aliases]

Learned = tuple[str, str, str]  # (kind, channel order id, store key)


class StoreKeyDB:
    """Reads and writes the directory's tables (one engine per process)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Create the tables and the version counter if missing (idempotent, race-safe)."""
        schema.metadata.create_all(self.engine, tables=_TABLES)
        with self.engine.connect() as conn:
            if conn.execute(_VERSION).first() is not None:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(schema.meta.insert().values(key=VERSION_KEY, value=0))
        except sa.exc.IntegrityError:
            pass  # another process inserted it meanwhile

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(_VERSION).scalar() or 0)

    def load_directory(self) -> StoreDirectory:
        """The aliases as stored now, with their version (read first: a refresh committing
        meanwhile only causes one more reload)."""
        with self.engine.connect() as conn:
            version = int(conn.execute(_VERSION).scalar() or 0)
            t = schema.store_aliases.c
            rows = conn.execute(sa.select(t.kind, t.value, t.store_code).order_by(t.id))
            aliases = {(kind, value): code for kind, value, code in rows}
        return StoreDirectory(aliases, version)

    def replace(
        self,
        aliases: Mapping[tuple[str, str], str],
        *,
        who: str,
        source: str,
        stores: int,
        counts: Mapping[str, int],
        changes: Mapping,
    ) -> int:
        """Put ``aliases`` in place of the stored ones and record the refresh; the new version."""
        with self.engine.begin() as conn:
            conn.execute(
                schema.meta.update()
                .where(schema.meta.c.key == VERSION_KEY)
                .values(value=schema.meta.c.value + 1)
            )
            conn.execute(schema.store_aliases.delete())
            rows = [{"kind": k, "value": v, "store_code": c} for (k, v), c in aliases.items()]
            if rows:
                conn.execute(schema.store_aliases.insert(), rows)
            conn.execute(
                schema.store_refreshes.insert().values(
                    at=utcnow(),
                    who=who[:128],
                    source=source[:255],
                    stores=stores,
                    aliases=dict(counts),
                    changes=dict(changes),
                )
            )
            return int(conn.execute(_VERSION).scalar() or 0)

    def last_refresh(self) -> dict | None:
        t = schema.store_refreshes
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        out = dict(row._mapping)
        out["at"] = row.at.isoformat(timespec="seconds") + "Z"
        return out

    # -- learned channel orders -----------------------------------------------------------------

    def add_learned(self, rows: Iterable[Learned], instance: str) -> int:
        now = utcnow()
        values = [
            {"at": now, "kind": k, "value": v, "store_key": key, "instance": instance[:128]}
            for k, v, key in rows
        ]
        if values:
            with self.engine.begin() as conn:
                conn.execute(schema.order_aliases.insert(), values)
        return len(values)

    def learned_since(
        self, last_id: int, *, look_back: timedelta, limit: int = 50_000
    ) -> tuple[list[Learned], int]:
        """Rows after ``last_id`` plus those of the last ``look_back``; and the highest id seen."""
        t = schema.order_aliases.c
        recent = utcnow() - look_back
        q = (
            sa.select(t.id, t.kind, t.value, t.store_key)
            .where(sa.or_(t.id > last_id, t.at >= recent))
            .order_by(t.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        top = max([last_id, *(r.id for r in rows)])
        return [(r.kind, r.value, r.store_key) for r in rows], top

    def load_learned(self, *, retention: timedelta, limit: int) -> tuple[list[Learned], int]:
        """The newest ``limit`` rows within ``retention``, oldest first; and the highest id."""
        t = schema.order_aliases.c
        q = (
            sa.select(t.id, t.kind, t.value, t.store_key)
            .where(t.at >= utcnow() - retention)
            .order_by(t.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()[::-1]
            top = conn.execute(sa.select(sa.func.max(t.id))).scalar() or 0
        return [(r.kind, r.value, r.store_key) for r in rows], int(top)

    def learned_count(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(schema.order_aliases)).scalar()
            )

    def prune_learned(self, older_than: timedelta) -> int:
        """Forget channel orders learned before ``older_than`` ago; returns how many."""
        cutoff: datetime = utcnow() - older_than
        with self.engine.begin() as conn:
            return conn.execute(
                schema.order_aliases.delete().where(schema.order_aliases.c.at < cutoff)
            ).rowcount
