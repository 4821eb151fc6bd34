"""Orders the platform's gateway took, carried back by reverse sync, map forward to the platform.

A canary store's traffic lands on the platform app (gateway + centers, served on loopback
over the pair's databases): a Meituan order pushed in, pulled, acked and moved on by the POS,
refunded through Meituan; a mini-program order paid and then cancelled by the POS (a refund
at once); a mini-program order left unpaid. Reverse sync writes them to legacy; the data
comparison then maps legacy's rows forward and must find exactly the platform's rows: the
raw channel payload, every status-history step with its source, reason and refund amount,
and the POS handoff of every order (the unpaid one included: legacy queues every new order
for its POS, and so does the platform). The paid order's and its payment's paid time are the
notify's ``time_end`` (the only time legacy keeps of a payment), however late the notify was
applied; its cancellation and refund are one step time, as legacy logs them as one move.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa

from tests.integration.compare.canary_traffic import (
    ORDER_UNITS,
    ok,
    reverse_once,
    takeout,
)
from tests.integration.compare.conftest import OPTIONS, one
from zhongtai.compare.data import compare_data
from zhongtai.legacy import schema as ls
from zhongtai.legacy.clock import SHANGHAI, wechat_str
from zhongtai.platform.order import tables as ot
from zhongtai.workload.payloads import (
    meituan_new_form,
    meituan_refund_form,
    wechat_notify_xml,
)

PAYMENT_UNITS = ("payment.payments", "payment.refunds")
# WeChat's clock ahead of ours: the paid time is whole seconds off when the notify is applied.
CHANNEL_CLOCK_AHEAD = timedelta(seconds=3)
MT_ORDER = "27000000007700001"


def _pay(http: httpx.Client, placed: dict) -> None:
    paid = wechat_str(datetime.now(SHANGHAI) + CHANNEL_CLOCK_AHEAD)
    xml = wechat_notify_xml(out_trade_no=placed["out_trade_no"], total_fee=placed["total_fee"],
                            transaction_id="4200" + placed["out_trade_no"][-12:],
                            openid="o-round-trip", time_end=paid, nonce_str="n")  # fmt: skip
    answer = http.post("/api/mp/pay/notify", content=xml)
    assert answer.status_code == 200 and b"SUCCESS" in answer.content, answer.text


def _store_traffic(url: str, catalog) -> list[str]:
    """The canary store's traffic on the platform; returns the order numbers it created."""
    store = catalog.on_channel("meituan")[0]
    dishes = [d for d in catalog.menus[store.store_id] if not d.sold_out and d.mt_food_code]
    member = catalog.members[0].member_id
    pos = {"store_code": store.store_code}
    with httpx.Client(base_url=url, timeout=60) as http:
        order = takeout(store, dishes[:2], MT_ORDER)
        answer = http.post("/api/channel/meituan/new", data=meituan_new_form(order))
        assert answer.json() == {"data": "ok"}, answer.text
        base = {"store_id": store.store_id, "member_id": member, "source": 3, "order_type": 2,
                "items": [{"sku_id": dishes[0].sku_id, "quantity": 2}]}  # fmt: skip
        paid = ok(http.post("/api/mp/orders", json={**base, "remark": "少辣"}))["data"]
        unpaid = ok(http.post("/api/mp/orders", json=base))["data"]
        _pay(http, paid)
        pulled = ok(http.post("/api/pos/orders/pull", json={**pos, "page_size": 50}))
        numbers = {o["order_no"] for o in pulled["data"]["orders"]}
        assert paid["order_no"] in numbers
        mt_no = next(n for n in numbers if n not in (paid["order_no"], unpaid["order_no"])
                     and n.startswith("1"))  # fmt: skip
        ack = {**pos, "order_no": mt_no, "ticket_no": "T-0077", "pos_id": "POS-1"}
        ok(http.post("/api/pos/orders/ack", json=ack))
        ok(http.post("/api/pos/orders/progress", json={**pos, "order_no": mt_no,
                                                        "progress": "making"}))  # fmt: skip
        for kind in ("apply", "agree"):
            form = meituan_refund_form(MT_ORDER, store.mt_poi_code, kind, refund_id="R-77",
                                       money=12.5, now=int(datetime.now().timestamp()))  # fmt: skip
            assert http.post("/api/channel/meituan/refund", data=form).json() == {"data": "ok"}
        cancel = {**pos, "order_no": paid["order_no"], "reason": "顾客要求取消"}
        ok(http.post("/api/pos/orders/cancel", json=cancel))
    return [mt_no, paid["order_no"], unpaid["order_no"]]


def test_orders_the_platform_took_map_back_to_the_platforms_rows_after_reverse_sync(canary):
    pair, url, catalog = canary
    numbers = _store_traffic(url, catalog)
    back = reverse_once(pair.settings)
    assert back.applied["orders"] >= 3 and not back.conflicts and not back.quarantined

    o, log = ls.t_order.c, ls.t_order_status_log.c
    found = sa.select(o.id, o.order_no, o.ext_json).where(o.order_no.in_(numbers))
    twins = {r["order_no"]: r for r in pair.run("legacy", found)}
    assert set(twins) == set(numbers)
    mt_no, paid_no, _ = numbers
    # The channel's payload, kept as legacy keeps it.
    assert MT_ORDER in (twins[mt_no]["ext_json"] or "")
    moves = pair.run("legacy", sa.select(log.from_status, log.to_status, log.source, log.remark)
                     .where(log.order_id == twins[paid_no]["id"]).order_by(log.id))  # fmt: skip
    # The POS cancel is one move in legacy's log, with the POS's reason; its refund is t_refund's.
    assert [tuple(m.values()) for m in moves][-1] == (1, 6, "POS", "顾客要求取消")
    h = ot.order_status_history.c
    steps = pair.run("order", sa.select(h.track, h.source, h.amount, h.at).join(
        ot.orders, ot.orders.c.id == h.order_id).where(ot.orders.c.order_no == paid_no)
        .order_by(h.seq))  # fmt: skip
    refunds = [(s["source"], s["amount"] is not None) for s in steps if s["track"] == "REFUND"]
    assert refunds == [("POS", True)]
    # The cancel and its refund are one command: one time, as legacy's one move has.
    assert steps[-1]["track"] == "REFUND" and steps[-1]["at"] == steps[-2]["at"]

    parity = compare_data(pair.settings, ["orders", "payments"], options=OPTIONS)
    units = {u.name: u for u in parity.units}
    for name in ORDER_UNITS + PAYMENT_UNITS:
        unit = units[name]
        found = [(d.kind, d.key, [c.column for c in getattr(d, "columns", None) or []])
                 for d in unit.sample]  # fmt: skip
        assert unit.ok and unit.legacy_rows == unit.platform_rows, (name, found)
    refs = ot.external_refs.c
    queued = one(pair.run("order", sa.select(refs.state, refs.attempts).join(
        ot.orders, ot.orders.c.id == refs.order_id).where(
            ot.orders.c.order_no == numbers[2])))  # fmt: skip
    assert queued == {"state": "PENDING", "attempts": 0}
