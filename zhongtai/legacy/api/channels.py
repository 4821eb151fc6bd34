"""外卖同步接口: Meituan form pushes and Eleme JSON pushes.

Both answer in their platform's format (``{"data": "ok"}``, ``{"message": "ok"}``), for a new
push, a status push and a duplicate alike.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from zhongtai.legacy import eleme, meituan
from zhongtai.legacy.context import context, raw_body
from zhongtai.legacy.envelope import ELEME_OK, MEITUAN_OK, LegacyJSON, bad_request
from zhongtai.legacy.events import ELEME_TYPES, MEITUAN_PUSHES, MEITUAN_REFUNDS, Action
from zhongtai.legacy.ingest import Change, apply_change, ingest_new
from zhongtai.legacy.payloads import parse_form, parse_json_object
from zhongtai.legacy.status import Channel

router = APIRouter(prefix="/api/channel")
MEITUAN_KINDS = (*MEITUAN_PUSHES, "refund")


@router.post("/meituan/{push}")
def meituan_push(push: str, request: Request, body: bytes = Depends(raw_body)) -> LegacyJSON:
    """A Meituan push: ``new``, ``confirmed``, ``cancelled``, ``completed`` or ``refund``."""
    if push not in MEITUAN_KINDS:
        raise bad_request(f"unknown Meituan push {push!r}; use one of {', '.join(MEITUAN_KINDS)}")
    form = parse_form(body, request.headers.get("content-type"))
    engine = context(request).engine
    if push == "new":
        order = meituan.parse_new(form)
        ingest_new(engine, order, ("meituan", meituan.shop_of(form)))
    elif push == "refund":
        refund = meituan.parse_refund(form, tuple(MEITUAN_REFUNDS))
        push_type = f"refund.{refund.notify_type}"
        change = Change(
            channel=Channel.MEITUAN,
            channel_order_id=refund.channel_order_id,
            push_type=push_type,
            event=MEITUAN_REFUNDS[refund.notify_type],
            shop=("meituan", refund.shop_key) if refund.shop_key else None,
            remark=refund.reason,
            amount=refund.amount,
            refund_id=refund.refund_id,
        )
        apply_change(engine, change)
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
        apply_change(engine, change)
    return LegacyJSON(MEITUAN_OK)


@router.post("/eleme/push")
def eleme_push(request: Request, body: bytes = Depends(raw_body)) -> LegacyJSON:
    """An Eleme push; types outside the handled set are acknowledged and ignored."""
    push = eleme.parse_push(parse_json_object(body))
    event = ELEME_TYPES.get(push.type)
    if event is None:
        return LegacyJSON(ELEME_OK)
    engine = context(request).engine
    shop = ("eleme", push.shop_id)
    if event.action is Action.NEW:
        ingest_new(engine, eleme.parse_order(push.message), shop)
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
        apply_change(engine, change)
    return LegacyJSON(ELEME_OK)
