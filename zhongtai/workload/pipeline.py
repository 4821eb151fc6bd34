"""Generate the seed's chunks in a child process while the parent writes them (I/O edge).

Generating rows costs about as much CPU as the driver spends writing them, so a large seed
runs the generator (``dataset.LegacyDataset``, deterministic) in a spawned child that sends
ready-to-write tuples through a bounded queue; the parent only writes. Small seeds stay in
one process, where starting a child would cost more than it saves. Either way the rows are
the same, in the same order, and the quirk tallies come back with the last message.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import queue
import traceback
from collections.abc import Iterator
from operator import itemgetter

from zhongtai.legacy import schema
from zhongtai.workload.dataset import Chunk, LegacyDataset
from zhongtai.workload.writer import plain

PARALLEL_FROM = 40_000  # orders; below this a child process is not worth its start-up
QUEUE_CHUNKS = 3  # chunks in flight: bounds the memory the child can run ahead with
POLL_SECONDS = 1.0


class GeneratorFailed(RuntimeError):
    """The generator child raised or died; carries its traceback text."""


class ChunkStream:
    """Chunks of a ``LegacyDataset``; ``hits``/``eligible`` are its quirk tallies once done."""

    def __init__(self, dataset_args: dict, parallel: bool) -> None:
        self.args, self.parallel = dataset_args, parallel
        self.hits: dict[str, int] = {}
        self.eligible: dict[str, int] = {}

    def __iter__(self) -> Iterator[Chunk]:
        return self._in_child() if self.parallel else self._in_process()

    def _in_process(self) -> Iterator[Chunk]:
        try:
            dataset = LegacyDataset(**self.args)
            yield from dataset.chunks()
        except ValueError as exc:  # bad sizes, a store out of order numbers
            raise GeneratorFailed(f"{type(exc).__name__}: {exc}") from exc
        self.hits, self.eligible = dict(dataset.dice.hits), dict(dataset.dice.eligible)

    def _in_child(self) -> Iterator[Chunk]:
        ctx = mp.get_context("spawn")  # no fork: the parent may run threads (progress bar)
        channel = ctx.Queue(maxsize=QUEUE_CHUNKS)
        child = ctx.Process(target=produce, args=(self.args, channel), daemon=True)
        child.start()
        try:
            while True:
                try:
                    message = channel.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    if not child.is_alive():
                        raise GeneratorFailed(
                            f"the seed generator exited with code {child.exitcode}"
                        ) from None
                    continue
                kind = message[0]
                if kind == "chunk":
                    yield message[1], message[2]
                elif kind == "done":
                    self.hits, self.eligible = message[1], message[2]
                    return
                else:
                    raise GeneratorFailed(message[1])
        finally:
            if child.is_alive():
                child.terminate()
            child.join(timeout=10)
            channel.close()


def produce(dataset_args: dict, channel) -> None:
    """Child entry: send every chunk as tuples, then the tallies (or the error)."""
    gc.disable()  # millions of acyclic rows, freed by reference counting
    try:
        dataset = LegacyDataset(**dataset_args)
        for rows, orders in dataset.chunks():
            channel.put(("chunk", as_tuples(rows), orders))
        channel.put(("done", dict(dataset.dice.hits), dict(dataset.dice.eligible)))
    except BaseException as exc:  # report anything, then let the child end
        channel.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def as_tuples(rows: dict[str, list]) -> dict[str, list]:
    """Dict rows of plain tables as tuples in column order (cheaper to send and to write)."""
    out = {}
    for name, table_rows in rows.items():
        table = schema.metadata.tables[name]
        if table_rows and isinstance(table_rows[0], dict) and plain(table):
            getter = itemgetter(*table.columns.keys())
            table_rows = [getter(r) for r in table_rows]
        out[name] = table_rows
    return out
