"""One backfill partition, chunk by chunk: read → transform → upsert → checkpoint.

Runs in the CLI process (``--workers 1``) or in a pool process (spawned, so engines are never
shared across a fork). A pool worker stops before its next chunk when its parent died (a
``kill -9`` of the CLI) and a resumed run fences it off through the partition's ``owner``
token, so a stray worker can never race the run that took its partition over.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from zhongtai.db import create_engine
from zhongtai.migrate import checkpoints, origin, source, writer
from zhongtai.migrate.checkpoints import Fenced, Partition
from zhongtai.migrate.mapping import Mapping, Quarantine
from zhongtai.migrate.mappings import load

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What a worker needs to run one partition; picklable for pool processes."""

    module: str
    mapping: str
    part: Partition
    legacy_url: str
    target_url: str
    state_url: str | None  # None: dry run, nothing is written anywhere
    chunk_size: int
    owner: str


@dataclass
class PartResult:
    part: int
    rows_read: int = 0
    rows_written: int = 0
    quarantined: int = 0
    chunks: int = 0
    reasons: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    stopped: str | None = None  # why the partition did not finish (fenced, orphaned)


class Engines:
    """Engines of one process, by URL (built on first use, never at import time)."""

    def __init__(self, preset: dict[str, Engine] | None = None) -> None:
        self._engines = dict(preset or {})
        self._contexts: dict[str, source.Context] = {}
        self._built: dict[str, object] = {}  # lookups and groups by name, shared by mappings

    def get(self, url: str) -> Engine:
        if url not in self._engines:
            self._engines[url] = create_engine(url)
        return self._engines[url]

    def context(self, mapping: Mapping, legacy: Engine) -> source.Context:
        # Groups and lookups are built once per process and mapping (one scan each).
        if mapping.name not in self._contexts:
            with legacy.connect() as conn:
                self._contexts[mapping.name] = source.build_context(conn, mapping, self._built)
        return self._contexts[mapping.name]

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()


def run_partition(
    job: Job,
    engines: Engines,
    *,
    mapping: Mapping | None = None,
    report: Callable[[int], None] = lambda n: None,
    alive: Callable[[], bool] = lambda: True,
) -> PartResult:
    """Process ``job.part`` from its checkpoint to its end (or until stopped)."""
    mapping = mapping or load(job.module, job.mapping)
    legacy = engines.get(job.legacy_url)
    target = engines.get(job.target_url)
    state = engines.get(job.state_url) if job.state_url else None
    ctx = engines.context(mapping, legacy)
    part = job.part
    result = PartResult(part.part)
    after = part.last_key
    with legacy.connect() as src:
        while True:
            if not alive():
                result.stopped = "parent process gone"
                return result
            records = source.read_chunk(
                src, mapping, ctx, after=after, upto=part.hi, limit=job.chunk_size
            )
            src.rollback()  # end the read transaction: no long-lived snapshot on legacy
            if not records:
                break
            mapped, bad = [], []
            for record in records:
                out = mapping.apply(record)
                if isinstance(out, Quarantine):
                    key = record.row[mapping.key]
                    bad.append((key, out.reason, out.detail))
                    result.reasons[out.reason] += 1
                    result.examples.setdefault(out.reason, f"{key}: {out.detail}")
                else:
                    mapped.append(out)
            first, last = records[0].row[mapping.key], records[-1].row[mapping.key]
            written = sum(len(rows) for m in mapped for rows in m.values())
            if state is not None:
                # Marked as forward-synced data, so reverse capture never sends it back.
                with origin.transaction(target, origin.FORWARD) as conn:
                    written = writer.write_mapped(conn, mapping, mapped)
                try:
                    with state.begin() as conn:
                        part = checkpoints.commit_chunk(
                            conn,
                            part,
                            job.owner,
                            first_key=first,
                            last_key=last,
                            rows_read=len(records),
                            rows_written=written,
                            quarantined=bad,
                        )
                except Fenced as exc:
                    result.stopped = str(exc)
                    return result
            result.rows_read += len(records)
            result.rows_written += written
            result.quarantined += len(bad)
            result.chunks += 1
            after = last
            report(len(records))
    if state is not None:
        try:
            with state.begin() as conn:
                checkpoints.finish_partition(conn, part, job.owner)
        except Fenced as exc:
            result.stopped = str(exc)
    return result


# ----------------------------------------------------------------------------- pool side

_POOL: dict[str, Any] = {}


def init_pool(queue, parent_pid: int) -> None:
    """Pool initializer: remember the progress queue, and die with the parent.

    A pool worker holds both ends of the pool's task pipe, so it never sees EOF when the CLI
    is killed; the watchdog ends it instead (mid-chunk is safe: the chunk's transaction is
    aborted and a resumed run redoes that chunk).
    """
    _POOL.update(queue=queue, parent=parent_pid, engines=Engines())
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    os._exit(1)


def pool_run(job: Job) -> PartResult:
    """Entry point of a pool process for one partition."""
    queue = _POOL["queue"]
    parent = _POOL["parent"]
    return run_partition(
        job,
        _POOL["engines"],
        report=lambda n: queue.put((job.mapping, n)),
        alive=lambda: os.getppid() == parent,
    )
