"""A seeded dataset generated in memory (no database) for the seed's unit tests.

A helper module, not a conftest: ``seed_sample()`` generates the shared sample once per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from zhongtai.legacy import schema
from zhongtai.workload.dataset import LegacyDataset
from zhongtai.workload.quirks import QuirkDice

SAMPLE = {"stores": 40, "members": 3_000, "orders": 8_000, "seed": 7}


@dataclass
class Sample:
    tables: dict[str, list[dict]]  # every row as a dict keyed by column name
    dice: QuirkDice

    def by_id(self, table: str) -> dict[int, dict]:
        return {r["id"]: r for r in self.tables[table]}


def generate(**kwargs) -> Sample:
    """All rows of a dataset, tuple rows turned into dicts so tests read them by name."""
    dataset = LegacyDataset(**kwargs)
    tables: dict[str, list[dict]] = {name: [] for name in schema.metadata.tables}
    for chunk, _ in dataset.chunks():
        for name, rows in chunk.items():
            keys = schema.metadata.tables[name].columns.keys()
            tables[name].extend(
                dict(zip(keys, r, strict=True)) if isinstance(r, tuple) else r for r in rows
            )
    return Sample(tables, dataset.dice)


@cache
def seed_sample() -> Sample:
    """The shared sample (``SAMPLE`` sizes), generated on first use."""
    return generate(**SAMPLE)
