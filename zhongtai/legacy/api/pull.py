"""Compensation pull (补单): ask a channel for orders it could not push, ingest them as pushes.

Each order is ingested in its own transaction, exactly like a push (so it is idempotent); the
cursor is saved only after all of them, so a failed pull is simply repeated.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from zhongtai.legacy import eleme, meituan
from zhongtai.legacy.channel_api import fetch_unprocessed
from zhongtai.legacy.context import context
from zhongtai.legacy.envelope import LegacyJSON, bad_request, ok
from zhongtai.legacy.ingest import ingest_new
from zhongtai.legacy.intake import NewOrder
from zhongtai.legacy.payloads import parse_json_object
from zhongtai.legacy.pull_cursor import read_cursor, save_cursor
from zhongtai.legacy.status import Channel
from zhongtai.legacy.stores import require_store

router = APIRouter(prefix="/api/channel")
CHANNELS = {
    "meituan": (Channel.MEITUAN, "mt_app_poi_code"),
    "eleme": (Channel.ELEME, "ele_shop_id"),
}


class PullRequest(BaseModel):
    store_code: str = Field(min_length=1, max_length=16)


def parse_pulled(channel: str, entry: dict[str, Any]) -> NewOrder:
    """A pulled order: Meituan's new-push fields, or an Eleme push body or bare message."""
    if channel == "meituan":
        return meituan.parse_new(entry)
    message = entry.get("message", entry)
    if isinstance(message, str):
        message = parse_json_object(message, "pulled Eleme field 'message'")
    return eleme.parse_order(message)


@router.post("/{channel}/pull")
def pull(channel: Literal["meituan", "eleme"], body: PullRequest, request: Request) -> LegacyJSON:
    """Pull the unprocessed orders of one store from one channel."""
    ctx = context(request)
    code, shop_column = CHANNELS[channel]
    with ctx.engine.connect() as conn:
        store = require_store(conn, "code", body.store_code)
        since = read_cursor(conn, code, store["id"])
    shop = store[shop_column]
    if not shop:
        raise bad_request(
            f"store {body.store_code} has no {channel} binding ({shop_column} is empty); "
            "bind the store first"
        )
    batch = fetch_unprocessed(ctx.http, ctx.settings.channel_api, channel, shop, since)
    orders = [parse_pulled(channel, entry) for entry in batch.orders]
    created = sum(ingest_new(ctx.engine, order, ("id", store["id"])) for order in orders)
    save_cursor(ctx.engine, code, store["id"], batch.cursor)
    return ok({"pulled": len(orders), "created": created})
