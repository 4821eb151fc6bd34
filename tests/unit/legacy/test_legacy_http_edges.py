"""The body-size middleware and the response formats, driven with plain ASGI messages."""

import asyncio
import json

from zhongtai.legacy.body_limit import BodyLimit
from zhongtai.legacy.envelope import Family, error_response, family_of, wechat_body
from zhongtai.legacy.views import pos_order, status_text


async def echo_app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def run(app, path, chunks, headers=()):
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "POST", "headers": list(headers)}
    asyncio.run(app(scope, receive, send))
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, body


def test_small_bodies_reach_the_app_whole():
    app = BodyLimit(echo_app, max_bytes=10)
    assert run(app, "/api/pos/orders/pull", [b"12345", b"67890"]) == (200, b"1234567890")


def test_chunked_bodies_over_the_limit_are_refused_without_content_length():
    app = BodyLimit(echo_app, max_bytes=10)
    status, body = run(app, "/api/pos/orders/pull", [b"123456", b"789012"])
    assert status == 413 and json.loads(body)["code"] == 41301
    status, body = run(app, "/api/channel/eleme/push", [b"x" * 11])
    assert status == 413 and json.loads(body)["code"] == 41301 and "message" in json.loads(body)


def test_a_declared_huge_body_is_refused_before_reading():
    app = BodyLimit(echo_app, max_bytes=10)
    status, body = run(app, "/api/mp/pay/notify", [b"x"], [(b"content-length", b"100000")])
    assert status == 413 and b"FAIL" in body


def test_families_and_error_bodies():
    assert family_of("/api/channel/meituan/new") is Family.MEITUAN
    assert family_of("/api/channel/meituan/pull") is Family.ENVELOPE
    assert family_of("/api/channel/eleme/push") is Family.ELEME
    assert family_of("/api/mp/pay/notify") is Family.WECHAT
    assert family_of("/api/mp/orders") is Family.ENVELOPE
    resp = error_response(Family.MEITUAN, 40403, "unknown")
    assert resp.status_code == 404
    assert resp.body == b'{"data":"ng","error":{"code":40403,"msg":"unknown"}}'
    assert error_response(Family.ENVELOPE, 40901, "不行").body == (
        '{"code":40901,"msg":"不行","data":null}'.encode()
    )
    assert wechat_body(False, "a]]>b") == (
        "<xml><return_code><![CDATA[FAIL]]></return_code>"
        "<return_msg><![CDATA[a]]]]><![CDATA[>b]]></return_msg></xml>"
    )


def test_pos_order_money_in_fen_per_line():
    order = {
        "order_no": "1251201SH000100001",
        "channel": 1,
        "day_seq": 3,
        "order_type": 1,
        "status": 1,
        "order_time": "2025-12-01 12:00:00",
        "recipient_name": "a",
        "recipient_phone": "1",
        "recipient_address": "x",
        "remark": None,
        "table_no": None,
        "package_fee": 1.005,
        "service_fee": None,
        "discount_amount": 0.125,
        "merchant_subsidy": None,
        "platform_subsidy": 0.1,
        "total_amount": 10.675,
    }
    items = [
        {
            "sku_id": 1,
            "channel_food_code": "f",
            "channel_item_id": None,
            "name": "a",
            "spec": None,
            "quantity": 3,
            "price": 3.335,
            "total": None,
        },
        {
            "sku_id": None,
            "channel_food_code": "f2",
            "channel_item_id": None,
            "name": "b",
            "spec": None,
            "quantity": 1,
            "price": 0.0,
            "total": 0.0,
        },
    ]
    o = pos_order(order, items, {1: "P1-L"})
    assert [(p["sku_code"], p["price"], p["total"]) for p in o["products"]] == [
        ("P1-L", 334, 1000),  # 3.335 → 334 fen; the line is round(3.335 × 3, 2) = 10.0 yuan
        ("f2", 0, 0),
    ]
    assert (o["products_fee"], o["shop_fee"], o["discount_fee"], o["total_fee"]) == (
        1000,
        101,
        13,
        1068,
    )
    assert (o["delivery_type"], o["create_time"], o["service_fee"]) == (1, 1764561600, 0)
    assert status_text(99) == "未知" and status_text(-1) == "异常"
