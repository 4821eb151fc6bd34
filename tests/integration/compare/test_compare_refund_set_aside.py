"""A refund the store sets aside on the platform maps back to the platform's rows.

A Meituan order is pushed in, pulled, acked and made by the POS (legacy 1 → 2 → 3); Meituan
asks for a refund (3 → 7); the POS reports making again while the refund is open (7 → 3, the
status the order already had: the platform sets the sub-status ``REFUND_SET_ASIDE`` in
place), then ready (→ 4, with ``refund_status`` still 1: the platform moves the main status
with the refund set aside). Reverse sync writes the order and its log to legacy; the
comparison maps legacy's rows forward and must find exactly the platform's rows: the order's
status, refund track and sub-status, and every history step.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import sqlalchemy as sa

from tests.integration.compare.canary_traffic import (
    ORDER_UNITS,
    ok,
    reverse_once,
    takeout,
)
from tests.integration.compare.conftest import OPTIONS
from zhongtai.compare.data import compare_data
from zhongtai.legacy import schema as ls
from zhongtai.platform.order import tables as ot
from zhongtai.workload.payloads import meituan_new_form, meituan_refund_form

MT_ORDER = "27000000007700002"


def _set_aside(url: str, catalog) -> str:
    """The store's traffic on the platform; returns the order number."""
    store = catalog.on_channel("meituan")[0]
    dishes = [d for d in catalog.menus[store.store_id] if not d.sold_out and d.mt_food_code]
    order = takeout(store, dishes[:2], MT_ORDER)
    pos = {"store_code": store.store_code}
    with httpx.Client(base_url=url, timeout=60) as http:
        answer = http.post("/api/channel/meituan/new", data=meituan_new_form(order))
        assert answer.json() == {"data": "ok"}, answer.text
        pulled = ok(http.post("/api/pos/orders/pull", json={**pos, "page_size": 50}))
        (order_no,) = [o["order_no"] for o in pulled["data"]["orders"]]
        ack = {**pos, "order_no": order_no, "ticket_no": "T-0078", "pos_id": "POS-1"}
        ok(http.post("/api/pos/orders/ack", json=ack))
        progress = {**pos, "order_no": order_no}
        ok(http.post("/api/pos/orders/progress", json={**progress, "progress": "making"}))
        form = meituan_refund_form(MT_ORDER, store.mt_poi_code, "apply", refund_id="R-78",
                                   money=12.5, now=int(datetime.now().timestamp()))  # fmt: skip
        assert http.post("/api/channel/meituan/refund", data=form).json() == {"data": "ok"}
        for step in ("making", "ready"):
            ok(http.post("/api/pos/orders/progress", json={**progress, "progress": step}))
    return order_no


def test_a_refund_the_store_set_aside_maps_back_to_the_platforms_rows(canary):
    pair, url, catalog = canary
    order_no = _set_aside(url, catalog)
    h, orders = ot.order_status_history.c, ot.orders.c
    steps = pair.run("order", sa.select(h.track, h.from_status, h.to_status, h.sub_status)
                     .join(ot.orders, orders.id == h.order_id)
                     .where(orders.order_no == order_no).order_by(h.seq))  # fmt: skip
    aside = "REFUND_SET_ASIDE"
    assert [tuple(s.values()) for s in steps][-4:] == [
        ("MAIN", "ACCEPTED", "PREPARING", None),
        ("REFUND", "NONE", "APPLIED", None),
        ("SUB", None, aside, aside),
        ("MAIN", "PREPARING", "DELIVERING", aside),
    ]
    back = reverse_once(pair.settings)
    assert back.applied["orders"] >= 1 and not back.conflicts and not back.quarantined

    o, log = ls.t_order.c, ls.t_order_status_log.c
    twin = pair.run("legacy", sa.select(o.id, o.status, o.refund_status)
                    .where(o.order_no == order_no))  # fmt: skip
    # Legacy shows the order as it showed one moved on: 4 (配送中) with its refund still asked.
    assert [(t["status"], t["refund_status"]) for t in twin] == [(4, 1)]
    moves = pair.run("legacy", sa.select(log.from_status, log.to_status)
                     .where(log.order_id == twin[0]["id"]).order_by(log.id))  # fmt: skip
    # As legacy logs it, but for the refund set aside in place: 7 → 7, reverse sync's own
    # (legacy's 7 → 3, back to the status before the refund, reads as the refund rejected).
    assert [tuple(m.values()) for m in moves][-4:] == [(2, 3), (3, 7), (7, 7), (7, 4)]

    parity = compare_data(pair.settings, ["orders"], options=OPTIONS)
    units = {u.name: u for u in parity.units}
    for name in ORDER_UNITS:
        unit = units[name]
        found = [(d.kind, d.key, [c.column for c in getattr(d, "columns", None) or []])
                 for d in unit.sample]  # fmt: skip
        assert unit.ok and unit.legacy_rows == unit.platform_rows, (name, found)
