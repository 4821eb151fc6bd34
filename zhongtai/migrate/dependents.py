"""Which mapping rows a batch of captured changes asks to re-sync (pure).

A change to a mapping's source table re-syncs that row; a change to one of its child tables
re-syncs the parent the child row belongs to (the ``ref`` the trigger recorded, so a deleted
order item still names its order). One table can feed several mappings: ``t_order`` is the
source of ``orders`` and ``platform_customers``, ``t_refund`` the source of ``refunds`` and a
child of ``orders``. Changes written by a zhongtai syncer are left out (no echo), and each
(mapping, key) is asked for once per batch however many changes named it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from zhongtai.migrate.changelog import Change
from zhongtai.migrate.mapping import Mapping
from zhongtai.migrate.origin import applies


@dataclass(frozen=True)
class Dependents:
    """Captured table → the mappings it feeds, as a source or as a child."""

    order: tuple[str, ...]  # mapping names in apply (backfill) order
    by_source: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_child: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def tables(self) -> set[str]:
        return set(self.by_source) | set(self.by_child)


def dependents(mappings: Sequence[Mapping]) -> Dependents:
    """The dependents index of ``mappings`` (given in apply order)."""
    by_source: dict[str, list[str]] = {}
    by_child: dict[str, list[str]] = {}
    for m in mappings:
        by_source.setdefault(m.source.name, []).append(m.name)
        for child in m.children:
            by_child.setdefault(child.table.name, []).append(m.name)
    return Dependents(
        order=tuple(m.name for m in mappings),
        by_source={t: tuple(ms) for t, ms in by_source.items()},
        by_child={t: tuple(ms) for t, ms in by_child.items()},
    )


@dataclass
class Fanout:
    """What one batch asks for: keys per mapping, and how many changes were echoes."""

    keys: dict[str, set[int]] = field(default_factory=dict)
    echoes: int = 0
    unrelated: int = 0  # changes of tables no mapping reads (capture installed wider)

    def add(self, mapping: str, key: int | None) -> None:
        if key is not None:
            self.keys.setdefault(mapping, set()).add(key)

    def ordered(self, order: Iterable[str]) -> list[tuple[str, set[int]]]:
        return [(name, self.keys[name]) for name in order if self.keys.get(name)]


def fan_out(changes: Iterable[Change], deps: Dependents) -> Fanout:
    """Map captured changes to (mapping, key) pairs to re-sync."""
    out = Fanout()
    for change in changes:
        if not applies(change.origin):
            out.echoes += 1
            continue
        sources = deps.by_source.get(change.table, ())
        children = deps.by_child.get(change.table, ())
        if not sources and not children:
            out.unrelated += 1
        for name in sources:
            out.add(name, change.key)
        for name in children:
            out.add(name, change.ref)
    return out
