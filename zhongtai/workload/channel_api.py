"""The simulated Meituan / Eleme open API that compensation pulls call (``zhongtai serve channel``).

Real platforms keep the orders a merchant has not acknowledged and hand them out again on
request (Eleme's ``eleme.order.getUnprocessOrders``). Here the traffic generator deposits the
orders whose push it "lost" on purpose, and the legacy pull (or the platform's) fetches them:

* ``POST /{channel}/orders`` ``{"shop": "<shop id>", "order": {<new-push payload>}}``
* ``GET /{channel}/orders/unprocessed?shop=<shop id>&since=<cursor>`` →
  ``{"orders": [...], "cursor": "<opaque>"}``: the shop's orders deposited after ``since``
  (all of them when ``since`` is empty), oldest first, at most ``PAGE`` of them.
* ``GET /healthz``

The payload is what a "new" push carries: Meituan's form fields as a JSON object, or Eleme's
message object. State lives in memory, per process.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

CHANNELS = ("meituan", "eleme")
PAGE = 100
ID_FIELDS = {"meituan": ("order_id",), "eleme": ("id", "orderId")}


class BadRequest(ValueError):
    """A request the channel API refuses, with a message saying what to send instead."""


@dataclass
class ChannelOrders:
    """Deposited orders per channel, in arrival order (pure)."""

    entries: dict[str, list[tuple[int, str, str, dict]]] = field(
        default_factory=lambda: {ch: [] for ch in CHANNELS}
    )
    index: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, id) -> seq
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def deposit(self, channel: str, shop: Any, order: Any) -> tuple[int, bool]:
        """Keep ``order`` for ``shop``; ``(seq, created)``, a repeated order id keeps its seq."""
        _check_channel(channel)
        if not isinstance(shop, str | int) or isinstance(shop, bool) or not str(shop).strip():
            raise BadRequest(f"'shop' must be the channel shop id, got {shop!r}")
        if not isinstance(order, dict):
            raise BadRequest("'order' must be the JSON object a new-order push carries")
        order_id = next((order[f] for f in ID_FIELDS[channel] if order.get(f)), None)
        if order_id is None:
            fields = " or ".join(repr(f) for f in ID_FIELDS[channel])
            raise BadRequest(f"a {channel} order needs its platform id in {fields}")
        if (channel, str(order_id)) in self.index:
            return self.index[(channel, str(order_id))], False
        seq = next(self._seq)
        self.index[(channel, str(order_id))] = seq
        self.entries[channel].append((seq, str(shop), str(order_id), order))
        return seq, True

    def unprocessed(self, channel: str, shop: str, since: str | None) -> tuple[list[dict], str]:
        """The shop's orders after cursor ``since``, and the cursor to send next time."""
        _check_channel(channel)
        if not shop:
            raise BadRequest("query parameter 'shop' (the channel shop id) is required")
        try:
            after = int(since) if since else 0
        except ValueError:
            raise BadRequest(f"cursor {since!r} is not one this API handed out") from None
        page = [e for e in self.entries[channel] if e[0] > after and e[1] == shop][:PAGE]
        cursor = str(page[-1][0]) if page else str(after)
        return [order for *_, order in page], cursor

    def counts(self) -> dict[str, int]:
        return {ch: len(entries) for ch, entries in self.entries.items()}


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise BadRequest(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")


def create_app(settings=None) -> FastAPI:
    """The channel open API with empty, in-memory state. ``settings`` is accepted for symmetry."""
    app = FastAPI(title="zhongtai simulated channel open API", docs_url=None, redoc_url=None)
    orders = ChannelOrders()
    app.state.orders = orders

    @app.exception_handler(BadRequest)
    async def bad_request(_request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "orders": orders.counts()}

    @app.post("/{channel}/orders")
    async def deposit(channel: str, request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            raise BadRequest('the body must be JSON: {"shop": ..., "order": {...}}') from None
        if not isinstance(body, dict):
            raise BadRequest('the body must be a JSON object: {"shop": ..., "order": {...}}')
        seq, created = orders.deposit(channel, body.get("shop"), body.get("order"))
        return JSONResponse({"seq": seq, "created": created}, status_code=201 if created else 200)

    @app.get("/{channel}/orders/unprocessed")
    async def unprocessed(channel: str, shop: str = "", since: str = "") -> dict:
        found, cursor = orders.unprocessed(channel, shop, since)
        return {"orders": found, "cursor": cursor}

    return app
