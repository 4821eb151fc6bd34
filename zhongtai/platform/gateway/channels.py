"""外卖同步服务: the Meituan form pushes and Eleme JSON pushes, at the legacy's URLs.

Bodies are read by the legacy contract's own parsers (so a bad field gets the same 40001 and
the same words) and answered in the platform's format (``{"data": "ok"}``,
``{"message": "ok"}``) for a new push, a status push and a duplicate alike.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from zhongtai.legacy import eleme, meituan
from zhongtai.legacy.context import raw_body
from zhongtai.legacy.envelope import ELEME_OK, MEITUAN_OK, LegacyJSON, bad_request
from zhongtai.legacy.events import ELEME_TYPES, MEITUAN_PUSHES, MEITUAN_REFUNDS, Action
from zhongtai.legacy.payloads import parse_form, parse_json_object
from zhongtai.legacy.status import Channel
from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.context import Gateway, center_calls, gateway
from zhongtai.platform.gateway.pushes import Change, apply_change, ingest_new

router = APIRouter(prefix="/api/channel")
MEITUAN_KINDS = (*MEITUAN_PUSHES, "refund")
Gw = Annotated[Gateway, Depends(gateway)]
Calls = Annotated[CenterCalls, Depends(center_calls)]


@router.post("/meituan/{push}")
async def meituan_push(
    push: str, request: Request, gw: Gw, calls: Calls, body: bytes = Depends(raw_body)
) -> LegacyJSON:
    """A Meituan push: ``new``, ``confirmed``, ``cancelled``, ``completed`` or ``refund``."""
    if push not in MEITUAN_KINDS:
        raise bad_request(f"unknown Meituan push {push!r}; use one of {', '.join(MEITUAN_KINDS)}")
    form = parse_form(body, request.headers.get("content-type"))
    if push == "new":
        order = meituan.parse_new(form)
        await ingest_new(gw, calls, order, ("meituan", meituan.shop_of(form)))
    elif push == "refund":
        refund = meituan.parse_refund(form, tuple(MEITUAN_REFUNDS))
        change = Change(
            channel=Channel.MEITUAN,
            channel_order_id=refund.channel_order_id,
            push_type=f"refund.{refund.notify_type}",
            event=MEITUAN_REFUNDS[refund.notify_type],
            shop=("meituan", refund.shop_key) if refund.shop_key else None,
            remark=refund.reason,
            amount=refund.amount,
            refund_id=refund.refund_id,
        )
        await apply_change(gw, calls, change)
    else:
        status = meituan.parse_status(push, form)
        change = Change(
            channel=Channel.MEITUAN,
            channel_order_id=status.channel_order_id,
            push_type=push,
            event=MEITUAN_PUSHES[push],
            shop=("meituan", status.shop_key) if status.shop_key else None,
            remark=status.remark,
        )
        await apply_change(gw, calls, change)
    return LegacyJSON(MEITUAN_OK)


@router.post("/eleme/push")
async def eleme_push(gw: Gw, calls: Calls, body: bytes = Depends(raw_body)) -> LegacyJSON:
    """An Eleme push; types outside the handled set are acknowledged and ignored."""
    push = eleme.parse_push(parse_json_object(body))
    event = ELEME_TYPES.get(push.type)
    if event is None:
        return LegacyJSON(ELEME_OK)
    shop = ("eleme", push.shop_id)
    if event.action is Action.NEW:
        await ingest_new(gw, calls, eleme.parse_order(push.message), shop)
    else:
        msg = eleme.parse_status(push.type, push.message)
        change = Change(
            channel=Channel.ELEME,
            channel_order_id=msg.channel_order_id,
            push_type=str(push.type),
            event=event,
            shop=shop,
            remark=msg.reason,
            amount=msg.amount,
        )
        await apply_change(gw, calls, change)
    return LegacyJSON(ELEME_OK)
