"""The declarative mapping model: one legacy table (plus joined children) → center table(s).

A :class:`Mapping` is data plus pure functions. The same object drives backfill (chunks of
source rows), sync and reverse sync (one row at a time) and comparison (projections), so each
fact about the migration is stated once.

Anatomy
-------
``source`` / ``key``
    The legacy table and its integer key column, walked in key order (keyset chunks).
``children``
    Rows of other legacy tables joined to each source row by a column holding the source key
    (an order's items, discounts and status log). They arrive in ``Record.children[name]``.
``groups`` (merge rules)
    A :class:`Group` assigns each source row a merge key (members: the normalised phone;
    orders: the channel order id). Rows sharing a key form one group whose *survivor* (lowest
    ``rank``) carries the merged target row; the others contribute identities, or are
    quarantined as duplicates, as the transform decides. ``Record.group`` says where a row
    stands, ``Record.merged`` holds the full rows of the other members (survivor only, when
    ``fetch_members``). A group is built from one scan of ``columns`` (or its own ``scan``
    function when the key needs other tables, or ``derive`` from the value of a lookup
    that resolves it anyway, ``derived_from``), so the outcome never
    depends on chunk order, worker count or resume points. Another mapping may *use* a group
    as a lookup (orders use the member group to find a member's surviving id).
``lookups``
    Other whole-table facts a transform needs, built by one scan (``Lookup.build``).
``targets``
    The center tables written, in write order (parents first). ``Target.key`` is the
    upsert conflict key; ``Target.owner`` names the column holding the key of the source row
    that owns a target row (or ``Target.owner_of(key)``, when it holds a value derived from
    it), so a row-level apply can replace them (an order's items) and a delete can remove
    them.
``transform(record) -> {target table name: [row dicts]}`` or :class:`Quarantine`
    0..n rows per target table (splits). Raising ``TransformError`` quarantines the row with
    the error as its reason. A target row emitted by several source rows must be identical
    each time (derive it from the group survivor), which keeps runs deterministic.
``inverse(target rows) -> {legacy table name: [row dicts]}``
    Back to the legacy row's fields (the source table's entry; children where they exist) —
    what reverse sync writes. ``None`` when the platform never writes that data.
``compare``
    Per target the normalised columns parity compares (:meth:`Mapping.project`); a
    ``counter`` column (the center's own write count, e.g. a payment's ``version``) never is.

Row-by-row API (for sync and reverse sync)::

    from zhongtai.migrate import source
    ctx = source.build_context(legacy_conn, mapping)       # groups + lookups; rebuild when stale
    record = source.read_one(legacy_conn, mapping, key, ctx)  # re-read one row; None if gone
    result = mapping.apply(record)                          # Mapped rows, or Quarantine
    writer.apply_record(target_conn, mapping, key, result)  # replace that row's target rows
    legacy = mapping.inverse(target_rows)                   # reverse direction
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from zhongtai.migrate.times import TransformError, as_utc

Row = MappingABC[str, Any]
Mapped = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Quarantine:
    """A source row that cannot be mapped, with a short ``reason`` code and a human detail."""

    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Child:
    """Rows of ``table`` whose ``column`` holds the source key, ordered by ``order_by``."""

    name: str
    table: sa.Table
    column: str
    order_by: tuple[str, ...] = ("id",)


@dataclass(frozen=True)
class Target:
    """One center table a mapping writes."""

    table: sa.Table
    key: tuple[str, ...]
    owner: str | None = None  # column holding the source key of the row that owns this one
    # The owner column's value for a source key when it is not the key itself (a platform
    # customer's member id is NEW_MEMBER_BASE + its first order's id).
    owner_of: Callable[[Any], Any] | None = None
    compare: tuple[str, ...] | None = None  # None: every column the transform writes
    money: tuple[str, ...] = ()  # fen columns; parity compares them with a tolerance
    # Leaves of JSON columns that parity compares within a tolerance, as ("column.key",
    # tolerance): numbers legacy stores less precisely than the platform (its FLOAT
    # coordinates keep six significant digits on MariaDB).
    near: tuple[tuple[str, float], ...] = ()
    # The center's own write counter (optimistic lock) that legacy has no column for: written
    # as the transform gives it on insert, kept as the center has it when an existing row is
    # upserted (never set back; a re-run leaves the row as it was), and not compared.
    counter: str | None = None

    @property
    def name(self) -> str:
        return self.table.name

    def owned_by(self, key: Any) -> Any:
        """The ``owner`` column's value of the rows source key ``key`` owns."""
        return key if self.owner_of is None else self.owner_of(key)


@dataclass(frozen=True)
class Group:
    """A merge rule: rows with the same ``key(row)`` become one group; lowest ``rank`` survives."""

    name: str
    table: sa.Table
    columns: tuple[str, ...]
    key: Callable[[Row], Hashable | None]
    rank: Callable[[Row], Any] = field(default=lambda row: row["id"])
    fetch_members: bool = False
    where: Callable[[sa.Table], Any] | None = None
    # Instead of scanning ``columns``: a function returning the rows (each with ``id``) whose
    # keys may depend on other tables (members are linked through the phones on their orders).
    scan: Callable[[sa.Connection], Sequence[Row]] | None = None
    # The same rows derived from a lookup's value, when that lookup resolves them anyway: a
    # context that builds the lookup derives the group from it instead of calling ``scan``.
    derived_from: Lookup | None = None
    derive: Callable[[Any], Sequence[Row]] | None = None


@dataclass(frozen=True)
class Lookup:
    """A whole-table fact built by one scan of the legacy database."""

    name: str
    build: Callable[[sa.Connection], Any]


@dataclass(frozen=True)
class GroupIndex:
    """A built group: row id → merge key, and merge key → member ids (survivor first)."""

    key_of: dict[Any, Hashable]
    members: dict[Hashable, tuple[Any, ...]]

    def survivor(self, row_id: Any) -> Any:
        """The surviving id of ``row_id``'s group (itself when it stands alone)."""
        key = self.key_of.get(row_id)
        return row_id if key is None else self.members[key][0]

    def survivor_of_key(self, key: Hashable) -> Any | None:
        ids = self.members.get(key)
        return ids[0] if ids else None


@dataclass(frozen=True)
class Membership:
    """Where one source row stands in its group."""

    key: Hashable
    survivor: Any
    members: tuple[Any, ...]

    def is_survivor(self, row_id: Any) -> bool:
        return self.survivor == row_id


@dataclass
class Record:
    """One source row with everything its transform may look at."""

    row: Row
    children: dict[str, list[Row]] = field(default_factory=dict)
    group: Membership | None = None
    merged: list[Row] = field(default_factory=list)
    lookups: MappingABC[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    """Declarative mapping of one legacy source table to center tables (see module doc)."""

    name: str
    source: sa.Table
    center: str
    targets: tuple[Target, ...]
    transform: Callable[[Record], Mapped | Quarantine]
    key: str = "id"
    children: tuple[Child, ...] = ()
    group: Group | None = None
    uses: tuple[Group | Lookup, ...] = ()
    inverse: Callable[[Mapped], Mapped] | None = None
    where: Callable[[sa.Table], Any] | None = None
    depends_on: tuple[str, ...] = ()
    description: str = ""

    @cached_property
    def _declared(self) -> frozenset[str]:
        return frozenset(t.name for t in self.targets)

    def target(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(f"mapping {self.name!r} has no target table {name!r}")

    def apply(self, record: Record) -> Mapped | Quarantine:
        """Run the transform; TransformError and undeclared tables become a Quarantine."""
        try:
            result = self.transform(record)
        except TransformError as exc:
            return Quarantine("bad_value", str(exc))
        if isinstance(result, Quarantine):
            return result
        declared = self._declared
        if not result.keys() <= declared:
            unknown = set(result) - declared
            # A programming error in the mapping, not a data problem: fail loudly.
            raise ValueError(
                f"mapping {self.name!r} produced rows for undeclared table(s) {sorted(unknown)}"
            )
        return result

    def project(self, table: str, row: Row) -> dict[str, Any]:
        """The normalised comparison columns of a target row (from either side)."""
        target = self.target(table)
        columns = target.compare or tuple(c for c in row if c != target.counter)
        return {c: normalise(row.get(c)) for c in columns}


def normalise(value: Any) -> Any:
    """One canonical form per value, whatever engine returned it (for hashing and diffs).

    Datetimes → aware UTC ISO strings to the second (SQLite returns naive UTC); integral
    Decimals → int; JSON text stays text but is re-dumped with sorted keys; bools → int.
    """
    if isinstance(value, datetime):
        return as_utc(value).replace(microsecond=0).isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return value


def build_group(rows: Sequence[Row], group: Group) -> GroupIndex:
    """Pure: the group index of the scanned ``rows`` (each has ``id`` and ``group.columns``)."""
    keyed: dict[Hashable, list[Row]] = {}
    key_of: dict[Any, Hashable] = {}
    for row in rows:
        key = group.key(row)
        if key is None:
            continue
        keyed.setdefault(key, []).append(row)
        key_of[row["id"]] = key
    members = {
        key: tuple(r["id"] for r in sorted(rs, key=lambda r: (group.rank(r), r["id"])))
        for key, rs in keyed.items()
    }
    return GroupIndex(key_of=key_of, members=members)


def membership(index: GroupIndex, row_id: Any) -> Membership | None:
    key = index.key_of.get(row_id)
    if key is None:
        return None
    ids = index.members[key]
    return Membership(key=key, survivor=ids[0], members=ids)
