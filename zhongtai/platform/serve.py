"""``zhongtai serve platform``: upgrade every center, then serve them in one process or split.

* default: one uvicorn process, each center mounted at ``/centers/<name>``; the gateway calls
  the mounted centers in process (``ZHONGTAI_PLATFORM_CENTER_CALLS=http`` makes it call them
  over loopback HTTP instead, for comparisons);
* ``split=True``: each center runs as a child ``zhongtai serve platform --center <name>`` on a
  free port, and this process serves the same ``/centers/<name>`` paths by forwarding to them;
* ``center=<name>``: serve that center alone (what each split child runs). A child watches its
  parent and exits when the parent is gone, so a killed parent leaves no orphans.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from zhongtai.config import Settings
from zhongtai.errors import ServeError
from zhongtai.platform.center import available_centers
from zhongtai.platform.migrations import upgrade_all, upgrade_center
from zhongtai.serving import ServiceProcess, free_port, serve_app

logger = logging.getLogger(__name__)
PARENT_ENV = "ZHONGTAI_PLATFORM_PARENT_PID"
CENTER_CALLS_ENV = "ZHONGTAI_PLATFORM_CENTER_CALLS"
CENTER_CALLS = ("in-process", "http")


def loopback_http_wanted(env: dict[str, str] | None = None) -> bool:
    """``ZHONGTAI_PLATFORM_CENTER_CALLS``: ``in-process`` (default) or ``http``."""
    value = (os.environ if env is None else env).get(CENTER_CALLS_ENV, "").strip().lower()
    if value in ("", "in-process"):
        return False
    if value == "http":
        return True
    raise ServeError(
        f"{CENTER_CALLS_ENV}={value!r} is not understood",
        hint="use in-process (the default) or http (gateway → centers over loopback HTTP)",
    )


def serve_platform(
    settings: Settings, *, host: str, port: int, split: bool = False, center: str | None = None
) -> None:
    """Upgrade the schemas, then serve until SIGINT/SIGTERM (children are always stopped)."""
    from zhongtai.platform.app import create_app
    from zhongtai.platform.http import create_center_app

    if center:
        upgrade_center(settings, center)
        _watch_parent()
        serve_app(create_center_app(settings, center), host, port, name="platform")
        return
    loopback_http = loopback_http_wanted()
    upgrade_all(settings)
    if not split:
        app = create_app(settings, public_url=f"http://{host}:{port}", loopback_http=loopback_http)
        serve_app(app, host, port, name="platform")
        return
    children = _start_children(settings, host)
    try:
        remote = {name: child.url for name, child in children.items()}
        serve_app(create_app(settings, remote_centers=remote), host, port, name="platform")
    finally:
        for child in children.values():
            child.stop()


def _start_children(settings: Settings, host: str) -> dict[str, ServiceProcess]:
    env = {PARENT_ENV: str(os.getpid())}
    if settings.config_file:
        env["ZHONGTAI_CONFIG"] = str(settings.config_file)
    children = {
        name: ServiceProcess(
            "platform",
            port=free_port(host),
            host=host,
            env=env,
            workspace=settings.workspace,
            log_dir=settings.workspace / "logs",
            extra_args=["--center", name],
        )
        for name in available_centers()
    }
    # All at once: each child imports, upgrades its own database and starts serving; started
    # one after the other, a busy machine made the whole start take minutes.
    try:
        with ThreadPoolExecutor(len(children)) as pool:
            started = pool.map(lambda child: child.start(), children.values())
            for name, child in zip(children, started, strict=True):
                logger.info("center %s serves on %s", name, child.url)
    except BaseException:
        for child in children.values():
            child.stop()
        raise
    return children


def _watch_parent() -> None:
    parent = os.environ.get(PARENT_ENV)
    if not parent:
        return

    def watch() -> None:
        # When the parent dies this process is re-parented, so getppid() changes.
        while os.getppid() == int(parent):
            time.sleep(1.0)
        logger.warning("parent %s is gone; stopping this center", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
