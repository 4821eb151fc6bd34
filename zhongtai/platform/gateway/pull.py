"""Compensation pull (补单): ask a channel for the orders it could not push, ingest them.

Same contract as the legacy's: the channel open API (``legacy.channel_api``) answers
``{"orders": [...], "cursor": ...}`` (checked by the legacy's own ``read_batch``); every
order is parsed first (a bad one: 40001, nothing stored), then each is ingested exactly as a
push of that store would be (idempotent on the push key). The cursor the channel returns is
kept by the **order center** (``/pull-cursors/{channel}/{store_id}``), the owner of channel
intake, as the legacy kept it in ``t_pull_cursor``: it survives a restart of the platform, and
it is saved only after every order is ingested, so a failed pull is simply repeated. A
dry-run pull reads the same cursor and makes the same save call, which the order center rolls
back, so the cursor stays unchanged.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

import aiohttp
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from zhongtai.config import mask_url
from zhongtai.legacy.api.pull import parse_pulled
from zhongtai.legacy.channel_api import Batch, read_batch
from zhongtai.legacy.envelope import CHANNEL_DOWN, LegacyError, LegacyJSON, bad_request, ok
from zhongtai.legacy.status import Channel
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.context import Gateway, center_calls, gateway
from zhongtai.platform.gateway.pushes import ingest_new

router = APIRouter(prefix="/api/channel")
CHANNELS = {"meituan": (Channel.MEITUAN, "MEITUAN"), "eleme": (Channel.ELEME, "ELEME")}
COLUMNS = {"meituan": "mt_app_poi_code", "eleme": "ele_shop_id"}  # the legacy's words
CHANNEL_API_TIMEOUT = 5.0  # seconds, as the legacy waited
Gw = Annotated[Gateway, Depends(gateway)]
Calls = Annotated[CenterCalls, Depends(center_calls)]


class PullRequest(BaseModel):
    store_code: str = Field(min_length=1, max_length=16)


def channel_down(base: str, why: str) -> LegacyError:
    """50201 naming the channel API (password masked) and what to check, as the legacy said."""
    return LegacyError(
        CHANNEL_DOWN,
        f"the channel API at {mask_url(base)} {why}; check legacy.channel_api and that the "
        "channel API (`zhongtai serve channel`) runs",
    )


async def fetch_unprocessed(
    gw: Gateway, base: str, channel: str, shop: str, since: str | None
) -> Batch:
    """The channel's unprocessed orders of ``shop`` since ``since``; 50201 when it fails."""
    url = f"{base.rstrip('/')}/{channel}/orders/unprocessed"
    timeout = aiohttp.ClientTimeout(total=CHANNEL_API_TIMEOUT)
    try:
        async with gw.pool.session().get(
            url, params={"shop": shop, "since": since or ""}, timeout=timeout
        ) as response:
            status = response.status
            raw = await response.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise channel_down(base, f"did not answer ({type(exc).__name__})") from None
    if status != 200:
        raise channel_down(base, f"answered HTTP {status}")
    try:
        data = json.loads(raw)
    except ValueError:
        raise channel_down(base, "did not answer JSON") from None
    return read_batch(data, base)


@router.post("/{channel}/pull")
async def pull(
    channel: Literal["meituan", "eleme"], body: PullRequest, gw: Gw, calls: Calls
) -> LegacyJSON:
    """Pull the unprocessed orders of one store from one channel."""
    _, name = CHANNELS[channel]
    store = await gw.stores.require(calls, "code", body.store_code)
    binding = next((b for b in store["channel_bindings"] if b["channel"] == name), None)
    if binding is None:
        raise bad_request(
            f"store {body.store_code} has no {channel} binding ({COLUMNS[channel]} is empty); "
            "bind the store first"
        )
    cursor_path = f"/pull-cursors/{name}/{store['id']}"
    since = (await calls.get("order", cursor_path))["cursor"]
    batch = await fetch_unprocessed(
        gw, gw.settings.channel_api, channel, binding["channel_store_id"], since
    )
    orders = [parse_pulled(channel, entry) for entry in batch.orders]
    created = 0
    for order in orders:  # one at a time, in the channel's order, as the legacy did
        created += await ingest_new(gw, calls, order, ("id", store["id"]))
    await calls.put("order", cursor_path, {"cursor": batch.cursor})
    return ok({"pulled": len(orders), "created": created})
