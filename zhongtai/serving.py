"""Running servers: one in this process (``serve_app``) or several as child processes.

``ServiceProcess`` starts ``zhongtai serve <name>`` as a child, waits until ``/healthz``
answers, and stops it (SIGTERM, then SIGKILL) — the demo and the integration tests use it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from zhongtai.errors import ServeError

logger = logging.getLogger(__name__)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve_app(app, host: str, port: int, *, name: str, workers: int = 1) -> None:
    """Serve an ASGI app with uvicorn in this process until SIGINT/SIGTERM."""
    import uvicorn

    if not port_is_free(host, port):
        raise ServeError(
            f"cannot serve {name}: {host}:{port} is already in use",
            hint=f"stop what listens there, or pass --port (ZHONGTAI_SERVE_{name.upper()}_PORT)",
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        # The same for legacy, platform and centers, so their figures compare fairly:
        # uvloop and httptools when installed (pyproject asks for both), else pure Python.
        loop="auto",
        http="auto",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        workers=workers if workers > 1 else None,
    )


def wait_until_healthy(
    url: str, *, timeout: float = 30.0, proc: subprocess.Popen | None = None
) -> None:
    """Poll ``url`` until it answers 200; fail early if ``proc`` dies."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServeError(f"{url} did not come up: the process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    raise ServeError(f"{url} did not answer within {timeout:.0f}s ({last})")


def stop_group(proc: subprocess.Popen | None, sig: int, timeout: float) -> None:
    """Send ``sig`` to the process group of ``proc`` (started with ``start_new_session``) and
    wait up to ``timeout`` seconds; SIGKILL it if it does not exit by then."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


class ServiceProcess:
    """A ``zhongtai serve NAME`` child process, started healthy and always stopped."""

    def __init__(
        self,
        name: str,
        *,
        port: int,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        workspace: Path | None = None,
        log_dir: Path | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.name, self.host, self.port = name, host, port
        self.env = {**os.environ, **(env or {})}
        self.workspace = workspace
        self.log_dir = log_dir
        self.extra_args = extra_args or []
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        args = [sys.executable, "-m", "zhongtai.cli"]
        if self.workspace:
            args += ["--workspace", str(self.workspace)]
        args += [
            "serve",
            self.name,
            "--port",
            str(self.port),
            "--host",
            self.host,
            *self.extra_args,
        ]
        out = subprocess.DEVNULL
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_dir / f"{self.name}.log", "ab")  # noqa: SIM115
            out = self._log
        self.proc = subprocess.Popen(
            args, env=self.env, stdout=out, stderr=out, start_new_session=True
        )
        try:
            wait_until_healthy(f"{self.url}/healthz", timeout=timeout, proc=self.proc)
        except BaseException:
            self.stop()
            raise
        logger.info("started %s on %s (pid %s)", self.name, self.url, self.proc.pid)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        stop_group(self.proc, signal.SIGTERM, timeout)
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
