"""Addon: match the route, pick the side, point the flow at it; answer for retired routes.

A canary read chosen for the platform on a route with ``fallback`` is sent by the proxy itself
(aiohttp) so that a platform failure — refused connection, timeout or 5xx — can still be
answered from legacy: mitmproxy cannot hand a flow to a second upstream once its own
connection attempt failed. Every other request is forwarded by mitmproxy.

Sticky keys are resolved through the store key directory (``rt.store_keys``: dict lookups,
no I/O), so every store identifier buckets as its store code; unknown ones are counted per
route. On routes whose keys include a channel order id, an answered request (< 400) that named
both its store and the order teaches the proxy that order's store, for later pushes that carry
only the order id — in every stage, so orders placed before a canary are known during it.
"""

from __future__ import annotations

import logging
import time

from mitmproxy import http

from zhongtai.strangler import signing
from zhongtai.strangler.decision import Decision, choose_side, plan_shadow, want_aa
from zhongtai.strangler.guard import CONTROL, proxy_reply
from zhongtai.strangler.handover import field_dict, request_parts
from zhongtai.strangler.keys import RequestView, find_key, order_ids
from zhongtai.strangler.routes import READ_METHODS
from zhongtai.strangler.runtime import HOP_BY_HOP, Copy, Runtime, Upstream
from zhongtai.strangler.stages import Stage
from zhongtai.strangler.storekeys import ORDER_KINDS

logger = logging.getLogger(__name__)
DECISION = "zhongtai.decision"
BODY = frozenset({"json", "form", "xml"})  # key sources that read the request body
SHADOWED = (Stage.SHADOW, Stage.CANARY)  # stages whose legacy-served requests are copied


def copy_request(flow: http.HTTPFlow) -> Copy:
    return request_parts(flow).copy()


def point_at(flow: http.HTTPFlow, upstream: Upstream) -> None:
    req = flow.request
    if req.port == upstream.port and req.host == upstream.host and req.scheme == upstream.scheme:
        return  # already there (reverse mode points every request at legacy)
    req.scheme = upstream.scheme
    req.host = upstream.host  # also rewrites the Host header
    req.port = upstream.port


class Router:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None:  # answered by the guard or a proxy endpoint
            return
        req = flow.request
        match = self.rt.table.match(req.method, req.path)
        route = match.route
        dec = Decision(route, match.params)
        flow.metadata[DECISION] = dec
        if route.stage is Stage.RETIRED:
            dec.side = "proxy"
            flow.response = proxy_reply(
                410,
                41000,
                f"{req.method} {req.path.split('?')[0]} is retired (route {route.name}); "
                "it no longer serves requests: move the client to the platform API",
            )
            return
        learns = any(spec.kind in ORDER_KINDS for spec in route.keys)
        if route.keys and (learns or route.stage in SHADOWED):
            self._find_key(flow, dec, learns)
        control = flow.metadata.get(CONTROL)
        forced = control.get(signing.SIDE) if control else None
        if control and control.get(signing.SHADOW) == signing.DRY_RUN:
            # An operator's signed dry run: only the platform can roll a write back.
            forced = "platform"
            req.headers[signing.SHADOW] = signing.DRY_RUN
        dec.forced = forced in ("legacy", "platform")
        dec.side = choose_side(route, dec.key, forced)
        # Only a legacy-served request of a shadow or canary route can be copied; the guard
        # left no control header on a request that had none ({}), so nothing to look up then.
        if (
            dec.side == "legacy"
            and route.stage in SHADOWED
            and (control == {} or signing.SHADOW not in req.headers)
        ):
            dec.shadow = plan_shadow(route, req.method, dec.side)
            dec.aa = want_aa(route, req.method, dec.shadow, self.rt.settings.aa_percent / 100)
        if dec.side == "platform":
            if route.stage is Stage.CANARY and route.fallback and req.method in READ_METHODS:
                await self._read_with_fallback(flow, dec)
            else:
                point_at(flow, self.rt.platform)
        else:
            point_at(flow, self.rt.legacy)

    def _find_key(self, flow: http.HTTPFlow, dec: Decision, learns: bool) -> None:
        req, route = flow.request, dec.route
        # Only what the route's key specs read: a path-keyed read decodes no header, query
        # or body (about half the router's CPU on a shadowed GET before).
        sources = {spec.source for spec in route.keys}
        body = not sources.isdisjoint(BODY)  # the content type matters only to a body
        view = RequestView(
            dec.params,
            dict(req.query.items()) if "query" in sources else {},
            field_dict(req.headers.fields) if "header" in sources else {},
            (req.get_content(strict=False) or b"") if body else b"",
            req.headers.get("content-type", "") if body else "",
        )
        hit = find_key(route.keys, view, self.rt.store_keys.resolve)
        if hit is None:
            return
        dec.key = hit.key
        if not hit.known:
            self.rt.figures(route).count_unknown(hit.spec.kind or "raw", hit.raw)
        if learns and hit.key is not None and hit.spec.kind not in ORDER_KINDS:
            dec.teach = [(kind, value, hit.key) for kind, value in order_ids(route.keys, view)]

    async def _read_with_fallback(self, flow: http.HTTPFlow, dec: Decision) -> None:
        started = time.perf_counter()
        reason = ""
        try:
            reply = await self.rt.send(self.rt.platform, copy_request(flow))
            if reply.status < 500:
                headers = [
                    (k.encode(), v.encode())
                    for k, v in reply.headers.items()
                    if k.lower() not in HOP_BY_HOP
                ]
                flow.response = http.Response.make(reply.status, reply.body, headers)
                return
            reason = f"HTTP {reply.status}"
        except Exception as exc:  # any failure of the platform means: answer from legacy
            reason = f"{type(exc).__name__}: {exc}"
        fig = self.rt.figures(dec.route)
        fig.sides["platform"].observe(time.perf_counter() - started, error=True)
        fig.fallbacks += 1
        logger.info(
            "platform read %s failed (%s); answering from legacy", flow.request.path, reason
        )
        dec.side, dec.fell_back = "legacy", True
        point_at(flow, self.rt.legacy)

    def response(self, flow: http.HTTPFlow) -> None:
        dec = flow.metadata.get(DECISION)
        if dec is not None and dec.teach and flow.response and flow.response.status_code < 400:
            for kind, value, key in dec.teach:
                self.rt.store_keys.learn(kind, value, key)
        if self.rt.settings.served_by_header and flow.response is not None:
            # No decision: the guard or a proxy endpoint answered.
            flow.response.headers[signing.SERVED_BY] = dec.side if dec else "proxy"
