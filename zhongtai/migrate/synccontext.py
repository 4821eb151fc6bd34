"""Groups and lookups for row-by-row sync, kept fresh batch by batch.

Backfill builds a mapping's whole-table facts once per run; sync cannot, because the facts
move while legacy takes writes (a refund names an order the refund lookup has not seen, a
new platform customer needs its anchor order). :class:`ContextCache` rebuilds a fact at most
once per batch, only for mappings that have rows to apply in it, and only when its inputs
changed (:func:`.ripples.fact_inputs`: an insert or delete on one of its tables, or an update
the trigger flagged ``W`` because it touched a column the fact reads; a fact without declared
inputs is rebuilt whenever it is used). It shares a fact between the mappings that use it and
hands back old and new values so :mod:`.ripples` can find the other rows a change touches.

``refresh_every`` (``migrate sync --follow --refresh``) lets a fact *with a ripple rule* (a
merge group, the people resolution) be rebuilt at most that often while following: rows
applied in between use the previous value, and the ripple of the next rebuild re-syncs every
row the change affects. ``--once`` (0 s) keeps every fact exact in every batch. Given an
engine, such a fact is rebuilt in a helper process while batches go on with the previous
value (:meth:`ContextCache.collect` swaps it in), so a slow whole-table scan (the people
resolution is pure Python) neither stalls the batch loop nor competes for its interpreter
lock. Facts that cannot be pickled (groups with lambdas) are built on a thread instead.
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Engine

from zhongtai.migrate import source
from zhongtai.migrate.changelog import Change
from zhongtai.migrate.mapping import Group, Lookup, Mapping, build_group
from zhongtai.migrate.ripples import DERIVED, RULES, fact_inputs


@dataclass(frozen=True)
class Refreshed:
    """One fact rebuilt in this batch: its previous value (None the first time) and now."""

    name: str
    old: Any
    new: Any


_ENGINES: dict[str, Engine] = {}  # in the helper process: one engine per database


def _build_elsewhere(url: str, item: Group | Lookup) -> Any:
    """Build one fact in the helper process (its result travels back pickled)."""
    from zhongtai.db import create_engine

    engine = _ENGINES.get(url) or _ENGINES.setdefault(url, create_engine(url))
    with engine.connect() as conn:
        return source.scan_group(conn, item) if isinstance(item, Group) else item.build(conn)


def _items(mapping: Mapping) -> list[Group | Lookup]:
    return ([mapping.group] if mapping.group else []) + list(mapping.uses)


class ContextCache:
    """Whole-table facts by name, each rebuilt at most once per batch."""

    def __init__(
        self, mappings: Sequence[Mapping], refresh_every: float = 0.0, engine: Engine | None = None
    ) -> None:
        self.refresh_every = refresh_every
        self._engine = engine  # background builds of lazy facts (when refresh_every > 0)
        self._pool: ThreadPoolExecutor | None = None
        self._processes: ProcessPoolExecutor | None = None
        self._building: dict[str, Future] = {}
        self._items: dict[str, Group | Lookup] = {}
        for m in mappings:
            for item in _items(m):
                self._items.setdefault(item.name, item)
        self._values: dict[str, Any] = {}
        self._fresh: set[str] = set()
        self._dirty: set[str] = set()
        self._built_at: dict[str, float] = {}
        self._derived_from: dict[str, int] = {}  # derived fact → id() of the base value used
        self._inputs = {name: fact_inputs(item) for name, item in self._items.items()}
        self.rebuilt = 0  # facts built since start (for reports and tests)

    def new_batch(self) -> None:
        self._fresh.clear()

    def note(self, changes: Sequence[Change]) -> None:
        """Mark the facts whose inputs these changes (of any origin) may have moved."""
        for name, inputs in self._inputs.items():
            if inputs is None or name in self._dirty:
                continue
            for change in changes:
                if change.table in inputs and (
                    inputs[change.table] is None or change.op in ("I", "D", "W")
                ):
                    self._dirty.add(name)
                    break

    def _lazy(self, name: str) -> bool:
        return isinstance(self._items[name], Group) or name in RULES

    def _current(self, name: str) -> bool:
        if name in self._fresh:
            return True
        base = DERIVED.get(name, ("",))[0]
        if base in self._values:  # current exactly when made from the base's present value
            return self._derived_from.get(name) == id(self._values[base])
        if self._inputs[name] is None or name not in self._values:
            return False
        if name not in self._dirty:
            return True
        age = time.monotonic() - self._built_at.get(name, 0.0)
        return self._lazy(name) and age < self.refresh_every

    def due(self) -> set[str]:
        """Facts that changed and must be rebuilt now, whoever uses them."""
        return {
            n
            for n in self._dirty
            if n in self._values and n not in self._building and not self._current(n)
        }

    def pending(self) -> bool:
        """Whether a changed fact is still waiting for its (lazy) rebuild."""
        return bool(self._dirty & set(self._values))

    def value(self, name: str) -> Any:
        """Fact ``name`` as last built (None when it has not been)."""
        return self._values.get(name)

    def uses(self, mapping: Mapping, names: set[str]) -> bool:
        return any(item.name in names for item in _items(mapping))

    def _build(self, conn: Connection, item: Group | Lookup) -> Any:
        self._dirty.discard(item.name)
        self._built_at[item.name] = time.monotonic()
        if item.name in DERIVED and DERIVED[item.name][0] in self._values:
            base, rows = DERIVED[item.name]
            self._derived_from[item.name] = id(self._values[base])
            return build_group(rows(self._values[base]), item)  # type: ignore[arg-type]
        self.rebuilt += 1
        if isinstance(item, Group):
            return source.scan_group(conn, item)
        return item.build(conn)

    def _in_background(self, name: str) -> bool:
        return (
            self._engine is not None
            and self.refresh_every > 0
            and self._lazy(name)
            and name not in DERIVED
            and name in self._values
        )

    def _start(self, item: Group | Lookup) -> None:
        """Build ``item`` in the helper process (or thread); batches keep the current value."""
        self._dirty.discard(item.name)  # changes noted from now on make it dirty again
        self._built_at[item.name] = time.monotonic()
        self.rebuilt += 1
        engine = self._engine
        try:
            pickle.dumps(item)
        except (pickle.PicklingError, AttributeError, TypeError):
            pass  # a lambda inside: build on a thread
        else:
            if self._processes is None:
                self._processes = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            url = engine.url.render_as_string(hide_password=False)
            self._building[item.name] = self._processes.submit(_build_elsewhere, url, item)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zt-facts")

        def build() -> Any:
            with engine.connect() as conn:
                if isinstance(item, Group):
                    return source.scan_group(conn, item)
                return item.build(conn)

        self._building[item.name] = self._pool.submit(build)

    def collect(self, *, wait: bool = False) -> list[Refreshed]:
        """Swap in the facts the fact thread finished (all of them, with ``wait``)."""
        out = []
        for name, future in list(self._building.items()):
            if wait or future.done():
                new = future.result()
                del self._building[name]
                out.append(Refreshed(name, self._values.get(name), new))
                self._values[name] = new
                self._fresh.add(name)
        return out

    def close(self) -> None:
        for pool in (self._pool, self._processes):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def baseline(self, conn: Connection) -> None:
        """Build the facts that have ripple rules (groups and :data:`RULES`), so the first
        batch can already tell what changed."""
        for item in self._ordered(list(self._items.values())):
            if isinstance(item, Group) or item.name in RULES:
                self._values[item.name] = self._build(conn, item)

    def refresh(self, conn: Connection, mapping: Mapping) -> list[Refreshed]:
        """Rebuild ``mapping``'s facts that may be out of date (at most once per batch)."""
        out = []
        for item in self._ordered(_items(mapping)):
            if self._current(item.name) or item.name in self._building:
                continue
            if self._in_background(item.name):
                self._start(item)
                continue
            new = self._build(conn, item)
            out.append(Refreshed(item.name, self._values.get(item.name), new))
            self._values[item.name] = new
            self._fresh.add(item.name)
        return out

    def _ordered(self, items: list[Group | Lookup]) -> list[Group | Lookup]:
        """``items`` with the base of every derived fact placed before it."""
        names = [DERIVED[i.name][0] for i in items if i.name in DERIVED]
        bases = [self._items[n] for n in names if n in self._items]
        return bases + [i for i in items if i not in bases]

    def context(self, mapping: Mapping) -> source.Context:
        """The mapping's context from the cached facts (call :meth:`refresh` first)."""
        ctx = source.Context()
        for item in _items(mapping):
            target = ctx.groups if isinstance(item, Group) else ctx.lookups
            target[item.name] = self._values[item.name]
        return ctx
