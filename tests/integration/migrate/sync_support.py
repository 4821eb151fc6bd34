"""Helpers for the capture/sync tests: expected center rows from legacy, writers, waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.migrate import source
from zhongtai.migrate.mapping import Mapping, Quarantine
from zhongtai.migrate.mappings import all_mappings


@dataclass
class Diff:
    missing: list = field(default_factory=list)  # expected, not in the center
    extra: list = field(default_factory=list)  # in the center, not expected
    different: list = field(default_factory=list)  # (table, key, expected, actual)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.different)

    def summary(self, limit: int = 5) -> str:
        return (
            f"missing {len(self.missing)} {self.missing[:limit]}\n"
            f"extra {len(self.extra)} {self.extra[:limit]}\n"
            f"different {len(self.different)} {self.different[:limit]}"
        )


def _key(target, row) -> tuple:
    return tuple(row[k] for k in target.key)


def expected_rows(legacy_url: str, mappings: list[Mapping]) -> dict[str, dict[tuple, dict]]:
    """``center.table`` → target key → projected row, from legacy through the mappings now."""
    engine = create_engine(legacy_url)
    out: dict[str, dict[tuple, dict]] = {}
    try:
        with engine.connect() as conn:
            for mapping in mappings:
                ctx = source.build_context(conn, mapping)
                after = -1
                while records := source.read_chunk(
                    conn, mapping, ctx, after=after, upto=None, limit=5_000
                ):
                    after = records[-1].row[mapping.key]
                    for record in records:
                        result = mapping.apply(record)
                        if isinstance(result, Quarantine):
                            continue
                        for target in mapping.targets:
                            bucket = out.setdefault(f"{mapping.center}.{target.name}", {})
                            for row in result.get(target.name, ()):
                                bucket[_key(target, row)] = mapping.project(target.name, row)
    finally:
        engine.dispose()
    return out


def diff_centers(settings, names: list[str] | None = None) -> Diff:
    """Legacy through the mappings against every center table the mappings write."""
    mappings = [m for m in all_mappings().values() if not names or m.name in names]
    expected = expected_rows(settings.database("legacy"), mappings)
    diff = Diff()
    engines: dict[str, sa.Engine] = {}
    try:
        seen: set[str] = set()
        for mapping in mappings:
            engine = engines.setdefault(
                mapping.center, create_engine(settings.database(mapping.center))
            )
            for target in mapping.targets:
                label = f"{mapping.center}.{target.name}"
                if label in seen:
                    continue
                seen.add(label)
                with engine.connect() as conn:
                    rows = conn.execute(sa.select(target.table)).mappings().all()
                want = expected.get(label, {})
                have = {_key(target, r): mapping.project(target.name, dict(r)) for r in rows}
                diff.missing += [(label, k) for k in want.keys() - have.keys()]
                diff.extra += [(label, k) for k in have.keys() - want.keys()]
                diff.different += [
                    (label, k, want[k], have[k])
                    for k in want.keys() & have.keys()
                    if want[k] != have[k]
                ]
    finally:
        for engine in engines.values():
            engine.dispose()
    return diff


def wait_for(condition: Callable[[], bool], *, timeout: float = 60.0, step: float = 0.1) -> bool:
    """Poll ``condition`` until true or ``timeout`` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Background(threading.Thread):
    """Run ``target`` in a thread and re-raise its exception on ``join_checked``."""

    def __init__(self, target: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self._target_fn = target
        self.error: BaseException | None = None
        self.result: object = None

    def run(self) -> None:
        try:
            self.result = self._target_fn()
        except BaseException as exc:  # handed to the test thread
            self.error = exc

    def join_checked(self, timeout: float = 120.0) -> object:
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError("background work did not finish")
        if self.error is not None:
            raise self.error
        return self.result
