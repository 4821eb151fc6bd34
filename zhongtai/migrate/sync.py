"""``zhongtai migrate sync``: apply captured legacy changes to the centers (forward sync).

One batch: read the lowest ``batch`` changes from legacy's change log; turn them into
(mapping, key) pairs (a child row re-syncs its parent; changes the reverse syncer wrote are
skipped, so nothing echoes); per mapping in backfill order, rebuild the whole-table facts it
uses, re-read the current source rows by key, transform them and replace their center rows
in a transaction marked ``forward`` (see :mod:`.origin`; one per center for mappings applied
one after another); record progress in the state
database; delete the consumed changes. A crash anywhere replays the batch, which changes
nothing the second time.

**Platform writes not carried back yet.** Both systems bump ``t_order.version`` on every
write and both syncers copy it. An order whose center copy is at a higher version than
legacy's row took a platform write reverse sync has not carried back yet: overwriting it
with legacy's older state would lose that write. Such a key is left as the center has it
and counted (``platform_newer``); reverse sync brings legacy to it. At the same version or
below, legacy's row is applied (reverse sync's rule, the other way round: see
:mod:`.reverse_apply`).

**Backfill and sync together.** Capture is installed *before* the backfill, so every change
after any backfill snapshot is in the log. A mapping's changes are applied only once its
backfill has finished: applied earlier, a backfill chunk read before the change could land
after it and bring the old row back. Until then its keys wait in the state database
(``deferred``), and if a backfill of the mapping starts while a batch is being applied (its
plan changes under us), that batch's keys are deferred again and re-applied afterwards.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhongtai.config import Settings
from zhongtai.errors import ConfigError
from zhongtai.migrate import agreed, applier, changelog, checkpoints, origin, source, syncstate
from zhongtai.migrate.capture import forward_specs, require_installed
from zhongtai.migrate.changelog import Backlog
from zhongtai.migrate.dependents import dependents, fan_out
from zhongtai.migrate.mapping import Mapping, Quarantine
from zhongtai.migrate.mappings import all_mappings
from zhongtai.migrate.preflight import open_endpoints
from zhongtai.migrate.reverse_specs import SPECS as REVERSE_SPECS
from zhongtai.migrate.ripples import PENDING_RULES, pending_ripple, ripple
from zhongtai.migrate.synccontext import ContextCache
from zhongtai.migrate.syncloop import BatchOutcome, SyncReport, run

logger = logging.getLogger(__name__)

DIRECTION = "forward"
SOURCE = "legacy"
WAITING = "backfill not finished"

Marks = dict[str, tuple[datetime, datetime | None] | None]


def backfill_marks(conn: Connection, names: Sequence[str], *, ensured: bool = False) -> Marks:
    """mapping → (planned_at, finished_at) of its backfill, None when it never ran.
    ``ensured``: the caller created the state tables (no catalog look-up, a round trip that
    costs a busy machine tens of milliseconds twice a batch)."""
    marks: Marks = dict.fromkeys(names)
    if not ensured and not checkpoints.state_exists(conn):
        return marks
    run = checkpoints.backfill_run.c
    rows = conn.execute(
        sa.select(run.mapping, run.planned_at, run.finished_at).where(run.mapping.in_(names))
    )
    marks.update({name: (planned, finished) for name, planned, finished in rows})
    return marks


def _ready(mark) -> bool:
    return mark is not None and mark[1] is not None


def held_back(
    conn: Connection, mapping: Mapping, results: dict, known: dict[int, agreed.Agreed]
) -> tuple[set[int], set[int]]:
    """Legacy keys whose center row must be left as it is (rows locked till commit):
    (``newer``: the platform wrote it and legacy did not since; reverse sync carries it back,
    ``concurrent``: both systems wrote it since their agreed state; queued here for reverse
    sync to merge). ``known``: agreed states by legacy key (see :mod:`.agreed`); without one,
    a center row at a higher version than legacy's is ``newer``."""
    spec = REVERSE_SPECS.get(mapping.name)
    if spec is None or spec.version is None:
        return set(), set()
    main = mapping.targets[0]
    table, column = main.table, spec.version
    wanted = {
        k: r[main.name][0][column]
        for k, r in results.items()
        if isinstance(r, dict) and r.get(main.name)
    }
    newer: set[int] = set()
    concurrent: set[int] = set()
    keys = sorted(wanted)
    for i in range(0, len(keys), applier.CHUNK):
        query = (
            sa.select(table.c.legacy_id, table.c[column], table.c[main.owner])
            .where(table.c.legacy_id.in_(keys[i : i + applier.CHUNK]))
            .with_for_update()
        )
        for legacy_id, version, center_key in conn.execute(query):
            ours, state = wanted[legacy_id] or 0, known.get(int(legacy_id))
            if version is None:
                continue
            if state is None or version <= state.version:
                if version > ours:
                    newer.add(int(legacy_id))
            elif ours == state.version:
                newer.add(int(legacy_id))
            else:
                concurrent.add(int(legacy_id))
                changelog.enqueue(conn, table.name, center_key, origin.MERGE, ref=legacy_id)
    return newer, concurrent


@dataclass(frozen=True)
class Applied:
    """One mapping's keys applied: quarantined key → (reason, detail); keys left as the center
    has them (``newer``, ``concurrent``: see :func:`held_back`); the agreed states written."""

    bad: dict[int, tuple[str, str]]
    newer: set[int]
    concurrent: set[int]
    states: dict[int, agreed.Agreed]


class _CenterWrites:
    """One forward-marked transaction per center for mappings applied one after another:
    the next mapping of the same center (members then platform customers, orders then
    channel pushes, payments then refunds) writes in the open transaction, so a batch pays
    the pool check-out, the origin marker and the commit once per center, not per mapping
    (round trips a busy machine makes slow). Moving to another center commits the open one;
    leaving the block commits the last, or rolls it back on an error (the batch replays)."""

    def __init__(self, centers: dict[str, Engine]) -> None:
        self.centers = centers
        self._open: tuple[str, Connection] | None = None
        self._stack = ExitStack()

    def connection(self, center: str) -> Connection:
        if self._open is not None and self._open[0] == center:
            return self._open[1]
        self._stack.close()  # commits the other center's transaction
        conn = self._stack.enter_context(origin.transaction(self.centers[center], origin.FORWARD))
        self._open = (center, conn)
        return conn

    def __enter__(self) -> _CenterWrites:
        return self

    def __exit__(self, *exc) -> bool | None:
        self._open = None
        return self._stack.__exit__(*exc)


class ForwardSyncer:
    """Applies legacy's change log to the centers, one batch per :meth:`step`."""

    direction = DIRECTION

    def __init__(
        self,
        settings: Settings,
        *,
        batch: int = 500,
        mappings: Sequence[Mapping] | None = None,
        refresh_every: float = 0.0,
    ) -> None:
        self.mappings = list(mappings or all_mappings().values())
        self.by_name = {m.name: m for m in self.mappings}
        self.batch = batch
        self._settling = False
        self.deps = dependents(self.mappings)
        self.endpoints = open_endpoints(settings, self.mappings, dry_run=False)
        try:
            require_installed(self.endpoints.legacy, forward_specs(self.mappings), SOURCE)
            syncstate.ensure_state(self.endpoints.state)
            self.cache = ContextCache(self.mappings, refresh_every, self.endpoints.legacy)
            with self.endpoints.legacy.connect() as conn:
                self.cache.baseline(conn)
                # Changes up to here may be in the baseline already: rippled by change.
                self._seen_by_baseline = changelog.last_change_id(conn)
        except BaseException:
            self.endpoints.dispose()
            raise

    @property
    def state(self) -> Engine:
        """The state database (cursors, deferred rows, agreed states)."""
        return self.endpoints.state

    def close(self) -> None:
        self.cache.close()
        self.endpoints.dispose()

    def backlog(self) -> Backlog:
        with self.endpoints.legacy.connect() as conn:
            return changelog.total_backlog(changelog.backlog_by_table(conn))

    # ------------------------------------------------------------------------- one batch

    def step(self) -> BatchOutcome:
        out = BatchOutcome()
        names = [m.name for m in self.mappings]
        state = self.endpoints.state
        with state.connect() as conn:
            before = backfill_marks(conn, names, ensured=True)
            cursor = syncstate.load_cursor(conn, DIRECTION, SOURCE)
            deferred = syncstate.deferred_summary(conn, DIRECTION)
            from_deferred = {
                name: set(syncstate.deferred_keys(conn, DIRECTION, name, self.batch))
                for name in names
                if name in deferred and _ready(before[name])
            }
        self.cache.new_batch()
        bad: dict[str, dict[int, tuple[str, str]]] = {}
        applied: dict[str, set[int]] = {}
        waiting: dict[str, set[int]] = {}
        states: dict[str, dict[int, agreed.Agreed]] = {}
        with self.endpoints.legacy.connect() as src:
            changes = changelog.read_changes(src, self.batch)
            self.cache.note(changes)
            fan = fan_out(changes, self.deps)
            pending = {name: set(keys) for name, keys in fan.keys.items()}
            for name, keys in from_deferred.items():
                if keys:
                    pending.setdefault(name, set()).update(keys)
            self._ripple_pending(src, changes, pending, out)
            # Facts the fact thread finished, and changed facts whose rebuild is due: ripple.
            self._ripple(src, self.cache.collect(wait=self._settling), pending, out)
            due = self.cache.due()
            for mapping in self.mappings:
                if due and self.cache.uses(mapping, due) and _ready(before[mapping.name]):
                    self._refresh(src, mapping, pending, out)
            writes = _CenterWrites(self.endpoints.centers)
            with writes:
                while pending:
                    name = next(n for n in names if n in pending)
                    keys = pending.pop(name)
                    if not _ready(before[name]):
                        out.deferred[name] += len(keys)
                        waiting.setdefault(name, set()).update(keys)
                        continue
                    mapping = self.by_name[name]
                    self._refresh(src, mapping, pending, out)
                    done = self._apply(src, mapping, keys, writes)
                    bad[name] = done.bad
                    if done.states:
                        states[name] = {**states.get(name, {}), **done.states}
                    applied.setdefault(name, set()).update(keys)
                    out.applied[name] += len(keys) - len(done.newer) - len(done.concurrent)
                    if done.newer:
                        out.platform_newer[name] += len(done.newer)
                    if done.concurrent:
                        out.concurrent[name] += len(done.concurrent)
                    if bad[name]:
                        out.quarantined[name] += len(bad[name])
            src.rollback()  # end the read transaction: no long-lived snapshot on legacy
        self._record(out, cursor, changes, fan.echoes, before, applied, waiting, from_deferred, bad,
                     states)  # fmt: skip
        changelog.delete_changes(self.endpoints.legacy, [c.id for c in changes])
        deferred_taken = sum(len(k) for k in from_deferred.values())
        out.changes, out.echoes = len(changes), fan.echoes
        out.last_id = max((c.id for c in changes), default=cursor.last_id)
        out.full = len(changes) >= self.batch or deferred_taken >= self.batch
        return out

    def flush(self) -> BatchOutcome:
        """One batch with every changed fact rebuilt now and rippled (ends ``--follow``)."""
        every, self.cache.refresh_every = self.cache.refresh_every, 0.0
        self._settling = True
        try:
            return self.step()
        finally:
            self.cache.refresh_every, self._settling = every, False

    def _refresh(self, src: Connection, mapping: Mapping, pending: dict, out) -> None:
        """Rebuild ``mapping``'s out-of-date facts; queue the rows their changes touch."""
        self._ripple(src, self.cache.refresh(src, mapping), pending, out)

    def _ripple(self, src: Connection, facts, pending: dict, out) -> None:
        for fact in facts:
            self._queue(ripple(fact.name, fact.old, fact.new, src, self.mappings), pending, out)

    def _queue(self, extra: dict[str, set[int]], pending: dict, out) -> None:
        for other, more in extra.items():
            if other in self.by_name:
                out.rippled[other] += len(more)
                pending.setdefault(other, set()).update(more)

    def _ripple_pending(self, src: Connection, changes, pending: dict, out) -> None:
        """Ripple the changes the first build of the facts already saw (:mod:`.ripples`)."""
        early = [c for c in changes if c.id <= self._seen_by_baseline]
        if not changes or changes[-1].id > self._seen_by_baseline:
            self._seen_by_baseline = 0  # past them: the usual old/new ripples from here on
        if not early:
            return
        for name in PENDING_RULES:
            self._queue(pending_ripple(name, self.cache.value(name), early, src), pending, out)

    def _apply(
        self, src: Connection, mapping: Mapping, keys: set[int], writes: _CenterWrites
    ) -> Applied:
        """Apply ``keys``, leaving alone the center rows :func:`held_back` names."""
        spec = REVERSE_SPECS.get(mapping.name)
        version = spec.version if spec is not None else None
        known: dict[int, agreed.Agreed] = {}
        if version:
            with self.endpoints.state.connect() as state:
                known = agreed.load(state, mapping.name, keys)
        ctx = self.cache.context(mapping)
        records = source.read_many(src, mapping, sorted(keys), ctx)
        results = {k: mapping.apply(records[k]) if k in records else None for k in keys}
        conn = writes.connection(mapping.center)
        newer, concurrent = held_back(conn, mapping, results, known)
        if newer:
            logger.info("forward %s: %d row(s) newer on the platform kept (reverse sync "
                        "carries them back): legacy keys %s", mapping.name, len(newer),
                        ", ".join(map(str, sorted(newer)[:10])))  # fmt: skip
        if concurrent:
            logger.warning("forward %s: %d row(s) written on both sides since they last "
                           "agreed, left for reverse sync to merge: legacy keys %s",
                           mapping.name, len(concurrent),
                           ", ".join(map(str, sorted(concurrent)[:10])))  # fmt: skip
        results = {k: r for k, r in results.items() if k not in newer | concurrent}
        applier.apply_results(conn, mapping, results)
        bad = {
            k: (r.reason, f"{k}: {r.detail}")
            for k, r in results.items()
            if isinstance(r, Quarantine)
        }
        states = {}
        if version:
            states = {
                k: agreed.Agreed(int(records[k].row[version] or 0), agreed.image(records[k].row))
                for k, r in results.items()
                if isinstance(r, dict) and k in records
            }
        return Applied(bad, newer, concurrent, states)

    def _record(self, out, cursor, changes, echoes, before, applied, waiting, from_deferred,
                bad, states) -> None:  # fmt: skip
        """State for the batch, in one transaction: fence, deferrals, quarantine, agreed
        states, cursor."""
        with self.endpoints.state.begin() as conn:
            for name, settled in states.items():
                agreed.record(conn, name, settled)
            after = backfill_marks(conn, list(before), ensured=True)
            for name, keys in waiting.items():
                syncstate.defer(conn, DIRECTION, name, keys, WAITING)
            for key, keys in applied.items():
                if after[key] != before[key]:
                    # A backfill of this mapping was (re)planned while we wrote: its chunks
                    # may land after our rows, so apply these keys again once it finishes.
                    logger.info("backfill of %s changed during sync: re-deferring", key)
                    syncstate.defer(conn, DIRECTION, key, keys, WAITING)
                    out.deferred[key] += len(keys)
                    continue
                syncstate.undefer(conn, DIRECTION, key, from_deferred.get(key, set()) & keys)
                syncstate.quarantine(conn, key, bad.get(key, {}), keys - set(bad.get(key, {})))
            syncstate.advance(
                conn,
                cursor,
                last_id=max((c.id for c in changes), default=0),
                read=len(changes),
                applied=len(changes) - echoes,
                skipped=echoes,
            )


def run_sync(
    settings: Settings,
    *,
    reverse: bool = False,
    follow: bool = False,
    batch: int = 500,
    poll: float = 0.2,
    refresh: float = 2.0,
    stop: threading.Event | None = None,
    on_batch=None,
) -> SyncReport:
    """Open the forward (or reverse) syncer, run it once through its backlog or until
    ``stop`` when following, close it; the report says what was applied and what lags."""
    if batch < 1:
        raise ConfigError(f"--batch must be at least 1, got {batch}")
    if poll <= 0:
        raise ConfigError(f"--poll must be positive, got {poll}")
    if reverse:
        from zhongtai.migrate.reverse import ReverseSyncer

        syncer = ReverseSyncer(settings, batch=batch)
    else:
        syncer = ForwardSyncer(settings, batch=batch, refresh_every=refresh if follow else 0.0)
    pruner = agreed.Pruner(syncer.state, settings.migrate.agreed_retention_days)
    try:
        return run(syncer, follow=follow, poll=poll, stop=stop, on_batch=on_batch, tidy=pruner)
    finally:
        syncer.close()
