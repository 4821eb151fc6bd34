"""The loop both syncers run, and what they report.

A syncer is anything with ``step() -> BatchOutcome`` (apply one batch of captured changes),
``backlog() -> Backlog`` and ``close()``. ``--once`` steps until a batch comes back short
(everything visible when it started is applied); ``--follow`` keeps stepping until ``stop``
is set (Ctrl-C in the CLI). After a batch that drained the log the next one starts ``poll``
seconds after that batch *began* (:func:`pause_after`), at once when the batch took longer:
on a busy machine a batch can take seconds, and a full pause on top of it added its length
to the lag of every change that arrived meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from zhongtai.migrate.changelog import Backlog


@dataclass
class BatchOutcome:
    """One batch: changes consumed and what became of the rows they named."""

    changes: int = 0
    last_id: int = 0
    echoes: int = 0  # written by the other syncer: not applied (no echo)
    applied: Counter = field(default_factory=Counter)  # mapping → keys applied
    deferred: Counter = field(default_factory=Counter)  # mapping → keys put off
    quarantined: Counter = field(default_factory=Counter)  # mapping → keys not mappable
    out_of_scope: Counter = field(default_factory=Counter)  # reverse: written, store off platform
    conflicts: Counter = field(default_factory=Counter)  # reverse: legacy's newer write kept
    merged: Counter = field(default_factory=Counter)  # reverse: both sides wrote, merged
    concurrent: Counter = field(default_factory=Counter)  # forward: both wrote, left to reverse
    platform_newer: Counter = field(default_factory=Counter)  # forward: center row newer, kept
    rippled: Counter = field(default_factory=Counter)  # mapping → keys a changed fact added
    full: bool = False  # the batch was full: more changes are waiting


class Syncer(Protocol):
    direction: str

    def step(self) -> BatchOutcome: ...

    def backlog(self) -> Backlog: ...

    def close(self) -> None: ...


@dataclass
class SyncReport:
    direction: str
    batches: int = 0
    changes: int = 0
    echoes: int = 0
    last_id: int = 0
    applied: Counter = field(default_factory=Counter)
    deferred: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)
    out_of_scope: Counter = field(default_factory=Counter)
    conflicts: Counter = field(default_factory=Counter)
    merged: Counter = field(default_factory=Counter)
    concurrent: Counter = field(default_factory=Counter)
    platform_newer: Counter = field(default_factory=Counter)
    rippled: Counter = field(default_factory=Counter)
    backlog: Backlog = field(default_factory=Backlog)
    seconds: float = 0.0
    pruned: int = 0  # agreed states past their retention, deleted during the run

    def add(self, outcome: BatchOutcome) -> None:
        self.batches += 1
        self.changes += outcome.changes
        self.echoes += outcome.echoes
        self.last_id = max(self.last_id, outcome.last_id)
        for name in ("applied", "deferred", "quarantined", "out_of_scope", "conflicts",
                     "merged", "concurrent", "platform_newer", "rippled"):  # fmt: skip
            getattr(self, name).update(getattr(outcome, name))

    def as_dict(self) -> dict:
        return {
            "direction": self.direction,
            "batches": self.batches,
            "changes": self.changes,
            "echoes_skipped": self.echoes,
            "last_change_id": self.last_id,
            "applied": dict(self.applied),
            "deferred": dict(self.deferred),
            "quarantined": dict(self.quarantined),
            "out_of_scope": dict(self.out_of_scope),
            "conflicts": dict(self.conflicts),
            "merged": dict(self.merged),
            "concurrent": dict(self.concurrent),
            "platform_newer": dict(self.platform_newer),
            "rippled": dict(self.rippled),
            "agreed_pruned": self.pruned,
            "backlog": {
                "changes": self.backlog.count,
                "lag_seconds": self.backlog.oldest_seconds,
            },
            "seconds": round(self.seconds, 3),
        }


def pause_after(batch_seconds: float, poll: float) -> float:
    """Seconds to wait after a batch that drained the log and took ``batch_seconds``."""
    return max(0.0, poll - batch_seconds)


def run(
    syncer: Syncer,
    *,
    follow: bool = False,
    poll: float = 0.2,
    stop: threading.Event | None = None,
    on_batch: Callable[[BatchOutcome], None] | None = None,
    tidy: Callable[[], int] | None = None,
) -> SyncReport:
    """Step ``syncer`` once through its backlog, or until ``stop`` when following.
    ``tidy`` runs after each batch (it decides itself when there is work: the agreed states'
    :class:`~zhongtai.migrate.agreed.Pruner`); what it returns adds up in ``report.pruned``."""
    stop = stop or threading.Event()
    report = SyncReport(syncer.direction)
    started = time.monotonic()
    while not stop.is_set():
        began = time.monotonic()
        outcome = syncer.step()
        report.add(outcome)
        if on_batch is not None:
            on_batch(outcome)
        if tidy is not None:
            report.pruned += tidy()
        if outcome.full:
            continue
        if not follow:
            break
        stop.wait(pause_after(time.monotonic() - began, poll))
    flush = getattr(syncer, "flush", None)
    if follow and flush is not None:  # facts refreshed lazily while following: settle them
        report.add(flush())
    report.backlog = syncer.backlog()
    report.seconds = time.monotonic() - started
    return report
