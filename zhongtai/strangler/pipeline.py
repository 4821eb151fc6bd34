"""Addon: the strangler's components behind one mitmproxy addon.

mitmproxy dispatches every event (about eight per request) to every loaded addon, looking each
hook up by name; with six small addons that dispatch cost more CPU than the addons' own work.
``Strangler`` is the only addon the proxy adds: it implements just the hooks the components
need and calls them in the order they must see a request — guard (strip unsigned control
headers, 413), metrics (own endpoints, counting), router (route, side, fallback, 410,
served-by), shadow (dry-run copies), control (hot reload, flushing, gates), store key sync.
The components keep their hook-shaped methods, so tests can drive each one alone.
"""

from __future__ import annotations

from mitmproxy import http

from zhongtai.strangler.control import Control
from zhongtai.strangler.guard import Guard
from zhongtai.strangler.metrics import Metrics
from zhongtai.strangler.router import Router
from zhongtai.strangler.shadow import Shadow
from zhongtai.strangler.storekeys_sync import StoreKeySync


class Strangler:
    def __init__(
        self,
        guard: Guard,
        metrics: Metrics,
        router: Router,
        shadow: Shadow,
        control: Control,
        store_keys: StoreKeySync,
    ) -> None:
        self.guard, self.metrics, self.router = guard, metrics, router
        self.shadow, self.control, self.store_keys = shadow, control, store_keys

    def running(self) -> None:
        self.control.running()
        self.store_keys.running()

    async def done(self) -> None:
        await self.shadow.done()
        await self.control.done()
        await self.store_keys.done()

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        self.guard.requestheaders(flow)

    async def request(self, flow: http.HTTPFlow) -> None:
        self.guard.request(flow)
        if self.metrics.answers(flow):
            await self.metrics.request(flow)
        await self.router.request(flow)
        self.shadow.request(flow)

    def response(self, flow: http.HTTPFlow) -> None:
        self.metrics.response(flow)
        self.router.response(flow)
        self.shadow.response(flow)  # copies leave after the answer is on its way

    def error(self, flow: http.HTTPFlow) -> None:
        self.metrics.error(flow)
        self.shadow.error(flow)
