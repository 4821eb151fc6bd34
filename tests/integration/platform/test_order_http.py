"""The order center over real HTTP (uvicorn on loopback), on every engine.

The center is served alone (``create_center_app``, as ``--split`` runs it) on its own
database: starting the whole platform per test would cost more than the checks. The mounted
layout is exercised by ``test_order_payment_dry_run.py``.
"""

from __future__ import annotations

import httpx
import pytest

from tests.integration.platform.platform_support import (
    FIXED_NOW,
    ThreadedServer,
    dump_database,
    settings_for,
    sqlite_file_bytes,
)
from zhongtai.platform.http import create_center_app
from zhongtai.platform.ids import PLATFORM_ID_BASE
from zhongtai.platform.migrations import upgrade_center

DRY = {"X-Zhongtai-Shadow": "dry-run"}
MEITUAN = {
    "order_no": "1250601SH001200001",
    "store_id": 12,
    "channel": "MEITUAN",
    "channel_order_id": "27011234567890123456",
    "order_type": "DELIVERY",
    "status": "PAID",
    "day_seq": 3,
    "items": [
        {"line_no": 1, "name": "宫保鸡丁", "qty": 2, "unit_price": 1800, "sku_id": 101},
        {"line_no": 2, "name": "可乐", "qty": 1, "unit_price": 500, "channel_item_ref": "mt:9"},
    ],
    "discounts": [{"kind": "FULL_REDUCTION", "amount": 600, "platform_part": 200}],
    "package_fee": 200,
    "delivery_fee": 400,
    "paid_amount": 4100,
    "customer": {"name": "张(先生)", "phone": "18449039731_7333", "address": "人民大道1号"},
    "store_snapshot": {"store_code": "SH0012", "name": "人民广场店"},
    "placed_at": "2025-06-01T12:25:00+08:00",
    "source": "MEITUAN_PUSH",
    "push": {"channel": "MEITUAN", "channel_order_id": "27011234567890123456", "push_type": "new"},
}
MINI = {
    "order_no": "3250601SH001200002",
    "store_id": 12,
    "channel": "MINI_PROGRAM",
    "order_type": "PICKUP",
    "member_id": 7,
    "items": [{"line_no": 1, "name": "米饭", "qty": 1, "unit_price": 300, "sku_id": 102}],
    "customer": {"phone": "+86 138-0013-8000"},
    "source": "MP",
}


@pytest.fixture
def order_url(engine_name, make_db, tmp_path) -> str:
    return make_db(engine_name, prefix="zt_order")


@pytest.fixture
def api(order_url, tmp_path):
    settings = settings_for({"order": order_url}, tmp_path)
    upgrade_center(settings, "order")
    app = create_center_app(settings, "order", clock=lambda: FIXED_NOW)
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    app.state.center_runtime.dispose()


@pytest.fixture
def seeded(api):
    assert api.post("/orders", json=MEITUAN).status_code == 201
    assert api.post("/orders", json=MINI).status_code == 201
    return api


def test_create_read_back_at_three_granularities_and_re_push(seeded):
    body = seeded.get(f"/orders/{MEITUAN['order_no']}").json()
    assert body["id"] == PLATFORM_ID_BASE and body["order_no"] == MEITUAN["order_no"]
    assert (body["goods_amount"], body["paid_amount"], body["merchant_subsidy"]) == (
        4100,
        4100,
        400,
    )
    assert body["placed_at"] == "2025-06-01T04:25:00+00:00"
    assert body["created_at"] == FIXED_NOW.isoformat()
    assert body["items"][1]["sku_id"] is None and body["items"][1]["channel_item_ref"] == "mt:9"
    coarse = seeded.get(f"/orders/{MEITUAN['order_no']}", params={"view": "coarse"}).json()
    assert len(coarse) == 8
    by_channel = seeded.get("/orders/by-channel/MEITUAN/27011234567890123456?view=medium").json()
    assert by_channel["order_no"] == MEITUAN["order_no"] and "items" not in by_channel
    # a re-pushed order answers duplicate and records nothing
    again = seeded.post("/orders", json={**MEITUAN, "order_no": "1250601SH001200009"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["order"]["order_no"] == MEITUAN["order_no"]
    assert seeded.get("/orders").json()["total"] == 2


def test_pos_cycle_pull_ack_progress(seeded):
    pulled = seeded.post("/handoffs/POS/claim", json={"store_id": 12, "limit": 1}).json()
    assert [o["order_no"] for o in pulled["orders"]] == [MEITUAN["order_no"]]
    assert pulled["more"] is False  # the mini-program order is not paid yet
    assert pulled["orders"][0]["external_refs"]["POS"]["state"] == "PULLED"
    ack = seeded.post(
        f"/orders/{MEITUAN['order_no']}/status",
        json={
            "to": "ACCEPTED",
            "source": "POS",
            "expected_store_id": 12,
            "handoff": {"system": "POS", "state": "ACKED", "ref_no": "0042"},
        },
    )
    assert ack.status_code == 200, ack.text
    assert ack.json()["order"]["external_refs"]["POS"]["ref_no"] == "0042"
    ready = seeded.post(
        f"/orders/{MEITUAN['order_no']}/status",
        json={"to": "READY", "source": "POS", "sub_status": "PICKUP_CODE_SET"},
    )
    assert ready.json()["order"]["main_status"] == "READY"
    wrong = seeded.post(
        f"/orders/{MEITUAN['order_no']}/status",
        json={"to": "COMPLETED", "source": "POS", "expected_store_id": 99},
    )
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "WRONG_STORE"


def test_light_views_skip_the_lines_but_commands_keep_them_and_the_history(seeded):
    no = MEITUAN["order_no"]
    before = len(seeded.get(f"/orders/{no}").json()["history"])
    for to in ("ACCEPTED", "PREPARING"):
        moved = seeded.post(f"/orders/{no}/status?view=coarse", json={"to": to, "source": "POS"})
        assert moved.status_code == 200 and moved.json()["order"]["main_status"] == to
    refund = seeded.post(
        f"/orders/{no}/refund-status?view=medium",
        json={"to": "APPLIED", "source": "MEITUAN"},
    )
    assert refund.status_code == 200 and "items" not in refund.json()["order"]
    medium = seeded.get(f"/orders/{no}?view=medium").json()
    assert medium["main_status"] == "PREPARING" and medium["refund_status"] == "APPLIED"
    assert "history" not in medium and "external_refs" in medium
    fine = seeded.get(f"/orders/{no}").json()
    assert [i["line_no"] for i in fine["items"]] == [1, 2] and len(fine["discounts"]) == 1
    moves = [(h["to_status"], h["source"]) for h in fine["history"]]
    assert moves[before:] == [("ACCEPTED", "POS"), ("PREPARING", "POS"), ("APPLIED", "MEITUAN")]


def test_admin_search_member_orders_day_sequence_and_events(seeded):
    found = seeded.get("/orders", params={"phone": "13800138000"}).json()
    assert [o["order_no"] for o in found["items"]] == [MINI["order_no"]]
    mine = seeded.get("/orders", params={"member_id": 7, "view": "coarse"}).json()
    assert mine["total"] == 1 and mine["items"][0]["main_status"] == "PENDING_PAYMENT"
    paid = seeded.get("/orders", params=[("main_status", "PAID"), ("main_status", "ACCEPTED")])
    assert [o["order_no"] for o in paid.json()["items"]] == [MEITUAN["order_no"]]
    window = seeded.get(
        "/orders",
        params={"placed_from": "2025-06-01T00:00:00+08:00", "placed_to": "2025-06-02T00:00:00Z"},
    )
    assert window.json()["total"] == 2
    # the per-store daily counter and the outbox
    first = seeded.post("/day-sequences/12/2025-06-01/next").json()
    second = seeded.post("/day-sequences/12/2025-06-01/next").json()
    assert (first["value"], second["value"]) == (1, 2)
    events = seeded.get("/events").json()
    assert [e["kind"] for e in events["events"]] == ["ORDER_CREATED", "ORDER_CREATED"]
    assert seeded.get("/events", params={"after_id": events["last_id"]}).json()["events"] == []


def test_numbered_orders_and_push_lookup(seeded):
    numbered = {**MEITUAN, "channel_order_id": "2702", "day_seq": None}
    del numbered["order_no"]
    numbered["numbering"] = {
        "prefix": "1250601SH0012",
        "business_day": "2025-06-01",
        "fill_day_seq": True,
    }
    numbered["push"] = {**MEITUAN["push"], "channel_order_id": "2702"}
    created = seeded.post("/orders", json=numbered)
    assert created.status_code == 201, created.text
    # …00001 is taken by the order seeded with its own number: the counter steps past it.
    assert created.json()["order"]["order_no"] == "1250601SH001200002"
    assert created.json()["order"]["day_seq"] == 2
    assert seeded.post("/orders", json=numbered).json()["duplicate"] is True
    lookup = seeded.get("/pushes/MEITUAN/2702/confirmed").json()
    assert lookup["seen"] is False and lookup["order"]["order_no"] == "1250601SH001200002"
    acked = seeded.post(
        "/orders/1250601SH001200002/pushes",
        json={"channel": "MEITUAN", "channel_order_id": "2702", "push_type": "confirmed"},
    )
    assert acked.status_code == 200 and acked.json()["duplicate"] is False
    assert seeded.get("/pushes/MEITUAN/2702/confirmed").json()["seen"] is True
    assert seeded.post("/day-sequences/12/2025-06-01/next").json()["value"] == 3


BAD_INPUT = [
    ("POST", "/orders", {"order_no": "x"}, 400, "INVALID_REQUEST"),
    (
        "POST",
        "/orders",
        {**MINI, "order_no": "N2", "paid_amount": 1},
        400,
        "MONEY_NOT_CONSERVED",
    ),
    ("POST", "/orders", {**MINI, "order_no": "N3", "items": []}, 400, "INVALID_LINE"),
    (
        "POST",
        "/orders",
        {**MINI, "order_no": "N4", "placed_at": "2025-06-01T12:00:00"},
        400,
        "NAIVE_TIMESTAMP",
    ),
    ("POST", "/orders", MINI, 409, "ORDER_EXISTS"),
    ("GET", "/orders/NOPE", None, 404, "ORDER_NOT_FOUND"),
    ("GET", "/orders?phone=12", None, 400, "INVALID_PHONE"),
    ("GET", "/orders?view=huge", None, 400, "INVALID_REQUEST"),
    (
        "POST",
        f"/orders/{MEITUAN['order_no']}/status",
        {"to": "CANCELLED"},
        400,
        "INVALID_REQUEST",
    ),
    (
        "POST",
        f"/orders/{MINI['order_no']}/status",
        {"to": "COMPLETED", "source": "POS"},
        409,
        "ILLEGAL_TRANSITION",
    ),
    (
        "POST",
        f"/orders/{MINI['order_no']}/refund-status",
        {"to": "APPLIED", "source": "MP"},
        409,
        "NOT_PAID",
    ),
    ("POST", "/handoffs/pos/claim", {"store_id": 12}, 400, "INVALID_SYSTEM"),
    ("POST", "/handoffs/POS/claim", {"store_id": 12, "limit": 99}, 400, "INVALID_INPUT"),
]


def test_bad_input_is_explained_and_changes_nothing(seeded):
    """Every refusal names the problem in a machine code and a message; illegal transitions
    carry the allowed next states in ``details``."""
    # One server for every case: starting a platform per case costs more than the checks.
    before = seeded.get("/orders", params={"view": "fine", "include_deleted": True}).json()
    for method, path, body, status, code in BAD_INPUT:
        r = seeded.request(method, path, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, r.text)
        assert r.json()["error"]["message"]
    after = seeded.get("/orders", params={"view": "fine", "include_deleted": True}).json()
    assert after == before
    r = seeded.post(f"/orders/{MINI['order_no']}/status", json={"to": "READY", "source": "POS"})
    assert r.json()["error"]["details"] == {
        "track": "main",
        "from": "PENDING_PAYMENT",
        "to": "READY",
        "allowed": ["CANCELLED", "PAID"],
    }


def shadowed_burst(api: httpx.Client) -> list[httpx.Response]:
    no = MEITUAN["order_no"]
    calls = [
        ("POST", "/orders", {**MINI, "order_no": "3250601SH001200003"}),
        (
            "POST",
            "/orders",
            {
                **MEITUAN,
                "order_no": "X",
                "channel_order_id": "NEW1",
                "push": {**MEITUAN["push"], "channel_order_id": "NEW1"},
            },
        ),
        ("POST", "/handoffs/POS/claim", {"store_id": 12}),
        (
            "POST",
            f"/orders/{no}/status",
            {
                "to": "ACCEPTED",
                "source": "POS",
                "handoff": {"system": "POS", "state": "ACKED", "ref_no": "1"},
            },
        ),
        ("POST", f"/orders/{no}/sub-status", {"sub_status": "RIDER", "source": "DELIVERY"}),
        ("POST", f"/orders/{no}/refund-status", {"to": "APPLIED", "source": "MEITUAN_PUSH"}),
        ("PUT", f"/orders/{no}/handoffs/OMS", {"state": "NOT_NEEDED"}),
        ("POST", f"/orders/{MINI['order_no']}/status", {"to": "PAID", "source": "PAY_NOTIFY"}),
        ("POST", "/day-sequences/12/2025-06-01/next", None),
        ("DELETE", f"/orders/{MINI['order_no']}", None),
    ]
    return [api.request(method, path, json=body, headers=DRY) for method, path, body in calls]


def test_dry_run_writes_answer_for_real_and_leave_the_database_identical(
    seeded, order_url, engine_name
):
    url = order_url
    before = dump_database(url)
    raw_before = sqlite_file_bytes(url) if engine_name == "sqlite" else None
    responses = shadowed_burst(seeded)
    for r in responses:
        assert r.status_code in (200, 201), r.text
        assert r.headers["X-Zhongtai-Dry-Run"] == "rolled-back"
    assert responses[0].json()["order"]["id"] == PLATFORM_ID_BASE + 2  # the id a real call gets
    assert responses[3].json()["order"]["main_status"] == "ACCEPTED"
    assert responses[8].json()["value"] == 1
    assert dump_database(url) == before
    if raw_before is not None:
        assert sqlite_file_bytes(url) == raw_before
    real = seeded.post("/day-sequences/12/2025-06-01/next").json()
    assert real["value"] == 1  # the shadowed call did not burn a number
