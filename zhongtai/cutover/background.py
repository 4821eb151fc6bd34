"""What runs beside a plan walk: live traffic in a thread, sync workers as child processes.

``LiveTraffic`` drives ``zhongtai traffic`` against a target in back-to-back runs of a minute
each (every run appends to the same acknowledged-write log) until stopped, and keeps each
run's summary with its time window, so errors can be told apart by when they happened. Runs
are long because a run paces each order's steps by its length (up to 5 s between the POS
steps of one order, as tills do), and a stop ends the current run early.
``SyncWorker`` runs ``zhongtai migrate sync --follow [--reverse]`` as a child process in its
own session, stopped with SIGINT (it finishes its batch) and killed if it does not go.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from zhongtai.config import Settings
from zhongtai.errors import ServeError, ZhongtaiError

logger = logging.getLogger(__name__)


@dataclass
class TrafficRun:
    started: float  # time.monotonic()
    ended: float
    summary: object | None  # TrafficSummary
    failure: str | None = None


class LiveTraffic:
    """Traffic of every client kind through ``target`` until :meth:`stop`."""

    def __init__(
        self, settings: Settings, target: str, *, rps: float, chunk: float = 60.0, seed: int = 7
    ) -> None:
        self.settings, self.target, self.rps, self.chunk, self.seed = (
            settings,
            target,
            rps,
            chunk,
            seed,
        )
        self.runs: list[TrafficRun] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="live-traffic", daemon=True)

    def _loop(self) -> None:
        from zhongtai.workload.traffic import run_traffic

        number = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                summary = run_traffic(
                    self.settings,
                    target=self.target,
                    rps=self.rps,
                    duration=self.chunk,
                    seed=self.seed + number,
                    stop=self._stop,
                )
                self.runs.append(TrafficRun(started, time.monotonic(), summary))
            except ZhongtaiError as exc:  # e.g. the target briefly not answering
                self.runs.append(TrafficRun(started, time.monotonic(), None, exc.message))
                self._stop.wait(1.0)
            number += 1

    def start(self) -> LiveTraffic:
        self._thread.start()
        return self

    def stop(self, timeout: float = 45.0) -> None:
        """Let the current run finish (its requests are bounded by their timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def totals(self, *, outside: list[tuple[float, float]] = ()) -> dict:
        """Requests, acknowledged writes and errors; errors of runs overlapping ``outside``
        windows are counted apart (expected, e.g. during an induced fault)."""
        out = {"runs": len(self.runs), "requests": 0, "acked": 0, "errors": 0, "expected_errors": 0}
        for run in self.runs:
            if run.summary is None:
                continue
            out["requests"] += run.summary.total_requests
            out["acked"] += run.summary.acked_writes
            during = any(run.started < end and run.ended > start for start, end in outside)
            out["expected_errors" if during else "errors"] += run.summary.errors
        return out

    def __enter__(self) -> LiveTraffic:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SyncWorker:
    """``zhongtai migrate sync --follow`` (forward or ``reverse``) as a child process."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, reverse: bool = False) -> None:
        self.reverse = reverse
        self.name = "sync-reverse" if reverse else "sync-forward"
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> SyncWorker:
        args = [sys.executable, "-m", "zhongtai.cli", "migrate", "sync", "--follow"]
        args += ["--reverse"] if self.reverse else []
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            args, env=self.env, stdout=self._log, stderr=self._log, start_new_session=True
        )
        return self

    def check(self) -> None:
        """Raise if the worker died (its log tail says why)."""
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise ServeError(
                f"{self.name} exited with {self.proc.returncode}: {' | '.join(tail)}",
                hint=f"see {self.log_path}",
            )

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> SyncWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
