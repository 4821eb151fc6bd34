"""Meituan and Eleme pushes through real HTTP, on every engine."""

from __future__ import annotations

import json
import re
import threading

import sqlalchemy as sa
from legacy_fixtures import (
    count,
    eleme_body,
    eleme_message,
    eleme_status,
    meituan_new,
    order_row,
    platform_order_id,
    snapshot,
)

from zhongtai.legacy.schema import (
    t_order,
    t_order_activity,
    t_order_item,
    t_order_status_log,
    t_push_log,
    t_refund,
)

OK_MT = {"data": "ok"}
OK_ELE = {"message": "ok"}


def mt(legacy, push, fields):
    return legacy.http.post(f"/api/channel/meituan/{push}", data=fields)


def ele(legacy, kind, message, shop="ele-shop-a"):
    return legacy.http.post("/api/channel/eleme/push", json=eleme_body(kind, message, shop))


def status_log(legacy, order_id):
    stmt = (
        sa.select(t_order_status_log.c.from_status, t_order_status_log.c.to_status)
        .where(t_order_status_log.c.order_id == order_id)
        .order_by(t_order_status_log.c.id)
    )
    with legacy.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def test_meituan_new_order_is_stored_with_items_activities_and_quirks(legacy):
    oid = platform_order_id()
    resp = mt(legacy, "new", meituan_new(oid))
    assert resp.status_code == 200 and resp.json() == OK_MT
    order = order_row(legacy.engine, channel=1, channel_order_id=oid)
    assert re.fullmatch(r"1\d{6}SH0101\d{5}", order["order_no"])
    assert order["store_id"] == legacy.ids["store_a"]
    assert (order["status"], order["pay_status"], order["pos_sync_status"]) == (1, 1, 0)
    assert order["day_seq"] == 17  # the channel's own daily number
    assert order["total_amount"] == 66.55 and order["original_amount"] == 71.55
    assert order["package_fee"] == 2.0  # box_num 2 × box_price 1.0
    assert (order["discount_amount"], order["merchant_subsidy"], order["platform_subsidy"]) == (
        5.0,
        3.0,
        2.0,
    )
    assert (order["service_fee"], order["income"]) == (480, 6012)  # fen
    assert order["order_time"] == "2025-12-01 12:00:00"
    assert order["recipient_phone"] == "18449039731_7333"
    assert order["channel_status"] == "new"
    with legacy.engine.connect() as conn:
        items = (
            conn.execute(
                sa.select(t_order_item).where(t_order_item.c.order_id == order["id"]).order_by("id")
            )
            .mappings()
            .all()
        )
        acts = (
            conn.execute(
                sa.select(t_order_activity).where(t_order_activity.c.order_id == order["id"])
            )
            .mappings()
            .all()
        )
    assert [i["sku_id"] for i in items] == [legacy.ids["sku_chicken_l"], None]  # unmapped → NULL
    assert items[0]["erp_code"] == "P0001" and items[0]["total"] == 60.0
    assert items[0]["property"] == "微辣" and items[1]["channel_food_code"] == "mt-unknown"
    assert [(a["amount"], a["merchant_part"], a["platform_part"]) for a in acts] == [
        (5.0, 3.0, 2.0)
    ]
    assert status_log(legacy, order["id"]) == [(None, 1)]


def test_meituan_confirm_complete_refund_apply_and_agree(legacy):
    oid = platform_order_id()
    assert mt(legacy, "new", meituan_new(oid)).json() == OK_MT
    key = {"order_id": oid, "app_poi_code": "mt-poi-a"}
    assert mt(legacy, "confirmed", key).json() == OK_MT
    assert mt(legacy, "completed", key).json() == OK_MT
    refund = {**key, "refund_id": "rf-1", "money": "20.5", "reason": "少送一份"}
    assert mt(legacy, "refund", {**refund, "notify_type": "apply"}).json() == OK_MT
    order = order_row(legacy.engine, channel=1, channel_order_id=oid)
    assert (order["status"], order["refund_status"]) == (7, 1)
    assert mt(legacy, "refund", {**refund, "notify_type": "agree"}).json() == OK_MT
    order = order_row(legacy.engine, channel=1, channel_order_id=oid)
    assert (order["status"], order["refund_status"], order["pay_status"]) == (8, 5, 2)
    assert status_log(legacy, order["id"]) == [(None, 1), (1, 2), (2, 5), (5, 7), (7, 8)]
    with legacy.engine.connect() as conn:
        refunds = (
            conn.execute(sa.select(t_refund).where(t_refund.c.order_id == order["id"]))
            .mappings()
            .all()
        )
    assert [(r["amount"], r["type"], r["status"], r["channel_refund_id"]) for r in refunds] == [
        (20.5, 2, 5, "rf-1")
    ]


def test_meituan_refund_reject_goes_back_and_cancel_records_the_reason(legacy):
    oid = platform_order_id()
    mt(legacy, "new", meituan_new(oid))
    key = {"order_id": oid, "app_poi_code": "mt-poi-a"}
    mt(legacy, "confirmed", key)
    mt(legacy, "refund", {**key, "notify_type": "apply", "refund_id": "r9", "money": "66.55"})
    assert mt(legacy, "refund", {**key, "notify_type": "reject", "refund_id": "r9"}).json() == OK_MT
    order = order_row(legacy.engine, channel=1, channel_order_id=oid)
    assert (order["status"], order["refund_status"]) == (2, 2)
    cancel = {**key, "reason_code": "2007", "reason": "商家太忙"}
    assert mt(legacy, "cancelled", cancel).json() == OK_MT
    order = order_row(legacy.engine, channel=1, channel_order_id=oid)
    assert order["status"] == 6
    with legacy.engine.connect() as conn:
        remark = conn.execute(
            sa.select(t_order_status_log.c.remark)
            .where(t_order_status_log.c.order_id == order["id"])
            .order_by(t_order_status_log.c.id.desc())
            .limit(1)
        ).scalar()
    assert remark == "2007 商家太忙"


def test_eleme_new_accept_complete(legacy):
    oid = platform_order_id()
    assert ele(legacy, 10, eleme_message(oid)).json() == OK_ELE
    order = order_row(legacy.engine, channel=2, channel_order_id=oid)
    assert order["status"] == 1 and order["day_seq"] == 8
    assert order["recipient_phone"] == "13800138000,13800138001"
    assert (order["lng"], order["lat"]) == (121.47, 31.23)
    assert (order["discount_amount"], order["merchant_subsidy"], order["platform_subsidy"]) == (
        3.0,
        1.0,
        2.0,
    )
    assert (order["income"], order["service_fee"]) == (2215, 185)  # yuan → fen
    assert order["order_time"] == "2025-12-01 12:30:00" and order["expect_time"] == 0
    with legacy.engine.connect() as conn:
        item = (
            conn.execute(sa.select(t_order_item).where(t_order_item.c.order_id == order["id"]))
            .mappings()
            .one()
        )
    assert (item["sku_id"], item["spec"], item["property"]) == (
        legacy.ids["sku_drink"],
        "常规",
        "少冰",
    )
    assert ele(legacy, 12, eleme_status(12, oid)).json() == OK_ELE
    assert ele(legacy, 18, eleme_status(18, oid)).json() == OK_ELE
    order = order_row(legacy.engine, channel=2, channel_order_id=oid)
    assert (order["status"], order["channel_status"]) == (5, "18")
    assert status_log(legacy, order["id"]) == [(None, 1), (1, 2), (2, 5)]


def test_eleme_cancel_and_refund(legacy):
    cancelled, refunded = platform_order_id(), platform_order_id()
    ele(legacy, 10, eleme_message(cancelled))
    assert ele(legacy, 14, eleme_status(14, cancelled, reason="用户取消")).json() == OK_ELE
    assert order_row(legacy.engine, channel=2, channel_order_id=cancelled)["status"] == 6

    ele(legacy, 10, eleme_message(refunded))
    ele(legacy, 12, eleme_status(12, refunded))
    apply = eleme_status(30, refunded, refundStatus="applied", reason="洒了", amount=26.0)
    assert ele(legacy, 30, apply).json() == OK_ELE
    assert order_row(legacy.engine, channel=2, channel_order_id=refunded)["status"] == 7
    agree = eleme_status(33, refunded, refundStatus="successful", amount=26.0)
    assert ele(legacy, 33, agree).json() == OK_ELE
    order = order_row(legacy.engine, channel=2, channel_order_id=refunded)
    assert (order["status"], order["refund_status"], order["pay_status"]) == (8, 5, 2)
    with legacy.engine.connect() as conn:
        refund = (
            conn.execute(sa.select(t_refund).where(t_refund.c.order_id == order["id"]))
            .mappings()
            .one()
        )
    assert (refund["amount"], refund["type"], refund["status"]) == (26.0, 1, 5)


def test_eleme_types_outside_the_handled_set_are_acknowledged_and_ignored(legacy):
    before = snapshot(legacy.engine)
    assert ele(legacy, 45, {"orderId": "1", "remindId": 3}).json() == OK_ELE
    assert snapshot(legacy.engine) == before


def test_duplicate_pushes_answer_ok_and_change_nothing(legacy):
    oid = platform_order_id()
    new = meituan_new(oid)
    mt(legacy, "new", new)
    mt(legacy, "confirmed", {"order_id": oid, "app_poi_code": "mt-poi-a"})
    eid = platform_order_id()
    ele(legacy, 10, eleme_message(eid))
    before = snapshot(legacy.engine)
    assert mt(legacy, "new", new).json() == OK_MT
    assert mt(legacy, "confirmed", {"order_id": oid, "app_poi_code": "mt-poi-a"}).json() == OK_MT
    assert ele(legacy, 10, eleme_message(eid)).json() == OK_ELE
    assert snapshot(legacy.engine) == before


def test_concurrent_duplicate_pushes_create_one_order(legacy):
    oid = platform_order_id()
    fields = meituan_new(oid, poi="mt-poi-b")
    barrier = threading.Barrier(8)
    answers: list[tuple[int, dict]] = []

    def push():
        barrier.wait()
        resp = mt(legacy, "new", fields)
        answers.append((resp.status_code, resp.json()))

    threads = [threading.Thread(target=push) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [(200, OK_MT)] * 8
    assert count(legacy.engine, t_order, t_order.c.channel_order_id == oid) == 1
    assert count(legacy.engine, t_push_log, t_push_log.c.channel_order_id == oid) == 1
    order = order_row(legacy.engine, channel_order_id=oid)
    assert count(legacy.engine, t_order_item, t_order_item.c.order_id == order["id"]) == 2


def test_complete_then_cancel_is_refused_and_changes_nothing(legacy):
    oid = platform_order_id()
    key = {"order_id": oid, "app_poi_code": "mt-poi-a"}
    mt(legacy, "new", meituan_new(oid))
    assert mt(legacy, "confirmed", key).json() == OK_MT
    assert mt(legacy, "completed", key).json() == OK_MT
    before = snapshot(legacy.engine)
    resp = mt(legacy, "cancelled", {**key, "reason_code": "1001", "reason": "x"})
    assert resp.status_code == 409
    body = resp.json()
    assert body["data"] == "ng" and body["error"]["code"] == 40901
    assert "from 5 已完成 to 6 已取消" in body["error"]["msg"]
    assert snapshot(legacy.engine) == before
    # The refused push was not logged, so nothing stops a later legal push of that kind.
    assert (
        count(
            legacy.engine,
            t_push_log,
            t_push_log.c.push_type == "cancelled",
            t_push_log.c.channel_order_id == oid,
        )
        == 0
    )


def test_malformed_bodies_get_40001_in_the_channel_format(legacy):
    before = snapshot(legacy.engine)
    resp = legacy.http.post("/api/channel/meituan/new", json={"order_id": "1"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == 40001
    assert "application/x-www-form-urlencoded" in resp.json()["error"]["msg"]
    resp = legacy.http.post(
        "/api/channel/meituan/new",
        content=b"order_id=1&broken",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 400 and resp.json()["data"] == "ng"
    bad_detail = meituan_new(platform_order_id(), detail="[{not json")
    resp = mt(legacy, "new", bad_detail)
    assert resp.status_code == 400 and "'detail'" in resp.json()["error"]["msg"]
    resp = legacy.http.post(
        "/api/channel/eleme/push",
        content=b"{bad json",
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 400 and resp.json()["code"] == 40001
    assert "not valid JSON" in resp.json()["message"]
    body = eleme_body(10, {})
    body["message"] = "{oops"
    resp = legacy.http.post("/api/channel/eleme/push", json=body)
    assert resp.status_code == 400 and "'message'" in resp.json()["message"]
    resp = mt(legacy, "teleport", {"order_id": "1"})
    assert resp.status_code == 400 and "teleport" in resp.json()["error"]["msg"]
    assert snapshot(legacy.engine) == before


def test_unknown_store_order_and_wrong_store(legacy):
    before = snapshot(legacy.engine)
    resp = mt(legacy, "new", meituan_new(platform_order_id(), poi="mt-poi-nowhere"))
    assert resp.status_code == 404 and resp.json()["error"]["code"] == 40401
    assert "mt-poi-nowhere" in resp.json()["error"]["msg"]
    resp = mt(legacy, "new", meituan_new(platform_order_id(), poi="mt-poi-gone"))  # soft-deleted
    assert resp.status_code == 404 and resp.json()["error"]["code"] == 40401
    resp = ele(legacy, 10, eleme_message(platform_order_id()), shop="ele-shop-nowhere")
    assert resp.status_code == 404 and resp.json()["code"] == 40401
    resp = mt(legacy, "confirmed", {"order_id": platform_order_id(), "app_poi_code": "mt-poi-a"})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == 40403
    assert snapshot(legacy.engine) == before
    oid = platform_order_id()
    mt(legacy, "new", meituan_new(oid))
    resp = mt(legacy, "confirmed", {"order_id": oid, "app_poi_code": "mt-poi-b"})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == 40903


def test_oversized_bodies_get_413_with_or_without_content_length(legacy):
    from tests.integration.legacy.conftest import MAX_BODY

    before = snapshot(legacy.engine)
    big = meituan_new(platform_order_id(), caution="辣" * MAX_BODY)
    resp = mt(legacy, "new", big)
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == 41301 and "max_body_bytes" in resp.json()["error"]["msg"]

    def chunks():
        payload = json.dumps({"store_code": "SH0101", "pad": "x" * (MAX_BODY * 2)}).encode()
        for i in range(0, len(payload), 1000):
            yield payload[i : i + 1000]

    resp = legacy.http.post(
        "/api/pos/orders/pull", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in resp.request.headers
    assert resp.status_code == 413 and resp.json() == {
        "code": 41301,
        "msg": resp.json()["msg"],
        "data": None,
    }
    assert snapshot(legacy.engine) == before


def test_pull_answers_502_when_the_channel_api_does_not_answer(legacy):
    before = snapshot(legacy.engine)
    resp = legacy.http.post("/api/channel/meituan/pull", json={"store_code": "SH0101"})
    assert resp.status_code == 502
    assert resp.json()["code"] == 50201 and "did not answer" in resp.json()["msg"]
    assert snapshot(legacy.engine) == before


def test_concurrent_new_orders_of_one_store_get_distinct_serials(legacy):
    oids = [platform_order_id() for _ in range(8)]
    barrier = threading.Barrier(len(oids))
    codes: list[int] = []

    def push(oid):
        barrier.wait()
        codes.append(mt(legacy, "new", meituan_new(oid, poi="mt-poi-bj")).status_code)

    threads = [threading.Thread(target=push, args=(oid,)) for oid in oids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * len(oids)
    with legacy.engine.connect() as conn:
        numbers = (
            conn.execute(sa.select(t_order.c.order_no).where(t_order.c.channel_order_id.in_(oids)))
            .scalars()
            .all()
        )
    serials = sorted(int(no[-5:]) for no in numbers)
    assert len(numbers) == len(oids) and serials == list(range(serials[0], serials[0] + len(oids)))
