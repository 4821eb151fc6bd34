"""Mini-program ordering, WeChat notify and the POS fulfilling it, through real HTTP."""

from __future__ import annotations

import sqlalchemy as sa
from legacy_fixtures import ELE_TOKEN, MT_TOKEN, snapshot, wechat_answer, wechat_notify

from zhongtai.legacy.schema import t_order, t_payment, t_refund


def place(legacy, items, *, store="store_a", order_type=2, **extra):
    body = {
        "store_id": legacy.ids[store],
        "member_id": legacy.ids["member"],
        "source": 3,
        "order_type": order_type,
        "items": items,
        **extra,
    }
    return legacy.http.post("/api/mp/orders", json=body)


def notify(legacy, out_trade_no, total_fee, **kw):
    resp = legacy.http.post(
        "/api/mp/pay/notify", content=wechat_notify(out_trade_no, total_fee, **kw)
    )
    return resp.status_code, wechat_answer(resp.text)


def pos(legacy, action, **body):
    resp = legacy.http.post(f"/api/pos/orders/{action}", json=body)
    return resp.status_code, resp.json()


def test_stores_hide_deleted_ones_filter_by_city_and_never_show_tokens(legacy):
    resp = legacy.http.get("/api/mp/stores", params={"city": "上海"})
    assert resp.status_code == 200
    assert MT_TOKEN not in resp.text and ELE_TOKEN not in resp.text
    stores = resp.json()["data"]
    assert [s["store_code"] for s in stores] == ["SH0101", "SH0102"]
    assert set(stores[0]) == {
        "store_id",
        "store_code",
        "store_name",
        "city_name",
        "address",
        "phone",
        "lng",
        "lat",
        "business_hours",
        "status",
    }
    all_codes = [s["store_code"] for s in legacy.http.get("/api/mp/stores").json()["data"]]
    assert all_codes == ["SH0101", "SH0102", "BJ0101"]


def test_menu_applies_the_store_override_and_sold_out_flags(legacy):
    menu_a = legacy.http.get(f"/api/mp/stores/{legacy.ids['store_a']}/menu").json()["data"]
    menu_b = legacy.http.get(f"/api/mp/stores/{legacy.ids['store_b']}/menu").json()["data"]

    def skus(menu):
        return {
            s["sku_code"]: (s["price"], s["sold_out"])
            for c in menu["categories"]
            for p in c["products"]
            for s in p["skus"]
        }

    assert skus(menu_a) == {
        "P0001-L": (32.0, 0),
        "P0001-S": (22.5, 0),
        "P0002-R": (7.5, 0),  # store override
        "P0003-R": (18.0, 1),  # 沽清 here
    }
    assert skus(menu_b)["P0002-R"] == (8.0, 0) and skus(menu_b)["P0003-R"] == (18.0, 0)
    assert [c["category_name"] for c in menu_a["categories"]] == ["热菜", "饮品"]
    resp = legacy.http.get("/api/mp/stores/999999/menu")
    assert resp.status_code == 404 and resp.json()["code"] == 40401


def test_place_pay_pull_ack_progress_complete(legacy):
    ids = legacy.ids
    resp = place(
        legacy,
        [
            {"sku_id": ids["sku_chicken_l"], "quantity": 1},
            {"sku_id": ids["sku_drink"], "quantity": 3},
        ],
        order_type=1,
        recipient_phone="13800138000",
        recipient_address="人民路9号",
        remark="多给餐具",
    )
    assert resp.status_code == 200, resp.text
    placed = resp.json()["data"]
    # 32.0 + 3 × 7.5 (store price) + package 1 × 1.0 × 1 (delivery) = 55.5 yuan
    assert placed["status"] == 0 and placed["total_amount"] == 55.5 and placed["total_fee"] == 5550
    order_no = placed["order_no"]
    with legacy.engine.connect() as conn:
        payment = (
            conn.execute(sa.select(t_payment).where(t_payment.c.order_no == order_no))
            .mappings()
            .one()
        )
    assert (payment["status"], payment["total_fee"], payment["out_trade_no"]) == (
        0,
        5550,
        placed["out_trade_no"],
    )
    # Not paid yet: the POS does not see it.
    assert pos(legacy, "pull", store_code="SH0101")[1]["data"]["orders"] == []

    assert notify(legacy, placed["out_trade_no"], 5550) == (200, ("SUCCESS", "OK"))
    detail = legacy.http.get(f"/api/mp/orders/{order_no}").json()["data"]
    assert (detail["status"], detail["status_text"], detail["pay_status"]) == (1, "新订单", 1)
    assert [(i["name"], i["quantity"], i["price"], i["total"]) for i in detail["items"]] == [
        ("宫保鸡丁", 1, 32.0, 32.0),
        ("酸梅汤", 3, 7.5, 22.5),
    ]

    status, body = pos(legacy, "pull", store_code="SH0101", pos_id="POS1", page_size=50)
    pulled = [o for o in body["data"]["orders"] if o["order_no"] == order_no]
    assert status == 200 and len(pulled) == 1
    o = pulled[0]
    assert (o["products_fee"], o["shop_fee"], o["total_fee"], o["delivery_type"]) == (
        5450,
        100,
        5550,
        0,
    )
    assert [(p["sku_code"], p["qty"], p["price"], p["total"]) for p in o["products"]] == [
        ("P0001-L", 1, 3200, 3200),
        ("P0002-R", 3, 750, 2250),
    ]
    assert isinstance(o["create_time"], int) and o["fm_cmd"] == 1

    assert pos(legacy, "ack", store_code="SH0101", order_no=order_no, ticket_no="T0042") == (
        200,
        {"code": 0, "msg": "ok", "data": {"order_no": order_no, "status": 2}},
    )
    # The same ack again (a POS retry) is answered the same way.
    assert pos(legacy, "ack", store_code="SH0101", order_no=order_no, ticket_no="T0042")[1][
        "data"
    ] == {"order_no": order_no, "status": 2}
    assert (
        pos(legacy, "progress", store_code="SH0101", order_no=order_no, progress="making")[1][
            "data"
        ]["status"]
        == 3
    )
    _, body = pos(
        legacy,
        "progress",
        store_code="SH0101",
        order_no=order_no,
        progress="ready",
        pickup_code="A12",
    )
    assert body["data"]["status"] == 4
    assert legacy.http.get(f"/api/mp/orders/{order_no}").json()["data"]["pickup_code"] == "A12"
    _, body = pos(legacy, "progress", store_code="SH0101", order_no=order_no, progress="completed")
    assert body["data"]["status"] == 5
    detail = legacy.http.get(f"/api/mp/orders/{order_no}").json()["data"]
    assert (detail["status"], detail["pos_ticket_no"]) == (5, "T0042")

    listing = legacy.http.get(f"/api/mp/members/{legacy.ids['member']}/orders?page=1&size=50")
    assert order_no in [row["order_no"] for row in listing.json()["data"]["items"]]


def test_notify_repeat_is_harmless_and_a_wrong_amount_or_trade_is_refused(legacy):
    placed = place(legacy, [{"sku_id": legacy.ids["sku_chicken_s"], "quantity": 2}]).json()["data"]
    assert placed["total_fee"] == 4500
    before = snapshot(legacy.engine)
    status, (code, msg) = notify(legacy, placed["out_trade_no"], 4400)
    assert (status, code) == (400, "FAIL") and "4400" in msg and "4500" in msg
    status, (code, _) = notify(legacy, "P-nobody", 100)
    assert (status, code) == (404, "FAIL")
    status, (code, msg) = notify(legacy, placed["out_trade_no"], 4500, time_end="2025-12-01")
    assert (status, code) == (400, "FAIL") and "time_end" in msg
    resp = legacy.http.post("/api/mp/pay/notify", content=b"<xml><out_trade_no>")
    assert resp.status_code == 400 and wechat_answer(resp.text)[0] == "FAIL"
    assert snapshot(legacy.engine) == before

    assert notify(legacy, placed["out_trade_no"], 4500)[1] == ("SUCCESS", "OK")
    paid = snapshot(legacy.engine)
    assert notify(legacy, placed["out_trade_no"], 4500, transaction_id="4200other")[1] == (
        "SUCCESS",
        "OK",
    )
    assert snapshot(legacy.engine) == paid


def test_sold_out_off_sale_unknown_sku_member_and_bad_fields(legacy):
    ids = legacy.ids
    before = snapshot(legacy.engine)
    resp = place(legacy, [{"sku_id": ids["sku_cake"], "quantity": 1}])
    assert resp.status_code == 409 and resp.json()["code"] == 40902 and "沽清" in resp.json()["msg"]
    resp = place(legacy, [{"sku_id": ids["sku_retired"], "quantity": 1}])
    assert resp.status_code == 409 and resp.json()["code"] == 40902
    resp = place(legacy, [{"sku_id": 987654, "quantity": 1}])
    assert resp.status_code == 404 and resp.json()["code"] == 40402
    body = {
        "store_id": ids["store_a"],
        "member_id": ids["member_deleted"],
        "source": 3,
        "order_type": 2,
        "items": [{"sku_id": ids["sku_drink"], "quantity": 1}],
    }
    resp = legacy.http.post("/api/mp/orders", json=body)
    assert resp.status_code == 404 and resp.json()["code"] == 40404
    resp = place(legacy, [{"sku_id": ids["sku_drink"], "quantity": 0}])
    assert resp.status_code == 400 and "items.0.quantity" in resp.json()["msg"]
    resp = place(legacy, [{"sku_id": ids["sku_drink"], "quantity": 1}], order_type=1)
    assert resp.status_code == 400 and "recipient_phone" in resp.json()["msg"]
    resp = legacy.http.post(
        "/api/mp/orders", content=b'{"store_id": 1,', headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400 and resp.json()["code"] == 40001
    assert "not valid JSON" in resp.json()["msg"] and resp.json()["data"] is None
    resp = place(legacy, [{"sku_id": ids["sku_drink"], "quantity": 1}], store="store_deleted")
    assert resp.status_code == 404 and resp.json()["code"] == 40401
    resp = legacy.http.get("/api/mp/members/999999/orders")
    assert resp.status_code == 404 and resp.json()["code"] == 40404
    resp = legacy.http.get(f"/api/mp/members/{ids['member']}/orders?size=1000")
    assert resp.status_code == 400 and "size" in resp.json()["msg"]
    resp = legacy.http.get("/api/mp/orders/3251201SH010199999")
    assert resp.status_code == 404 and resp.json()["code"] == 40403
    assert snapshot(legacy.engine) == before


def test_cancel_paid_order_refunds_it_and_partial_refund(legacy):
    ids = legacy.ids
    a = place(legacy, [{"sku_id": ids["sku_drink"], "quantity": 2}]).json()["data"]
    notify(legacy, a["out_trade_no"], a["total_fee"])
    resp = legacy.http.post(f"/api/mp/orders/{a['order_no']}/cancel", json={"reason": "不想要了"})
    assert resp.json() == {"code": 0, "msg": "ok", "data": {"order_no": a["order_no"], "status": 6}}
    b = place(legacy, [{"sku_id": ids["sku_chicken_l"], "quantity": 1}]).json()["data"]
    notify(legacy, b["out_trade_no"], b["total_fee"])
    resp = legacy.http.post(f"/api/mp/orders/{b['order_no']}/refund", json={"amount": 10.0})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["status"] == 8 and resp.json()["data"]["refund_amount"] == 10.0
    with legacy.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t_order.c.order_no,
                t_order.c.refund_status,
                t_order.c.pay_status,
                t_refund.c.amount,
                t_refund.c.type,
                t_refund.c.status,
            )
            .join(t_refund, t_refund.c.order_id == t_order.c.id)
            .where(t_order.c.order_no.in_([a["order_no"], b["order_no"]]))
            .order_by(t_order.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (a["order_no"], 5, 2, 15.0, 1, 5),
        (b["order_no"], 5, 1, 10.0, 2, 5),
    ]
    # Cancelling a cancelled order is an illegal transition, and changes nothing.
    before = snapshot(legacy.engine)
    resp = legacy.http.post(f"/api/mp/orders/{a['order_no']}/cancel", json={})
    assert resp.status_code == 409 and resp.json()["code"] == 40901
    assert snapshot(legacy.engine) == before
