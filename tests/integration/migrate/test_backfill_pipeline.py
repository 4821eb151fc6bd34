"""The backfill pipeline: producers finishing out of order still commit chunks in key order.

Producers here are threads whose early chunks finish last (each waits until every later chunk
in flight is produced), so any reordering or gap in the writer would show in the checkpoints
or in the target. The target must equal a plain in-process run's, chunk for chunk.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from zhongtai.legacy import schema as ls
from zhongtai.migrate import checkpoints, worker
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.checkpoints import Partition
from zhongtai.migrate.mappings import all_mappings

CHUNK = 17
AHEAD = 4


class _LateFirst:
    """A submit function whose chunks finish in reverse order within each window of AHEAD."""

    def __init__(self, engines: worker.Engines, mapping) -> None:
        self.pool = ThreadPoolExecutor(AHEAD)
        self.engines, self.mapping = engines, mapping
        self.done: list[int] = []  # task numbers in the order production finished
        self.cond = threading.Condition()
        self.count = 0

    def __call__(self, task: worker.ChunkTask):
        number = self.count
        self.count += 1
        return self.pool.submit(self._produce, number, task)

    def _produce(self, number: int, task: worker.ChunkTask) -> worker.Chunk:
        chunk = worker.produce(task, self.engines, self.mapping)
        window_end = (number // AHEAD + 1) * AHEAD
        with self.cond:
            # Wait (bounded) until the later tasks of this window finished, or none will come.
            self.cond.wait_for(
                lambda: all(n in self.done for n in range(number + 1, min(window_end, self.count))),
                timeout=5,
            )
            self.done.append(number)
            self.cond.notify_all()
        return chunk


def test_out_of_order_producers_commit_in_key_order(migrate_env, env_factory, monkeypatch):
    reference = env_factory(migrate_env.url("legacy"))
    backfill(reference.settings, ["stores", "products", "members", "orders"], chunk_size=CHUNK)
    backfill(migrate_env.settings, ["stores", "products", "members"], chunk_size=CHUNK)

    mapping = all_mappings()["orders"]
    settings = migrate_env.settings
    state_url, owner = settings.database("state"), "test-owner"
    engines = worker.Engines()
    (lo, hi, total), = migrate_env.legacy(
        sa.select(sa.func.min(ls.t_order.c.id), sa.func.max(ls.t_order.c.id), sa.func.count())
    )  # fmt: skip
    with engines.get(state_url).begin() as conn:
        (part,) = checkpoints.plan(conn, "orders", [(lo - 1, None)], total=total, chunk_size=CHUNK)
        checkpoints.claim(conn, "orders", 0, owner)
    committed: list[tuple[int, int]] = []
    real_commit = checkpoints.commit_chunk

    def recording(conn, p, own, **kw):
        committed.append((kw["first_key"], kw["last_key"]))
        return real_commit(conn, p, own, **kw)

    monkeypatch.setattr(checkpoints, "commit_chunk", recording)
    submit = _LateFirst(engines, mapping)
    job = worker.Job("", "orders", part, settings.database("legacy"), settings.database("order"),
                     state_url, CHUNK, owner)  # fmt: skip
    try:
        result = worker.run_partition(job, engines, mapping=mapping, submit=submit, ahead=AHEAD)
    finally:
        submit.pool.shutdown()
        engines.dispose()

    assert result.stopped is None and result.rows_read == total
    assert submit.done != sorted(submit.done), "the producers did finish out of order"
    assert [a for a, _ in committed] == sorted(a for a, _ in committed)
    assert all(b < c for (_, b), (c, _) in zip(committed, committed[1:], strict=False))
    assert len(committed) == -(-total // CHUNK)
    dump, expected = migrate_env.dump(), reference.dump()
    for table in ("order.orders", "order.order_items", "order.order_status_history"):
        assert dump[table] == expected[table], table
    with engines.get(state_url).connect() as conn:
        (stored,) = checkpoints.partitions(conn, "orders")
    assert isinstance(stored, Partition) and stored.done and stored.last_key == hi
