"""Shadow writes through the one-process platform: the order and payment databases stay
byte-for-byte what they were, while every response is the one a real call would give."""

from __future__ import annotations

import httpx

from tests.integration.platform.platform_support import dump_database, sqlite_file_bytes

DRY = {"X-Zhongtai-Shadow": "dry-run"}
ORDER = {
    "order_no": "3250601SH001200001",
    "store_id": 12,
    "channel": "MINI_PROGRAM",
    "order_type": "PICKUP",
    "items": [{"line_no": 1, "name": "米饭", "qty": 2, "unit_price": 300, "sku_id": 102}],
    "source": "MP",
}
PAYMENT = {
    "out_trade_no": "WX1",
    "order_no": ORDER["order_no"],
    "channel": "WX_JSAPI",
    "amount": 600,
}
NOTIFY = {"success": True, "amount": 600, "transaction_id": "42", "paid_at": "2025-06-01T04:31:05Z"}


def state(settings, engine_name) -> dict:
    out = {}
    for center in ("order", "payment"):
        url = settings.database(center)
        out[center] = dump_database(url)
        if engine_name == "sqlite":
            out[f"{center}@bytes"] = sqlite_file_bytes(url)
    return out


def test_a_shadowed_mini_program_order_leaves_both_centers_unchanged(
    platform_server, platform_settings, engine_name
):
    base = platform_server.url
    with httpx.Client(base_url=base, timeout=30) as http:
        # Real history first: an order waiting for payment and its open payment.
        assert http.post("/centers/order/orders", json=ORDER).status_code == 201
        assert http.post("/centers/payment/payments", json=PAYMENT).status_code == 201
        before = state(platform_settings, engine_name)
        # The whole mini-program flow, shadowed: place, pay, notify, accept, refund.
        steps = [
            ("/centers/order/day-sequences/12/2025-06-01/next", None),
            ("/centers/order/orders", {**ORDER, "order_no": "3250601SH001200002"}),
            ("/centers/payment/payments", {**PAYMENT, "out_trade_no": "WX2", "order_no": "O2"}),
            ("/centers/payment/payments/WX1/notify", NOTIFY),
            (f"/centers/order/orders/{ORDER['order_no']}/status", {"to": "PAID", "source": "PAY"}),
            ("/centers/order/handoffs/POS/claim", {"store_id": 12}),
            (
                "/centers/payment/refunds",
                {
                    "refund_no": "R1",
                    "order_no": ORDER["order_no"],
                    "amount": 600,
                    "source": "USER",
                    "paid_amount": 600,  # each dry run stands alone: WX1 is still unpaid here
                },
            ),
        ]
        answers = [http.post(path, json=body, headers=DRY) for path, body in steps]
        for r in answers:
            assert r.status_code in (200, 201), r.text
            assert r.headers["X-Zhongtai-Dry-Run"] == "rolled-back"
        assert answers[3].json()["outcome"] == "PAID"
        assert answers[4].json()["order"]["main_status"] == "PAID"
        # Within one dry run the claim sees only what is committed: the order is unpaid.
        assert answers[5].json() == {"more": False, "orders": []}
        assert answers[6].json()["refund"]["kind"] == "FULL"
        assert state(platform_settings, engine_name) == before
        real = http.post("/centers/payment/payments/WX1/notify", json=NOTIFY).json()
        assert real["outcome"] == "PAID"
