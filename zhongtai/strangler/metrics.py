"""Addon: count every answer per route and side, and serve the proxy's own endpoints.

``GET {proxy.metrics_path}`` (default ``/_zhongtai/metrics``) answers Prometheus text summed
over every proxy process (the others' figures come from their snapshots in the state
database); ``GET /_zhongtai/healthz`` says this process is up, with the route table and store
key directory versions it has loaded. ``/healthz`` itself is a legacy
route and goes through the route table like any other request.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from mitmproxy import http

from zhongtai.strangler.figures import RouteFigures, combine
from zhongtai.strangler.prometheus import render
from zhongtai.strangler.router import DECISION
from zhongtai.strangler.runtime import Runtime

HEALTH_PATH = "/_zhongtai/healthz"


class Metrics:
    def __init__(self, rt: Runtime, others: Callable[[], list[dict]]) -> None:
        self.rt = rt
        self.others = others  # blocking: the other processes' snapshots

    def answers(self, flow: http.HTTPFlow) -> bool:
        """Is this a request for one of the proxy's own endpoints? (cheap, no await)"""
        if flow.response is not None or flow.request.method != "GET":
            return False
        path = flow.request.path
        return path.startswith(HEALTH_PATH) or bool(
            self.rt.settings.metrics_path and path.startswith(self.rt.settings.metrics_path)
        )

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None or flow.request.method != "GET":
            return
        path = flow.request.path.split("?", 1)[0]
        if path == HEALTH_PATH:
            keys = self.rt.store_keys
            body = {
                "status": "ok",
                "instance": self.rt.instance,
                "version": self.rt.table.version,
                "stores_version": keys.directory.version,  # the store key directory loaded
                "learned_orders": len(keys.orders),
            }
            flow.response = http.Response.make(
                200, json.dumps(body).encode(), {"content-type": "application/json"}
            )
        elif self.rt.settings.metrics_path and path == self.rt.settings.metrics_path:
            text = render(self.rt.table, await self.combined())
            flow.response = http.Response.make(
                200, text.encode(), {"content-type": "text/plain; version=0.0.4; charset=utf-8"}
            )

    async def combined(self) -> dict[str, RouteFigures]:
        """This process's live figures plus every other process's last snapshot."""
        revisions = {r.name: r.revision for r in self.rt.table.routes}
        mine = self.rt.book.to_dict()
        others = await asyncio.to_thread(self.others)
        return combine([mine, *others], revisions)

    def response(self, flow: http.HTTPFlow) -> None:
        dec = flow.metadata.get(DECISION)
        if dec is None or dec.side not in ("legacy", "platform"):
            return
        resp = flow.response
        seconds = (resp.timestamp_end or time.time()) - (flow.request.timestamp_end or time.time())
        fig = self.rt.figures(dec.route)
        fig.sides[dec.side].observe(max(seconds, 0.0), error=resp.status_code >= 500)

    def error(self, flow: http.HTTPFlow) -> None:
        dec = flow.metadata.get(DECISION)
        if dec is None or dec.side not in ("legacy", "platform") or flow.response is not None:
            return
        if flow.error and "client" in flow.error.msg.lower():
            return  # the client went away: not the upstream's failure
        seconds = time.time() - (flow.request.timestamp_end or time.time())
        self.rt.figures(dec.route).sides[dec.side].observe(max(seconds, 0.0), error=True)
