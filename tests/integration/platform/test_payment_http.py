"""The payment center over real HTTP (uvicorn on loopback), on every engine.

Served alone on its own database (as ``--split`` runs it); the mounted layout is exercised by
``test_order_payment_dry_run.py``.
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
ORDER = "3250601SH001200001"
PAYMENT = {
    "out_trade_no": "WX3250601SH001200001",
    "order_no": ORDER,
    "channel": "WX_JSAPI",
    "amount": 4600,
}
NOTIFY = {
    "success": True,
    "amount": 4600,
    "transaction_id": "4200000001202506011234",
    "paid_at": "2025-06-01T12:31:05+08:00",
    "raw": "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>",
}


@pytest.fixture
def payment_url(engine_name, make_db) -> str:
    return make_db(engine_name, prefix="zt_payment")


@pytest.fixture
def api(payment_url, tmp_path):
    settings = settings_for({"payment": payment_url}, tmp_path)
    upgrade_center(settings, "payment")
    app = create_center_app(settings, "payment", clock=lambda: FIXED_NOW)
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        created = client.post("/payments", json=PAYMENT)
        assert created.status_code == 201, created.text
        yield client
    app.state.center_runtime.dispose()


def test_payment_notify_resend_and_refund(api):
    path = f"/payments/{PAYMENT['out_trade_no']}"
    assert api.post("/payments", json=PAYMENT).json()["duplicate"] is True
    first = api.post(f"{path}/notify", json=NOTIFY).json()
    assert (first["outcome"], first["changed"]) == ("PAID", True)
    assert first["payment"]["paid_at"] == "2025-06-01T04:31:05+00:00"
    again = api.post(f"{path}/notify", json=NOTIFY).json()
    assert (again["outcome"], again["changed"]) == ("ALREADY_PAID", False)
    body = api.get(path, params={"raw": True}).json()
    assert body["id"] == PLATFORM_ID_BASE and body["raw_notify"] == NOTIFY["raw"]
    assert body["created_at"] == FIXED_NOW.isoformat()
    assert [
        p["status"] for p in api.get("/payments", params={"order_no": ORDER}).json()["items"]
    ] == ["SUCCEEDED"]
    # then a partial refund, applied and settled
    applied = api.post(
        "/refunds", json={"refund_no": "R1", "order_no": ORDER, "amount": 1000, "source": "USER"}
    )
    assert applied.status_code == 201 and applied.json()["refund"]["kind"] == "PARTIAL"
    done = api.post("/refunds/R1/status", json={"to": "SUCCEEDED"})
    assert done.json()["refund"]["status"] == "SUCCEEDED"
    assert api.get("/refunds", params={"order_no": ORDER}).json()["items"][0]["refund_no"] == "R1"


BAD_INPUT = [
    ("POST", "/payments", {**PAYMENT, "amount": 12.5}, 400, "INVALID_REQUEST"),
    ("POST", "/payments", {**PAYMENT, "channel": "PAYPAL"}, 400, "INVALID_REQUEST"),
    ("POST", "/payments", {**PAYMENT, "amount": 1}, 409, "PAYMENT_EXISTS"),
    ("POST", "/payments/WX404/notify", NOTIFY, 404, "PAYMENT_NOT_FOUND"),
    (
        "POST",
        f"/payments/{PAYMENT['out_trade_no']}/notify",
        {**NOTIFY, "amount": 1},
        409,
        "AMOUNT_MISMATCH",
    ),
    (
        "POST",
        f"/payments/{PAYMENT['out_trade_no']}/notify",
        {**NOTIFY, "paid_at": "2025-06-01T12:31:05"},
        400,
        "NAIVE_TIMESTAMP",
    ),
    (
        "POST",
        "/refunds",
        {"refund_no": "R", "order_no": "X", "amount": 1, "source": "USER"},
        400,
        "PAID_AMOUNT_REQUIRED",
    ),
    ("POST", "/refunds/NOPE/status", {"to": "SUCCEEDED"}, 404, "REFUND_NOT_FOUND"),
    ("GET", "/payments/NOPE", None, 404, "PAYMENT_NOT_FOUND"),
]


def test_bad_input_is_explained_and_changes_nothing(api, payment_url):
    url = payment_url
    before = dump_database(url)
    for method, path, body, status, code in BAD_INPUT:
        r = api.request(method, path, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, r.text)
        assert r.json()["error"]["message"]
    assert dump_database(url) == before


def test_dry_run_writes_leave_payment_db_identical(api, payment_url, engine_name):
    url = payment_url
    before = dump_database(url)
    raw_before = sqlite_file_bytes(url) if engine_name == "sqlite" else None
    out = PAYMENT["out_trade_no"]
    calls = [
        ("POST", "/payments", {**PAYMENT, "out_trade_no": "WX2", "order_no": "O2"}),
        ("POST", f"/payments/{out}/notify", NOTIFY),
        (
            "POST",
            "/refunds",
            {
                "refund_no": "R9",
                "order_no": "MT1",
                "amount": 100,
                "source": "PLATFORM",
                "paid_amount": 500,
            },
        ),
        ("POST", "/payments/WX2/close", None),  # 404 in a dry run too: WX2 was never kept
    ]
    responses = [api.request(m, p, json=b, headers=DRY) for m, p, b in calls]
    assert [r.status_code for r in responses] == [201, 200, 201, 404]
    assert responses[0].json()["payment"]["id"] == PLATFORM_ID_BASE + 1
    assert responses[1].json()["outcome"] == "PAID"
    assert all(r.headers["X-Zhongtai-Dry-Run"] == "rolled-back" for r in responses)
    assert dump_database(url) == before
    if raw_before is not None:
        assert sqlite_file_bytes(url) == raw_before
    real = api.post(f"/payments/{out}/notify", json=NOTIFY).json()
    assert real["outcome"] == "PAID"  # the shadowed notify did not pay it
