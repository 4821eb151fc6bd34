"""``zhongtai migrate sync --reverse``: platform writes back to legacy.

Reverse capture (``zhongtai migrate capture install --reverse``) puts the change log on the
order and payment center databases. One batch, per center: read the lowest changes, skip
those a syncer wrote (``forward`` rows are legacy's own data arriving, ``reverse`` rows our
own bookkeeping), re-read the current center rows by owner key, run the mapping's inverse and
write legacy in a transaction marked ``reverse`` (:mod:`.reverse_apply`), so the forward
syncer skips what it causes. A row born on the platform gets a legacy id of legacy's choosing,
which is written to the center row's ``legacy_id``. A payment or refund whose order is not in
legacy yet waits (deferred) and is retried on every batch.

**Every change the platform itself committed goes back**, whatever the routes say when it is
applied. The centers commit nothing for a shadowed request (a dry run, rolled back) and
forward sync's writes are marked ``forward``, so a change of any other origin is a write the
platform accepted from a client: it was made while that client's traffic was on the
platform, and legacy must have it. Judging scope at apply time instead lost the writes of a
store rolled back in the second before reverse sync got to them (and the proxies follow a
route change a moment after its audit record, so judging by the audited history would too).
The routes still say which stores the proxy sends to the platform now (:mod:`.scope`): rows
written back for a store no longer there are counted (``out_of_scope``) and logged — late
writes of a rollback. An order legacy changed meanwhile (its version already at the platform's)
is not overwritten: a ``conflict``, counted and logged, legacy's write stands (see
:mod:`.reverse_apply`). An order goes back with the channel pushes the platform took for it
(legacy's ``t_push_log``), so a channel re-pushing it to legacy after a rollback is answered
as a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping as MappingABC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhongtai.config import Settings
from zhongtai.db import open_state_engine
from zhongtai.legacy.schema import t_order, t_store
from zhongtai.migrate import agreed, changelog, origin, syncstate
from zhongtai.migrate.capture import owned_specs, require_installed
from zhongtai.migrate.changelog import Backlog
from zhongtai.migrate.mapping import Mapped, Mapping
from zhongtai.migrate.preflight import open_engine
from zhongtai.migrate.reverse_apply import WriteBack, carry_pushes, delete_back, write_back
from zhongtai.migrate.reverse_specs import SPECS, reverse_mappings
from zhongtai.migrate.scope import Scope, StoreKeys, store_code_in
from zhongtai.migrate.syncloop import BatchOutcome
from zhongtai.migrate.times import TransformError
from zhongtai.platform.ids import PLATFORM_ID_BASE
from zhongtai.platform.order import tables as order_tables
from zhongtai.strangler import schema as strangler_schema
from zhongtai.strangler.state import StateStore

logger = logging.getLogger(__name__)

DIRECTION = "reverse"
WAITING = "order not in legacy yet"


class Stores:
    """Legacy stores by id and by code (read once per batch: stores are few)."""

    def __init__(self, conn: Connection) -> None:
        s = t_store.c
        rows = conn.execute(sa.select(s.id, s.store_code, s.mt_app_poi_code, s.ele_shop_id))
        keys = [StoreKeys(int(r[0]), r[1], r[2], r[3]) for r in rows]
        self.by_id = {k.id: k for k in keys}
        self.by_code = {k.code: k for k in keys}

    def of(self, conn: Connection, row: MappingABC[str, Any]) -> StoreKeys | None:
        if row.get("store_id") in self.by_id:
            return self.by_id[row["store_id"]]
        code = store_code_in(row.get("order_no"))
        if code in self.by_code:
            return self.by_code[code]
        store_id = None
        if row.get("order_no"):
            query = sa.select(t_order.c.store_id).where(t_order.c.order_no == row["order_no"])
            store_id = conn.execute(query).scalar()
        elif row.get("order_id") is not None:
            query = sa.select(t_order.c.store_id).where(t_order.c.id == row["order_id"])
            store_id = conn.execute(query).scalar()
        return self.by_id.get(store_id)


def load_scope(state: Engine) -> Scope:
    """The scope as the route table in the state database says now (no routes: none)."""
    if not sa.inspect(state).has_table(strangler_schema.routes.name):
        return Scope([])
    return Scope(StateStore(state).load_table().routes)


def read_center_rows(conn: Connection, mapping: Mapping, keys: list[int]) -> dict[int, Mapped]:
    """Owner key → the mapping's owned center rows (by table) as they are now, each table's
    rows in key order (an order's items by line number: legacy numbers them by row id, so
    they must be written back in that order; a database hands rows out in any order)."""
    found: dict[int, Mapped] = {}
    for target in mapping.targets:
        if not target.owner:
            continue
        table = target.table
        query = (
            sa.select(table)
            .where(table.c[target.owner].in_(keys))
            .order_by(*(table.c[k] for k in target.key))
        )
        for row in conn.execute(query).mappings():
            found.setdefault(row[target.owner], {}).setdefault(target.name, []).append(dict(row))
    main = mapping.targets[0].name
    return {k: v for k, v in found.items() if v.get(main)}


def read_pushes(conn: Connection, order_ids: list[int]) -> dict[int, list[dict]]:
    """Center order id → its ``channel_pushes`` rows (the channel pushes the platform took)."""
    table = order_tables.channel_pushes
    found: dict[int, list[dict]] = {}
    query = (
        sa.select(table).where(table.c.order_id.in_(order_ids)).order_by(*table.primary_key.columns)
    )
    for row in conn.execute(query).mappings():
        found.setdefault(row["order_id"], []).append(dict(row))
    return found


class ReverseSyncer:
    """Applies the centers' change logs to legacy, one batch per :meth:`step`."""

    direction = DIRECTION

    def __init__(self, settings: Settings, *, batch: int = 200) -> None:
        self.batch = batch
        self.mappings = reverse_mappings()
        self.by_table: dict[str, dict[str, Mapping]] = {}
        for m in self.mappings:
            for spec in owned_specs([m]):
                self.by_table.setdefault(m.center, {})[spec.table] = m
        opened: list[Engine] = []
        try:
            self.legacy = open_engine(
                "legacy", settings.database("legacy"), must_exist=True, hint_key="legacy"
            )
            opened.append(self.legacy)
            self.centers: dict[str, Engine] = {}
            for center in self.by_table:
                engine = open_engine(
                    center, settings.database(center), must_exist=True, hint_key="center"
                )
                opened.append(engine)
                self.centers[center] = engine
                specs = owned_specs([m for m in self.mappings if m.center == center])
                require_installed(engine, specs, center)
            self.state = open_state_engine(settings)
            opened.append(self.state)
            syncstate.ensure_state(self.state)
        except BaseException:
            for engine in opened:
                engine.dispose()
            raise

    def close(self) -> None:
        for engine in (self.legacy, self.state, *self.centers.values()):
            engine.dispose()

    def backlog(self) -> Backlog:
        parts: dict[str, Backlog] = {}
        for center, engine in self.centers.items():
            with engine.connect() as conn:
                for table, b in changelog.backlog_by_table(conn).items():
                    parts[f"{center}.{table}"] = b
        return changelog.total_backlog(parts)

    def step(self) -> BatchOutcome:
        out = BatchOutcome()
        scope = load_scope(self.state)
        with self.legacy.connect() as conn:
            stores = Stores(conn)
        for center, engine in self.centers.items():
            self._center(center, engine, scope, stores, out)
        return out

    def _center(self, center: str, engine: Engine, scope: Scope, stores: Stores, out) -> None:
        tables = self.by_table[center]
        mappings = [m for m in self.mappings if m.center == center]
        with self.state.connect() as conn:
            cursor = syncstate.load_cursor(conn, DIRECTION, center)
            waiting = {
                m.name: set(syncstate.deferred_keys(conn, DIRECTION, m.name, self.batch))
                for m in mappings
            }
        with engine.connect() as conn:
            changes = changelog.read_changes(conn, self.batch)
            conn.rollback()
        keys: dict[str, set[int]] = {m.name: set(waiting[m.name]) for m in mappings}
        twins: dict[str, dict[int, int]] = {m.name: {} for m in mappings}  # key → legacy_id
        echoes = 0
        for change in changes:
            if change.table in tables and change.ref is not None:
                mapping = tables[change.table]
                if change.table == mapping.targets[0].name:
                    twins[mapping.name][change.key] = change.ref
            if not origin.applies(change.origin):
                echoes += 1
            elif change.table in tables:
                keys[tables[change.table].name].add(change.key)
        results: dict[str, dict[int, WriteBack]] = {}
        for mapping in mappings:
            if keys[mapping.name]:
                results[mapping.name] = self._apply(engine, mapping, keys[mapping.name], scope,
                                                    stores, out, twins[mapping.name])  # fmt: skip
        with self.state.begin() as conn:
            for name, done in results.items():
                late = {k for k, r in done.items() if r.outcome == "waiting"}
                syncstate.defer(conn, DIRECTION, name, late, WAITING)
                syncstate.undefer(conn, DIRECTION, name, waiting[name] - late)
                if late:
                    out.deferred[name] += len(late)
            syncstate.advance(
                conn,
                cursor,
                last_id=max((c.id for c in changes), default=0),
                read=len(changes),
                applied=len(changes) - echoes,
                skipped=echoes,
            )
        changelog.delete_changes(engine, [c.id for c in changes])
        out.changes += len(changes)
        out.echoes += echoes
        out.last_id = max(out.last_id, max((c.id for c in changes), default=0))
        out.full = out.full or len(changes) >= self.batch

    def _apply(self, engine, mapping, keys, scope, stores, out, twins) -> dict[int, WriteBack]:
        spec = SPECS[mapping.name]
        main_table = mapping.targets[0]
        with engine.connect() as conn:
            rows = read_center_rows(conn, mapping, sorted(keys))
            pushes = read_pushes(conn, sorted(rows)) if spec.pushes and rows else {}
            conn.rollback()
        known = self._agreed(mapping, spec, rows)
        settled: dict[int, agreed.Agreed] = {}
        results: dict[int, WriteBack] = {}
        created: dict[int, int] = {}
        late: list[str] = []  # written back for stores the routes do not send to the platform
        with origin.transaction(self.legacy, origin.REVERSE) as legacy:
            for key in sorted(keys):
                mapped = rows.get(key)
                main = mapped[main_table.name][0] if mapped else None
                # A gone row's legacy twin: its legacy_id as the change log recorded it; a row
                # migrated from legacy kept legacy's id, one born on the platform has none.
                twin = twins.get(key, key if key < PLATFORM_ID_BASE else None)
                probe = main or (self._legacy_row(legacy, mapping, twin) if twin else None)
                store = stores.of(legacy, probe) if probe else None
                try:
                    if mapped is None:
                        result = delete_back(legacy, spec, mapping, twin)
                    else:
                        result = write_back(legacy, spec, mapping, mapped, main,
                                            known.get(main.get("legacy_id")))  # fmt: skip
                        if key in pushes and result.legacy_id is not None:
                            unfit = carry_pushes(legacy, pushes[key], result.legacy_id)
                            if unfit:
                                logger.warning(
                                    "reverse %s %s: pushes too long for legacy's t_push_log, "
                                    "not carried: %s",
                                    mapping.name, main.get(spec.order_no), ", ".join(unfit),
                                )  # fmt: skip
                except TransformError as exc:
                    logger.warning("reverse %s %s cannot be mapped: %s", mapping.name, key, exc)
                    out.quarantined[mapping.name] += 1
                    continue
                results[key] = result
                if result.outcome == "waiting":
                    continue
                if result.outcome == "conflict":
                    out.conflicts[mapping.name] += 1
                    logger.warning("reverse %s %s (legacy id %s) not written back: %s",
                                   mapping.name, main.get(spec.order_no), result.legacy_id,
                                   result.detail)  # fmt: skip
                    continue
                if result.outcome == "merged":
                    out.merged[mapping.name] += 1
                    logger.warning("reverse %s %s (legacy id %s) written on both sides at "
                                   "once, merged: %s", mapping.name, main.get(spec.order_no),
                                   result.legacy_id, result.detail)  # fmt: skip
                if result.agreed is not None:
                    settled[result.legacy_id] = result.agreed
                if result.outcome == "kept":
                    continue
                out.applied[mapping.name] += 1
                if store is None or not scope.on_platform(store):
                    late.append(main.get(spec.order_no) if main else f"{mapping.name} {key}")
                if result.outcome == "created" and main.get("legacy_id") is None:
                    created[key] = result.legacy_id
        if created:
            owner = main_table.table.c[main_table.owner]
            with origin.transaction(engine, origin.REVERSE) as conn:
                for key, legacy_id in created.items():
                    conn.execute(
                        sa.update(main_table.table)
                        .where(owner == key, main_table.table.c.legacy_id.is_(None))
                        .values(legacy_id=legacy_id)
                    )
        if settled:
            with self.state.begin() as conn:
                agreed.record(conn, mapping.name, settled)
        if late:
            out.out_of_scope[mapping.name] += len(late)
            logger.warning(
                "reverse %s: %d row(s) written back for stores the routes do not send to the "
                "platform now (writes it took before they were rolled back): %s",
                mapping.name, len(late), ", ".join(map(str, late[:10])),
            )  # fmt: skip
        return results

    def _agreed(self, mapping: Mapping, spec, rows: dict[int, Mapped]) -> dict[int, agreed.Agreed]:
        """Legacy id → the agreed state of the versioned rows about to be written back."""
        if not spec.version:
            return {}
        main = mapping.targets[0].name
        ids = [r[main][0]["legacy_id"] for r in rows.values() if r[main][0]["legacy_id"]]
        with self.state.connect() as conn:
            return agreed.load(conn, mapping.name, ids)

    def _legacy_row(self, conn: Connection, mapping: Mapping, key: int) -> dict | None:
        table = mapping.source
        row = conn.execute(sa.select(table).where(table.c.id == key)).mappings().first()
        return dict(row) if row else None
