"""The platform in one process: every center under ``/centers/<name>``, ``/healthz``, and the
application layer (gateway) serving the legacy's external API at the root.

Two layouts, one URL scheme for callers:

* default: each center's FastAPI app (:func:`zhongtai.platform.http.create_center_app`) is
  mounted in this process; ``app.state.center_urls`` maps each center to
  ``<public_url>/centers/<name>``;
* ``remote_centers`` given (``zhongtai serve platform --split``): each center runs as its own
  process; this app forwards ``/centers/<name>/...`` to it (:mod:`.proxy`) and
  ``app.state.center_urls`` holds the centers' own base URLs, so callers skip the hop.

Outside callers reach every center over HTTP at ``app.state.center_urls`` in either layout.
The application layer (gateway) calls them through the same URLs and the same request/answer
bytes; in the default layout, unless ``loopback_http=True``, it hands each request to the
mounted center app in process (:mod:`zhongtai.platform.clients_local`: no socket, no second
HTTP parse) — the center app runs exactly as over HTTP. ``--split`` always uses HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from zhongtai.config import Settings
from zhongtai.platform.center import available_centers
from zhongtai.platform.clients import center_urls
from zhongtai.platform.gateway.app import install_gateway
from zhongtai.platform.http import create_center_app
from zhongtai.platform.proxy import CenterForwarder
from zhongtai.platform.uow import Clock, utc_now


def create_app(
    settings: Settings,
    *,
    public_url: str | None = None,
    remote_centers: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
    loopback_http: bool = False,
) -> FastAPI:
    """Build the platform app; ``public_url`` is where this app is reachable (for center URLs).

    ``loopback_http=True`` makes the gateway call the mounted centers over loopback HTTP
    instead of in process (the one-process layout only; for comparisons and benchmarks).
    """
    names = available_centers()
    mounted = {}
    forwarders = {}
    if remote_centers is None:
        mounted = {name: create_center_app(settings, name, clock=clock) for name in names}
        urls = center_urls(public_url or settings.url_for("platform"), names)
    else:
        forwarders = {name: CenterForwarder(name, remote_centers[name]) for name in names}
        urls = {name: remote_centers[name].rstrip("/") for name in names}

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await gateway.aclose()
        for sub in mounted.values():
            sub.state.center_runtime.dispose()
        for forwarder in forwarders.values():
            await forwarder.aclose()

    app = FastAPI(title="zhongtai middle platform", lifespan=lifespan)
    app.state.center_urls = urls
    app.state.settings = settings

    @app.get("/healthz")
    def healthz() -> dict:
        return {
            "status": "ok",
            "layout": "split" if forwarders else "one-process",
            "centers": urls,
        }

    for name in names:
        app.mount(f"/centers/{name}", mounted.get(name) or forwarders[name])
    # The application layer: the legacy's external API at the root, calling the centers
    # over HTTP at ``urls`` (see zhongtai.platform.gateway).
    gateway = install_gateway(app, settings, urls)
    if mounted and not loopback_http:
        gateway.pool.serve_locally(mounted)
    app.state.center_calls = "http" if forwarders or loopback_http else "in-process"
    return app
