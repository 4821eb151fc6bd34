"""What runs beside a plan walk: live traffic in a thread, sync workers as child processes.

``LiveTraffic`` runs ``zhongtai traffic`` against a target in back-to-back child processes
of a minute each (every run appends to the same acknowledged-write log) until stopped, and
keeps each run's summary with its time window, so errors can be told apart by when they
happened. Runs are long because a run paces each order's steps by its length (up to 5 s
between the POS steps of one order, as tills do); a stop ends the current run early.
``SyncWorker`` runs ``zhongtai migrate sync --follow [--reverse]`` as a child process in its
own session, stopped with SIGINT (it finishes its batch) and killed if it does not go.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zhongtai.errors import ServeError
from zhongtai.serving import stop_group

logger = logging.getLogger(__name__)


@dataclass
class TrafficRun:
    started: float  # time.monotonic()
    ended: float
    summary: dict | None  # TrafficSummary.as_dict()
    failure: str | None = None


class LiveTraffic:
    """Traffic of every client kind through ``target`` until :meth:`stop`.

    Each run is a ``zhongtai traffic --json`` child process (its own interpreter, so the
    load does not compete with the caller for the GIL); a stop asks the running one to end
    early (SIGTERM: no new arrivals, requests in flight finish, the summary is printed).
    """

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        target: str,
        *,
        rps: float,
        chunk: float = 60.0,
        seed: int = 7,
    ) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_dir / "traffic.log"
        self.target, self.rps, self.chunk, self.seed = target, rps, chunk, seed
        self.runs: list[TrafficRun] = []
        self._stop = threading.Event()
        self._proc: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._loop, name="live-traffic", daemon=True)

    def _one(self, number: int) -> TrafficRun:
        args = [sys.executable, "-m", "zhongtai.cli", "traffic", "--target", self.target]
        args += ["--rps", str(self.rps), "--duration", str(self.chunk)]
        args += ["--seed", str(self.seed + number), "--json"]
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            proc = self._proc = subprocess.Popen(
                args, env=self.env, stdout=subprocess.PIPE, stderr=log, start_new_session=True
            )
            waiter = threading.Thread(target=self._stop_when_asked, args=(proc,), daemon=True)
            waiter.start()
            out, _ = proc.communicate()
        try:
            return TrafficRun(started, time.monotonic(), json.loads(out))
        except json.JSONDecodeError:
            if self._stop.is_set() and proc.returncode == -signal.SIGTERM:
                # Stopped while it was still starting (before its handler was in place): it
                # sent nothing, so there is nothing to count and nothing went wrong.
                return TrafficRun(started, time.monotonic(), None)
            why = f"zhongtai traffic exited with {proc.returncode} (see {self.log_path})"
            return TrafficRun(started, time.monotonic(), None, why)

    def _stop_when_asked(self, proc: subprocess.Popen) -> None:
        while proc.poll() is None:
            if self._stop.wait(0.2):
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                return

    def _loop(self) -> None:
        number = 0
        while not self._stop.is_set():
            run = self._one(number)
            self.runs.append(run)
            if run.failure is not None:
                logger.warning("live traffic run failed: %s", run.failure)
                self._stop.wait(1.0)  # e.g. the target briefly not answering
            number += 1

    def start(self) -> LiveTraffic:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 45.0) -> None:
        """End the running run early and wait for its summary (requests are bounded)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        proc = self._proc
        if proc is not None and proc.poll() is None:  # it did not finish in time
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def totals(self, *, outside: Sequence[tuple[float, float]] = ()) -> dict:
        """Requests, acknowledged writes and errors; errors of runs overlapping ``outside``
        windows are counted apart (expected, e.g. during an induced fault)."""
        ran = sum(run.summary is not None for run in self.runs)
        out = {"runs": ran, "requests": 0, "acked": 0, "errors": 0, "expected_errors": 0}
        for run in self.runs:
            if run.summary is None:
                continue
            out["requests"] += run.summary["total_requests"]
            out["acked"] += run.summary["acked_writes"]
            during = any(run.started < end and run.ended > start for start, end in outside)
            out["expected_errors" if during else "errors"] += run.summary["errors"]
        return out

    def __enter__(self) -> LiveTraffic:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SyncWorker:
    """``zhongtai migrate sync --follow`` (forward or ``reverse``) as a child process."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        *,
        reverse: bool = False,
        poll: float | None = None,  # seconds between empty polls (None: the command's default)
    ) -> None:
        self.reverse, self.poll = reverse, poll
        self.name = "sync-reverse" if reverse else "sync-forward"
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> SyncWorker:
        args = [sys.executable, "-m", "zhongtai.cli", "migrate", "sync", "--follow"]
        args += ["--reverse"] if self.reverse else []
        args += ["--poll", str(self.poll)] if self.poll is not None else []
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            args, env=self.env, stdout=self._log, stderr=self._log, start_new_session=True
        )
        return self

    def failure(self) -> str | None:
        """Why the worker is no longer running (its exit code and log tail), or None."""
        if self.proc is None or self.proc.poll() is None:
            return None
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
        return f"{self.name} exited with {self.proc.returncode}: {' | '.join(tail)}"

    def check(self) -> None:
        """Raise if the worker died (its log tail says why)."""
        why = self.failure()
        if why is not None:
            raise ServeError(why, hint=f"see {self.log_path}")

    def stop(self, timeout: float = 15.0) -> None:
        stop_group(self.proc, signal.SIGINT, timeout)
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> SyncWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
