"""Re-delivered channel pushes and WeChat notifies, also racing each other, change nothing
twice: one order, one number, one status move, one payment — and every sender gets success."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx

from tests.integration.platform.gateway.seeded import seeded_platform_fixture  # noqa: F401
from zhongtai.legacy.clock import SHANGHAI, wechat_str
from zhongtai.workload.payloads import Line, Takeout, meituan_new_form, meituan_status_form
from zhongtai.workload.payloads import wechat_notify_xml as notify_xml

RACERS = 8


def race(url: str, request: dict) -> list[httpx.Response]:
    def send(_):
        with httpx.Client(base_url=url, timeout=60) as http:
            return http.request(**request)

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(send, range(RACERS)))


def takeout(platform, order_id: str) -> Takeout:
    catalog = platform.catalog
    store = catalog.on_channel("meituan")[0]
    dish = next(d for d in catalog.channel_skus(store.store_id, "meituan") if not d.sold_out)
    return Takeout(
        order_id=order_id,
        shop=store.mt_poi_code,
        shop_name=store.store_name,
        recipient_name="赵",
        phone="13800138000",
        address="南京西路2号",
        lng=121.47,
        lat=31.23,
        lines=(Line(dish.mt_food_code, dish.mt_sku_id, dish.name, dish.spec, dish.price, 1),),
        created=int(datetime.now(SHANGHAI).timestamp()) - 60,
    )


def test_racing_copies_of_a_new_push_and_of_a_status_push_apply_once(seeded_platform):
    url = seeded_platform.url
    order = takeout(seeded_platform, "27000000008800001")
    new = {"method": "POST", "url": "/api/channel/meituan/new", "data": meituan_new_form(order)}
    answers = race(url, new)
    assert all(r.status_code == 200 and r.json() == {"data": "ok"} for r in answers)
    path = f"/centers/order/pushes/MEITUAN/{order.order_id}/new"
    created = httpx.get(url + path).json()
    assert created["seen"] and created["order"] is not None
    found = httpx.get(url + "/centers/order/orders", params={"channel": "MEITUAN", "size": 200})
    mine = [o for o in found.json()["items"] if o["channel_order_id"] == order.order_id]
    assert len(mine) == 1
    form = meituan_status_form(order.order_id, order.shop, "confirmed", now=1)
    confirm = {"method": "POST", "url": "/api/channel/meituan/confirmed", "data": form}
    assert all(r.json() == {"data": "ok"} for r in race(url, confirm))
    view = httpx.get(f"{url}/centers/order/orders/{created['order']['order_no']}").json()
    moves = [h for h in view["history"] if h["to_status"] == "ACCEPTED"]
    assert view["main_status"] == "ACCEPTED" and len(moves) == 1


def test_racing_copies_of_a_wechat_notify_pay_once(seeded_platform):
    url = seeded_platform.url
    catalog = seeded_platform.catalog
    store = catalog.stores[0]
    dish = next(d for d in catalog.menus[store.store_id] if not d.sold_out)
    body = {
        "store_id": store.store_id,
        "member_id": catalog.members[-1].member_id,
        "source": 3,
        "order_type": 2,
        "items": [{"sku_id": dish.sku_id, "quantity": 1}],
    }
    placed = httpx.post(url + "/api/mp/orders", json=body).json()["data"]
    xml = notify_xml(
        out_trade_no=placed["out_trade_no"],
        total_fee=placed["total_fee"],
        transaction_id="4200000000777",
        openid="o-race",
        time_end=wechat_str(datetime(2026, 1, 2, 3, 4, 5, tzinfo=SHANGHAI)),
        nonce_str="n",
    )
    answers = race(url, {"method": "POST", "url": "/api/mp/pay/notify", "content": xml})
    assert all("<![CDATA[SUCCESS]]>" in r.text for r in answers), [r.text for r in answers]
    again = httpx.post(url + "/api/mp/pay/notify", content=xml)
    assert "<![CDATA[SUCCESS]]>" in again.text
    payment = httpx.get(f"{url}/centers/payment/payments/{placed['out_trade_no']}").json()
    assert payment["status"] == "SUCCEEDED"
    view = httpx.get(f"{url}/centers/order/orders/{placed['order_no']}").json()
    assert view["main_status"] == "PAID"
    assert len([h for h in view["history"] if h["to_status"] == "PAID"]) == 1
