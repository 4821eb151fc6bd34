"""Shared by the reverse-sync round-trip comparisons: the order tables compared, a canary
store's takeout order, answers checked as legacy clients check them, and one reverse sync
run (the ``canary`` fixture and the comparison options are in this folder's conftest)."""

from __future__ import annotations

from datetime import datetime

import httpx

from zhongtai.config import Settings
from zhongtai.legacy.clock import SHANGHAI
from zhongtai.migrate.reverse import ReverseSyncer
from zhongtai.migrate.syncloop import SyncReport, run
from zhongtai.workload.payloads import Line, Takeout

ORDER_UNITS = ("order.orders", "order.order_items", "order.order_discounts",
               "order.order_status_history", "order.external_refs")  # fmt: skip


def ok(answer: httpx.Response) -> dict:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body.get("code", 0) == 0 and body.get("data") != "fail", body
    return body


def takeout(store, dishes, order_id: str) -> Takeout:
    """A Meituan order ``order_id`` of ``store`` with the first two ``dishes`` (1 and 2 each)."""
    lines = tuple(
        Line(d.mt_food_code, d.mt_sku_id, d.name, d.spec, d.price, q, ext_code=d.sku_code)
        for d, q in zip(dishes, (1, 2), strict=False)
    )
    return Takeout(order_id=order_id, shop=store.mt_poi_code, shop_name=store.store_name,
                   recipient_name="刘(先生)", phone="18449039731_7333", address="南京西路1号",
                   lng=121.47, lat=31.23, lines=lines, shipping_fee=5.0, caution="不要香菜",
                   created=int(datetime.now(SHANGHAI).timestamp()) - 60)  # fmt: skip


def reverse_once(settings: Settings) -> SyncReport:
    """Reverse sync until the centers' change logs are drained."""
    syncer = ReverseSyncer(settings)
    try:
        return run(syncer)
    finally:
        syncer.close()
