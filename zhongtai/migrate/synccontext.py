"""Groups and lookups for row-by-row sync, kept fresh batch by batch.

Backfill builds a mapping's whole-table facts once per run; sync cannot, because the facts
move while legacy takes writes (a refund names an order the refund lookup has not seen, a
new platform customer needs its anchor order). :class:`ContextCache` rebuilds each fact at
most once per batch, only for mappings that have rows to apply in it, shares a fact between
the mappings that use it, and hands back old and new values so :mod:`.ripples` can find the
other rows a change of fact touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from zhongtai.migrate import source
from zhongtai.migrate.mapping import Group, Lookup, Mapping
from zhongtai.migrate.ripples import RULES


@dataclass(frozen=True)
class Refreshed:
    """One fact rebuilt in this batch: its previous value (None the first time) and now."""

    name: str
    old: Any
    new: Any


def _items(mapping: Mapping) -> list[Group | Lookup]:
    return ([mapping.group] if mapping.group else []) + list(mapping.uses)


class ContextCache:
    """Whole-table facts by name, each rebuilt at most once per batch."""

    def __init__(self, mappings: Sequence[Mapping]) -> None:
        self._items: dict[str, Group | Lookup] = {}
        for m in mappings:
            for item in _items(m):
                self._items.setdefault(item.name, item)
        self._values: dict[str, Any] = {}
        self._fresh: set[str] = set()

    def new_batch(self) -> None:
        self._fresh.clear()

    def _build(self, conn: Connection, item: Group | Lookup) -> Any:
        if isinstance(item, Group):
            return source.scan_group(conn, item)
        return item.build(conn)

    def baseline(self, conn: Connection) -> None:
        """Build the facts that have ripple rules (groups and :data:`RULES`), so the first
        batch can already tell what changed."""
        for name, item in self._items.items():
            if isinstance(item, Group) or name in RULES:
                self._values[name] = self._build(conn, item)

    def refresh(self, conn: Connection, mapping: Mapping) -> list[Refreshed]:
        """Rebuild ``mapping``'s facts not yet rebuilt in this batch."""
        out = []
        for item in _items(mapping):
            if item.name in self._fresh:
                continue
            new = self._build(conn, item)
            out.append(Refreshed(item.name, self._values.get(item.name), new))
            self._values[item.name] = new
            self._fresh.add(item.name)
        return out

    def context(self, mapping: Mapping) -> source.Context:
        """The mapping's context from the cached facts (call :meth:`refresh` first)."""
        ctx = source.Context()
        for item in _items(mapping):
            target = ctx.groups if isinstance(item, Group) else ctx.lookups
            target[item.name] = self._values[item.name]
        return ctx
