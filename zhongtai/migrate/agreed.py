"""The last state of a row both systems agreed on, and the merge of two writes made since.

While routes are split between the systems, one order can be written on both sides in the
same moment: a POS on the platform pulls it while its customer cancels it on legacy's
mini-program. Each side then holds a version the other has not seen. Versions alone only tell
that both moved, not who changed what, so whichever side won dropped the other's write.

Each syncer therefore records, for every versioned row it carries (orders: ``t_order.version``),
the **agreed state**: the version and the legacy-terms image (``t_order`` columns) that both
systems hold once its write is committed — forward sync the legacy row it applied, reverse
sync the platform row it wrote back (``migrate_sync_agreed`` in the state database). With it,
either syncer can tell the three cases apart:

* only the other side moved since the agreed version: carry it over (the usual case);
* only this side moved: nothing to carry — the other syncer brings it the other way;
* **both moved**: a concurrent write. Forward sync leaves the center row alone and queues the
  order for reverse sync; reverse sync merges the two rows field by field against the agreed
  image (:func:`merge`: a field only one side changed takes that side's value; a field both
  changed differently is settled by the column's rule where it has one — an order's status
  takes the one that comes after the other — and otherwise keeps legacy's and is reported),
  writes the merge to legacy at a new version, with the status-log steps the platform took,
  and queues it for forward sync, which brings the center to it. Neither write is lost, and
  both systems end with the same row.

A row no syncer has carried since the backfill has no agreed state (the backfill does not
record one: it would double its writes). For such a row the version rule stands: legacy's
write wins a tie and the other side's concurrent write is reported as a conflict.

An agreed state is about 2 KB. Each carries the time it was last recorded, and sync deletes
those not renewed for ``migrate.agreed_retention_days`` (:func:`prune`, :class:`Pruner`): an
order quiet that long is back to the version rule, like one only the backfill carried.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhongtai.migrate.checkpoints import now
from zhongtai.migrate.mapping import normalise

metadata = sa.MetaData()

agreed_table = sa.Table(
    "migrate_sync_agreed",
    metadata,
    sa.Column("mapping", sa.String(64), primary_key=True),
    sa.Column("legacy_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("image", sa.Text, nullable=False),  # JSON: legacy column → canonical value
    sa.Column("recorded_at", sa.DateTime, nullable=True, index=True),  # naive UTC
)

IN_BATCH = 500
# Columns a merge never takes from either side: the row's identity and its bookkeeping.
OWN_COLUMNS = frozenset({"id", "version", "update_time", "create_time"})


@dataclass(frozen=True)
class Agreed:
    """The version both systems held, and the legacy-terms row they held at it."""

    version: int
    image: dict[str, Any]


@dataclass(frozen=True)
class Merge:
    """The legacy columns to write (``changes``); the columns both sides changed to different
    values that a rule settled (``settled``) and those it could not (``clashes``: legacy's
    value kept)."""

    changes: dict[str, Any]
    clashes: list[str]
    settled: list[str] = field(default_factory=list)


def ensure_state(engine: Engine) -> None:
    """Create the table when missing; give one made before ``recorded_at`` existed the column
    (its rows count as recorded now, so the first prune keeps them their full retention)."""
    metadata.create_all(engine)
    if _has_recorded_at(engine):
        return
    try:
        with engine.begin() as conn:
            kind = sa.DateTime().compile(dialect=conn.dialect)
            name = conn.dialect.identifier_preparer.quote(agreed_table.name)
            conn.execute(sa.text(f"ALTER TABLE {name} ADD recorded_at {kind}"))
            conn.execute(sa.update(agreed_table).values(recorded_at=now()))
            for index in agreed_table.indexes:  # the one on recorded_at (index=True)
                index.create(conn)
    except sa.exc.DBAPIError:
        if not _has_recorded_at(engine):  # not the other syncer upgrading it at the same time
            raise


def _has_recorded_at(engine: Engine) -> bool:
    with engine.connect() as conn:
        columns = sa.inspect(conn).get_columns(agreed_table.name)
    return any(c["name"] == "recorded_at" for c in columns)


def image(row: MappingABC[str, Any]) -> dict[str, Any]:
    """A legacy row in the canonical form the agreed state keeps (JSON-safe)."""
    return {k: normalise(v) for k, v in row.items()}


def load(conn: Connection, mapping: str, keys: Iterable[int]) -> dict[int, Agreed]:
    """Legacy id → its agreed state, for the ``keys`` that have one."""
    t = agreed_table.c
    ordered = sorted(set(keys))
    found: dict[int, Agreed] = {}
    for i in range(0, len(ordered), IN_BATCH):
        query = sa.select(t.legacy_id, t.version, t.image).where(
            t.mapping == mapping, t.legacy_id.in_(ordered[i : i + IN_BATCH])
        )
        for legacy_id, version, text in conn.execute(query):
            found[int(legacy_id)] = Agreed(int(version), json.loads(text))
    return found


def record(conn: Connection, mapping: str, states: MappingABC[int, Agreed]) -> None:
    """Replace the agreed state of each legacy id in ``states`` (in the caller's transaction)."""
    if not states:
        return
    t = agreed_table.c
    ordered = sorted(states)
    recorded_at = now()
    for i in range(0, len(ordered), IN_BATCH):
        conn.execute(
            sa.delete(agreed_table).where(
                t.mapping == mapping, t.legacy_id.in_(ordered[i : i + IN_BATCH])
            )
        )
    conn.execute(
        sa.insert(agreed_table),
        [
            {
                "mapping": mapping,
                "legacy_id": key,
                "version": states[key].version,
                "image": json.dumps(states[key].image, ensure_ascii=False, default=str),
                "recorded_at": recorded_at,
            }
            for key in ordered
        ],
    )


def prune(conn: Connection, older_than: timedelta) -> int:
    """Delete the agreed states last recorded more than ``older_than`` ago; how many."""
    cutoff = now() - older_than
    return conn.execute(sa.delete(agreed_table).where(agreed_table.c.recorded_at < cutoff)).rowcount


class Pruner:
    """Prunes the agreed states of a state database now and then (at most once per ``every``
    seconds): called after each sync batch, it costs a clock read between prunes."""

    def __init__(self, engine: Engine, retention_days: int, every: float = 3600.0) -> None:
        self.engine, self.every = engine, every
        self.keep = timedelta(days=retention_days) if retention_days > 0 else None
        self.last: float | None = None

    def __call__(self) -> int:
        """Prune if due; the number of agreed states deleted by this call."""
        if self.keep is None or (
            self.last is not None and time.monotonic() - self.last < self.every
        ):
            return 0
        self.last = time.monotonic()
        with self.engine.begin() as conn:
            return prune(conn, self.keep)


def same(a: Any, b: Any, decode: Callable[[Any], Any] | None = None) -> bool:
    """Whether two legacy values are the same, whatever engine returned them (canonical form,
    floats to 1e-9, ``decode``d first for columns compared by content)."""
    if decode is not None:
        return decode(a) == decode(b)
    a, b = normalise(a), normalise(b)
    if isinstance(a, float) or isinstance(b, float):
        try:
            return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
        except (TypeError, ValueError):
            return False
    return a == b


def merge(
    base: MappingABC[str, Any],
    legacy: MappingABC[str, Any],
    platform: MappingABC[str, Any],
    decoded: MappingABC[str, Callable[[Any], Any]] | None = None,
    rules: MappingABC[str, Callable[[Any, Any], Any]] | None = None,
) -> Merge:
    """Three-way merge of one legacy row: ``base`` the agreed image, ``legacy`` the row legacy
    holds now, ``platform`` the platform's row in legacy terms. Returns the columns whose
    merged value differs from legacy's: those only the platform changed, and those both
    changed where ``rules[column](legacy's, platform's)`` picks the platform's (a rule returns
    the value to keep, or None when it cannot tell) (pure)."""
    decoded, rules = decoded or {}, rules or {}
    changes: dict[str, Any] = {}
    clashes: list[str] = []
    settled: list[str] = []
    for column, theirs in platform.items():
        if column in OWN_COLUMNS or column not in legacy:
            continue
        ours, decode = legacy[column], decoded.get(column)
        if same(ours, theirs, decode):
            continue
        was = base.get(column)
        if column in base and same(ours, was, decode):
            changes[column] = theirs  # only the platform changed it
        elif column in base and same(theirs, was, decode):
            continue  # only legacy changed it
        else:  # both changed it (or the base does not know it): the column's rule, if any
            rule = rules.get(column)
            kept = rule(ours, theirs) if rule is not None else None
            if kept is None:
                clashes.append(column)  # legacy's stays
                continue
            settled.append(column)
            if not same(kept, ours, decode):
                changes[column] = kept
    return Merge(changes, sorted(clashes), sorted(settled))
