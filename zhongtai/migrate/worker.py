"""One backfill partition, chunk by chunk: bound, read, transform, prepare, upsert, checkpoint.

The backfill process (the CLI) walks a partition in key order. For each chunk it finds the
chunk's last key (one scan of the key index, :func:`source.chunk_end`) and hands the key range
to a *producer*, which reads the rows, transforms them, prepares the target values
(bind-processed tuples, :func:`writer.prepare_mapped`) and packs them for the target engine's
bulk path (:mod:`.packed`). Then, in key order, the CLI upserts each chunk in one target
transaction and commits its checkpoint. With ``--workers 1`` the CLI is the only producer;
with N workers it produces one chunk in N itself and a pool of N - 1 spawned processes
produces the others ahead (given the context the CLI built, :meth:`Engines.ship`), so reading
and transforming (most of the CPU) run in parallel with each other and with the writes.

Only the CLI writes — target and state database — so the guarantees never depend on the
producers: a chunk's checkpoint commits after its rows, chunks of a partition commit in key
order, and a resumed run fences off a stale one through the partition's ``owner`` token. A
pool producer dies with its parent (``kill -9`` of the CLI): a watchdog thread ends it.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import pickle
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.engine import Engine

from zhongtai.db import create_engine
from zhongtai.migrate import checkpoints, origin, packed, source, writer
from zhongtai.migrate.checkpoints import Fenced, Partition
from zhongtai.migrate.mapping import Mapping, Quarantine
from zhongtai.migrate.mappings import load
from zhongtai.migrate.packed import Packed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What the CLI needs to run one partition."""

    module: str
    mapping: str
    part: Partition
    legacy_url: str
    target_url: str
    state_url: str | None  # None: dry run, nothing is written anywhere
    chunk_size: int
    owner: str
    context: str | None = None  # ChunkTask.context for the producers of this partition


@dataclass(frozen=True)
class ChunkTask:
    """One chunk for a producer: the source rows ``after < key <= upto``; picklable."""

    module: str
    mapping: str
    legacy_url: str
    target_url: str
    after: Any
    upto: Any | None
    context: str | None = None  # a file holding the mapping's pickled Context (see ship())


@dataclass
class Chunk:
    """A producer's answer: how many rows it read, their prepared target rows, the rest."""

    rows_read: int = 0
    first_key: Any = None
    last_key: Any = None
    prepared: writer.Prepared | Packed = field(default_factory=list)
    quarantined: list[tuple[Any, str, str]] = field(default_factory=list)


@dataclass
class PartResult:
    part: int
    rows_read: int = 0
    rows_written: int = 0
    quarantined: int = 0
    chunks: int = 0
    reasons: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    stopped: str | None = None  # why the partition did not finish (fenced)


class Engines:
    """Engines of one process, by URL (built on first use, never at import time)."""

    def __init__(self, preset: dict[str, Engine] | None = None) -> None:
        self._engines = dict(preset or {})
        self._contexts: dict[str, source.Context] = {}
        self._built: dict[str, object] = {}  # lookups and groups by name, shared by mappings
        self._ready: set[str] = set()

    def get(self, url: str) -> Engine:
        if url not in self._engines:
            self._engines[url] = create_engine(url)
        return self._engines[url]

    def dialect(self, url: str):
        """The dialect of ``url`` as a connection initialises it (server version and all)."""
        engine = self.get(url)
        if url not in self._ready:
            with engine.connect():
                pass
            self._ready.add(url)
        return engine.dialect

    def context(self, mapping: Mapping, legacy: Engine) -> source.Context:
        # Groups and lookups are built once per process and mapping (one scan each).
        if mapping.name not in self._contexts:
            with legacy.connect() as conn:
                self._contexts[mapping.name] = source.build_context(conn, mapping, self._built)
        return self._contexts[mapping.name]

    def shipped(self, mapping: Mapping, path: str) -> source.Context:
        """The context the CLI built for ``mapping`` and shipped in file ``path``."""
        key = f"{mapping.name}@{path}"
        if key not in self._contexts:
            with open(path, "rb") as f:
                self._contexts[key] = pickle.load(f)  # noqa: S301 - our own run's file
        return self._contexts[key]

    def ship(self, mapping: Mapping, legacy: Engine, folder: str) -> str | None:
        """Write ``mapping``'s context (built here, lookups shared with the mappings before
        it) to a file in ``folder`` for pool producers, which then skip building their own
        (a scan of the people or the catalog each, twice the CPU with two producers); None
        when the context cannot be pickled (producers build it then)."""
        ctx = self.context(mapping, legacy)
        try:
            data = pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError):
            logger.debug("context of %s not picklable; producers build it", mapping.name)
            return None
        path = os.path.join(folder, f"{mapping.name}.context")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()


# Engines whose chunks travel packed (see :mod:`.packed`).
PACK = frozenset(e for e in packed.ENGINES if packed.available(e))

# Chunks between two explicit collections while a partition runs with the collector paused.
COLLECT_EVERY = 64


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restored on the way out).

    A chunk allocates a few hundred thousand rows, dicts and tuples that live until the chunk
    is written and hold no reference cycles; the collector would traverse them (and every
    long-lived lookup) again and again — about a third of the CPU of reading a chunk. Their
    reference counts free them; anything cyclic waits for the next collection.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def produce(task: ChunkTask, engines: Engines, mapping: Mapping | None = None) -> Chunk:
    """Read, transform and prepare one chunk (pure but for the read; writes nothing)."""
    mapping = mapping or load(task.module, task.mapping)
    legacy = engines.get(task.legacy_url)
    if task.context is not None:
        ctx = engines.shipped(mapping, task.context)
    else:
        ctx = engines.context(mapping, legacy)
    with gc_paused():
        return _produce(task, engines, mapping, legacy, ctx)


def _produce(task: ChunkTask, engines: Engines, mapping: Mapping, legacy, ctx) -> Chunk:
    with legacy.connect() as conn:
        records = source.read_chunk(
            conn, mapping, ctx, after=task.after, upto=task.upto, limit=None
        )
    if not records:
        return Chunk()
    key = mapping.key
    mapped, bad = [], []
    for record in records:
        out = mapping.apply(record)
        if isinstance(out, Quarantine):
            bad.append((record.row[key], out.reason, out.detail))
        else:
            mapped.append(out)
    dialect = engines.dialect(task.target_url)
    prepared = writer.prepare_mapped(dialect, mapping, mapped)
    if dialect.name in PACK:
        prepared = packed.pack(engines.get(task.target_url), mapping, prepared)
    return Chunk(len(records), records[0].row[key], records[-1].row[key], prepared, bad)


class _Done:
    """A chunk produced in this process, shaped like the pool's future."""

    def __init__(self, chunk: Chunk) -> None:
        self._chunk = chunk

    def result(self) -> Chunk:
        return self._chunk

    def cancel(self) -> bool:
        return True


def here(engines: Engines, mapping: Mapping) -> Callable[[ChunkTask], _Done]:
    """A submit function that produces each chunk in this process, right away (with the
    context built here, not the copy shipped to the pool)."""
    return lambda task: _Done(produce(replace(task, context=None), engines, mapping))


class TakeTurns:
    """A submit function that produces one chunk in ``every`` here and hands the others to
    ``remote`` (a pool's submit): the CLI is one of the producers instead of only waiting for
    them, and one process fewer competes for the cores."""

    def __init__(self, local: Callable, remote: Callable, every: int) -> None:
        self.local, self.remote, self.every = local, remote, every
        self.turn = -1

    def __call__(self, task: ChunkTask):
        self.turn = (self.turn + 1) % self.every
        return self.local(task) if self.turn == 0 else self.remote(task)


def run_partition(
    job: Job,
    engines: Engines,
    *,
    mapping: Mapping,
    submit: Callable[[ChunkTask], Any] | None = None,
    ahead: int = 1,
    report: Callable[[int], None] = lambda n: None,
) -> PartResult:
    """Process ``job.part`` from its checkpoint to its end (or until fenced off).

    ``submit(task)`` returns a future of a :class:`Chunk` (a pool's ``submit``); by default
    chunks are produced here. Up to ``ahead`` chunks are in flight; results are written in
    key order whatever order the producers finish in.

    Writes run on one writer thread, one chunk at a time, while this thread produces (or
    collects) the next chunk: the target database's side of a write (PostgreSQL's COPY and
    commit, SQLite's page writes) and the waits for it release the GIL, so they overlap the
    next chunk's reading and transforming. A chunk is handed to the writer only after the
    previous chunk's rows and checkpoint committed, so the order is the same as before.
    """
    if submit is None:
        submit, ahead = here(engines, mapping), 1
    legacy = engines.get(job.legacy_url)
    target = engines.get(job.target_url)
    state = engines.get(job.state_url) if job.state_url else None
    part = job.part
    result = PartResult(part.part)
    pending: deque = deque()
    writing: tuple[Future, int] | None = None  # the chunk being written, and its rows read
    after, exhausted = part.last_key, False
    handed = 0
    writer_thread = ThreadPoolExecutor(1, thread_name_prefix="backfill-writer")
    try:
        # GC stays off for the whole partition (not per chunk): the writer thread and this
        # one would otherwise switch it on under each other's feet.
        with gc_paused(), legacy.connect() as keys:
            while pending or not exhausted:
                while not exhausted and len(pending) < ahead:
                    end = source.chunk_end(
                        keys, mapping, after=after, upto=part.hi, size=job.chunk_size
                    )
                    keys.rollback()  # no long-lived snapshot on legacy
                    exhausted = end is None
                    upto = part.hi if end is None else end
                    task = ChunkTask(
                        job.module, job.mapping, job.legacy_url, job.target_url, after, upto,
                        job.context,
                    )  # fmt: skip
                    pending.append(submit(task))
                    after = upto
                chunk: Chunk = pending.popleft().result()
                if not chunk.rows_read:
                    continue
                if writing is not None:
                    part = _written(writing, report)
                    handed += 1
                    if handed % COLLECT_EVERY == 0:
                        gc.collect()  # whatever cyclic garbage the chunks so far left
                writing = (
                    writer_thread.submit(_commit, chunk, job, part, mapping, target, state, result),
                    chunk.rows_read,
                )
            if writing is not None:
                part = _written(writing, report)
                writing = None
    except Fenced as exc:
        result.stopped = str(exc)
        return result
    finally:
        for future in pending:  # stopped or failed: nothing more is written from them
            future.cancel()
        if writing is not None:  # failed here: let the chunk being written finish first
            try:
                writing[0].result()
            except Exception:  # noqa: BLE001 - the error already on its way matters more
                logger.debug("backfill write after a failure", exc_info=True)
        writer_thread.shutdown(wait=True)
    if state is not None:
        try:
            with state.begin() as conn:
                checkpoints.finish_partition(conn, part, job.owner)
        except Fenced as exc:
            result.stopped = str(exc)
    return result


def _written(writing: tuple[Future, int], report: Callable[[int], None]) -> Partition:
    """Wait for a chunk's write (raising what it raised, Fenced included); the partition."""
    future, rows = writing
    part = future.result()
    report(rows)
    return part


def _commit(chunk: Chunk, job: Job, part, mapping, target, state, result: PartResult):
    """Write one chunk, then its checkpoint and quarantine rows; the partition after it."""
    rows = chunk.prepared
    is_packed = isinstance(rows, Packed)
    written = rows.rows if is_packed else sum(len(values) for _, _, values in rows)
    if state is not None:
        # Marked as forward-synced data, so reverse capture never sends it back.
        with origin.transaction(target, origin.FORWARD) as conn:
            write = packed.write if is_packed else writer.write_prepared
            written = write(conn, mapping, rows)
        with state.begin() as conn:
            part = checkpoints.commit_chunk(
                conn,
                part,
                job.owner,
                first_key=chunk.first_key,
                last_key=chunk.last_key,
                rows_read=chunk.rows_read,
                rows_written=written,
                quarantined=chunk.quarantined,
            )
    for key, reason, detail in chunk.quarantined:
        result.reasons[reason] += 1
        result.examples.setdefault(reason, f"{key}: {detail}")
    result.rows_read += chunk.rows_read
    result.rows_written += written
    result.quarantined += len(chunk.quarantined)
    result.chunks += 1
    return part


# ----------------------------------------------------------------------------- pool side

_POOL: dict[str, Any] = {}


def init_pool(parent_pid: int) -> None:
    """Pool initializer: this process's engines, and a watchdog that ends it with its parent.

    A pool process holds both ends of the pool's task pipe, so it never sees EOF when the CLI
    is killed; the watchdog ends it instead (producers write nothing, so any moment is safe).
    """
    _POOL.update(engines=Engines())
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    os._exit(1)


def warm_up(modules: tuple[str, ...]) -> None:
    """A first pool task: import the mapping modules while the CLI still works on its own."""
    for module in modules:
        importlib.import_module(module)


def pool_produce(task: ChunkTask) -> Chunk:
    """Entry point of a pool process for one chunk."""
    return produce(task, _POOL["engines"])
