"""Request bodies the outside world sends to the legacy O2O system (pure builders and parsers).

Meituan pushes form-urlencoded snake_case fields, with ``detail``/``extras``/
``poi_receive_detail`` as JSON strings; Eleme pushes a JSON envelope whose ``message`` is itself
a JSON string; WeChat Pay v2 notifies in XML with an MD5 ``sign``. The traffic generator, the
simulated channel open API and the platform's contract tests all build their bodies here, so
there is one picture of each channel's format (``docs/legacy-api.md`` is the contract).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from defusedxml import DefusedXmlException, ElementTree

from zhongtai.legacy.clock import SHANGHAI

MEITUAN_APP_ID = "4786"
ELEME_APP_ID = 10_086
# Signature secrets of the simulated channels; the real ones live in t_store.mt_token & co.
MEITUAN_SECRET = "zhongtai-meituan-sandbox"
ELEME_SECRET = "zhongtai-eleme-sandbox"
WECHAT_KEY = "zhongtai-wechat-sandbox-key-0000"

MEITUAN_PUSHES = ("new", "confirmed", "cancelled", "completed", "refund")
MEITUAN_REFUND_NOTIFY = ("apply", "agree", "reject")
# Eleme push type -> (order state, refundStatus) carried in the message.
ELEME_TYPES: dict[int, tuple[str, str | None]] = {
    10: ("unprocessed", None),
    12: ("valid", None),
    14: ("invalid", None),
    15: ("invalid", None),
    17: ("invalid", None),
    18: ("settled", None),
    30: ("refunding", "applied"),
    32: ("valid", "rejected"),
    33: ("invalid", "successful"),
}


@dataclass(frozen=True)
class Line:
    """One ordered item as a channel sees it."""

    code: str | None  # Meituan app_food_code / Eleme item id (None: unmapped on our side)
    sku_id: str | None  # the channel's own SKU id (Meituan sku_id / Eleme skuId)
    name: str
    spec: str
    price: float  # yuan per unit
    quantity: int
    box_num: int = 0  # boxes for the whole line
    box_price: float = 0.0
    ext_code: str = ""  # the merchant's code (Eleme extendCode), our sku_code
    category_id: int = 0


@dataclass(frozen=True)
class Takeout:
    """A takeout order as the channel holds it, before it is pushed."""

    order_id: str  # platform order id: digits, above 2^53
    shop: str  # Meituan app_poi_code / Eleme shopId
    shop_name: str
    recipient_name: str
    phone: str  # Meituan privacy number "184…_1234"; Eleme: comma-joined phoneList
    address: str
    lng: float
    lat: float
    lines: tuple[Line, ...]
    created: int  # unix seconds
    shipping_fee: float = 5.0
    discount: float = 0.0  # activity reduction in yuan
    merchant_part: float = 0.0  # the store's share of the discount
    day_seq: int = 1
    caution: str = ""
    delivery_time: int = 0  # unix seconds, 0 = as soon as possible
    online_paid: bool = True
    user_id: str = ""
    open_id: str = ""  # Eleme: the store's external id

    @property
    def food(self) -> float:
        return round(sum(line.price * line.quantity for line in self.lines), 2)

    @property
    def package(self) -> float:
        return round(sum(line.box_num * line.box_price for line in self.lines), 2)

    @property
    def original(self) -> float:
        return round(self.food + self.package + self.shipping_fee, 2)

    @property
    def total(self) -> float:
        """What the customer paid, in yuan."""
        return round(self.original - self.discount, 2)

    @property
    def service_fee_fen(self) -> int:
        return round(self.food * 8)  # 8 % platform commission, in fen

    @property
    def income_fen(self) -> int:
        return round(self.total * 100) - self.service_fee_fen


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _sig(fields: dict[str, object], secret: str) -> str:
    joined = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sig")
    return _md5(joined + secret)


def _signed_meituan(fields: dict[str, object], now: int) -> dict[str, str]:
    fields = {**fields, "app_id": MEITUAN_APP_ID, "timestamp": now}
    fields["sig"] = _sig(fields, MEITUAN_SECRET)
    return {k: str(v) for k, v in fields.items()}


def meituan_new_form(order: Takeout, *, now: int | None = None) -> dict[str, str]:
    """The form fields of a Meituan ``new`` push (all values strings, as a form carries them)."""
    detail = [
        {
            "app_food_code": line.code or "",
            "food_name": line.name,
            "sku_id": line.sku_id or "",
            "quantity": line.quantity,
            "price": line.price,
            "box_num": line.box_num,
            "box_price": line.box_price,
            "unit": "份",
            "food_discount": 1,
            "spec": line.spec,
            "food_property": "",
            "cart_id": 0,
        }
        for line in order.lines
    ]
    extras = []
    if order.discount:
        extras.append(
            {
                "act_detail_id": int(order.order_id[-6:]),
                "reduce_fee": order.discount,
                "mt_charge": round(order.discount - order.merchant_part, 2),
                "poi_charge": order.merchant_part,
                "remark": f"满减优惠{order.discount:g}元",
                "type": 2,
            }
        )
    receive = {
        "wmPoiReceiveCent": order.income_fen,
        "foodShareFeeChargeByPoi": order.service_fee_fen,
        "logisticsFee": round(order.shipping_fee * 100),
    }
    fields: dict[str, object] = {
        "order_id": order.order_id,
        "wm_order_id_view": order.order_id,
        "app_poi_code": order.shop,
        "wm_poi_name": order.shop_name,
        "recipient_name": order.recipient_name,
        "recipient_phone": order.phone,
        "recipient_address": order.address,
        "latitude": order.lat,
        "longitude": order.lng,
        "shipping_fee": order.shipping_fee,
        "total": order.total,
        "original_price": order.original,
        "caution": order.caution,
        "ctime": order.created,
        "delivery_time": order.delivery_time,
        "day_seq": order.day_seq,
        "pay_type": 2 if order.online_paid else 1,
        "status": 2,
        "detail": json.dumps(detail, ensure_ascii=False),
        "extras": json.dumps(extras, ensure_ascii=False),
        "poi_receive_detail": json.dumps(receive),
    }
    return _signed_meituan(fields, order.created if now is None else now)


def meituan_status_form(
    order_id: str, shop: str, push: str, *, now: int, reason_code: int = 1002, reason: str = ""
) -> dict[str, str]:
    """A Meituan ``confirmed`` / ``cancelled`` / ``completed`` push."""
    if push not in ("confirmed", "cancelled", "completed"):
        raise ValueError(f"Meituan status push {push!r} is not confirmed, cancelled or completed")
    fields: dict[str, object] = {"order_id": order_id, "app_poi_code": shop}
    if push == "cancelled":
        fields["reason_code"] = reason_code
        fields["reason"] = reason or "用户取消订单"
    return _signed_meituan(fields, now)


def meituan_refund_form(
    order_id: str, shop: str, notify_type: str, *, refund_id: str, money: float, now: int
) -> dict[str, str]:
    """A Meituan ``refund`` push: ``notify_type`` apply, agree or reject."""
    if notify_type not in MEITUAN_REFUND_NOTIFY:
        raise ValueError(f"Meituan refund notify_type {notify_type!r} is not apply/agree/reject")
    fields: dict[str, object] = {
        "order_id": order_id,
        "app_poi_code": shop,
        "notify_type": notify_type,
        "refund_id": refund_id,
        "money": money,
        "reason": "商品与描述不符" if notify_type == "apply" else "",
    }
    return _signed_meituan(fields, now)


def eleme_new_message(order: Takeout) -> dict:
    """The message object of an Eleme type-10 (new order) push."""
    created = datetime.fromtimestamp(order.created, SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")
    items = [
        {
            "id": line.code,
            "skuId": line.sku_id,
            "name": line.name,
            "categoryId": line.category_id,
            "price": line.price,
            "quantity": line.quantity,
            "total": round(line.price * line.quantity, 2),
            "extendCode": line.ext_code,
            "newSpecs": [{"name": "规格", "value": line.spec}] if line.spec else [],
            "attributes": [],
        }
        for line in order.lines
    ]
    activities = []
    if order.discount:
        activities.append(
            {
                "name": f"满减优惠{order.discount:g}元",
                "amount": order.discount,
                "restaurantPart": order.merchant_part,
                "elemePart": round(order.discount - order.merchant_part, 2),
            }
        )
    return {
        "id": order.order_id,
        "orderId": order.order_id,
        "shopId": order.shop,
        "openId": order.open_id,
        "createdAt": created,
        "activeAt": created,
        "deliverFee": order.shipping_fee,
        "deliverTime": (
            datetime.fromtimestamp(order.delivery_time, SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")
            if order.delivery_time
            else None
        ),
        "description": order.caution,
        "groups": [{"name": "1号篮子", "type": "normal", "items": items}],
        "book": bool(order.delivery_time),
        "onlinePaid": order.online_paid,
        "phoneList": order.phone.split(","),
        "consignee": order.recipient_name,
        "deliveryGeo": f"{order.lng},{order.lat}",
        "deliveryPoiAddress": order.address,
        "originalPrice": order.original,
        "totalPrice": order.total,
        "packageFee": order.package,
        "activityTotal": order.discount,
        "shopPart": order.merchant_part,
        "elemePart": round(order.discount - order.merchant_part, 2),
        "income": round(order.income_fen / 100, 2),
        "serviceFee": round(order.service_fee_fen / 100, 2),
        "hongbao": 0.0,
        "daySn": order.day_seq,
        "userId": order.user_id,
        "orderActivities": activities,
    }


def eleme_status_message(
    order_id: str, push_type: int, *, now: int, reason: str = "", amount: float = 0.0
) -> dict:
    """The message object of an Eleme status push (12, 14, 15, 17, 18, 30, 32, 33)."""
    if push_type not in ELEME_TYPES or push_type == 10:
        raise ValueError(f"Eleme push type {push_type!r} is not a status push we model")
    state, refund_status = ELEME_TYPES[push_type]
    message: dict = {"orderId": order_id, "state": state, "updateTime": now, "role": 2}
    if refund_status:
        message.update(refundStatus=refund_status, reason=reason or "用户申请退单", amount=amount)
    elif push_type in (14, 15, 17):
        message["reason"] = reason or "用户取消"
    return message


def eleme_push_body(
    push_type: int, message: dict, *, shop: str, request_id: str, now_ms: int, user_id: str = ""
) -> dict:
    """The JSON body Eleme POSTs: the message travels as a JSON string inside it."""
    body: dict = {
        "requestId": request_id,
        "type": push_type,
        "appId": ELEME_APP_ID,
        "message": json.dumps(message, ensure_ascii=False),
        "shopId": shop,
        "timestamp": now_ms,
        "userId": user_id,
    }
    body["signature"] = _sig(body, ELEME_SECRET).upper()
    return body


def wechat_sign(fields: dict[str, object], key: str = WECHAT_KEY) -> str:
    """WeChat Pay v2 MD5 signature: sorted non-empty fields, ``&key=``, upper-case hex."""
    joined = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign" and fields[k] != "")
    return _md5(f"{joined}&key={key}").upper()


def _cdata(text: str) -> str:
    # A CDATA section cannot contain "]]>": split it across two sections.
    return text.replace("]]>", "]]]]><![CDATA[>")


def wechat_notify_xml(
    *,
    out_trade_no: str,
    total_fee: int,
    transaction_id: str,
    openid: str,
    time_end: str,
    nonce_str: str,
    appid: str = "wx2421b1c4370ec43b",
    mch_id: str = "10000100",
    result_code: str = "SUCCESS",
    key: str = WECHAT_KEY,
) -> str:
    """A WeChat Pay v2 payment notify (``total_fee`` in fen, ``time_end`` yyyyMMddHHmmss)."""
    fields: dict[str, object] = {
        "appid": appid,
        "bank_type": "CMC",
        "cash_fee": total_fee,
        "fee_type": "CNY",
        "is_subscribe": "N",
        "mch_id": mch_id,
        "nonce_str": nonce_str,
        "openid": openid,
        "out_trade_no": out_trade_no,
        "result_code": result_code,
        "return_code": "SUCCESS",
        "time_end": time_end,
        "total_fee": total_fee,
        "trade_type": "JSAPI",
        "transaction_id": transaction_id,
    }
    fields["sign"] = wechat_sign(fields, key)
    inner = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{_cdata(str(v))}]]></{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>"


def parse_wechat_xml(text: str | bytes) -> dict[str, str]:
    """Flat ``<xml><k>v</k>…</xml>`` into a dict; ValueError when it is not such XML."""
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ValueError(f"not WeChat XML: {exc}") from None
    if root.tag != "xml":
        raise ValueError(f"not WeChat XML: root element is <{root.tag}>, expected <xml>")
    return {child.tag: (child.text or "") for child in root}


def parse_wechat_reply(text: str | bytes) -> tuple[str, str]:
    """``(return_code, return_msg)`` of the merchant's answer to a notify."""
    fields = parse_wechat_xml(text)
    return fields.get("return_code", ""), fields.get("return_msg", "")
