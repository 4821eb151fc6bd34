"""The recorded contract scenario: every client kind, good and bad requests, in one sequence.

:func:`choose` picks the actors from the seeded legacy database (a store on both channels,
another store, a member, dishes); :func:`run` drives one side through the scenario and
records every exchange. Later steps use what *this* side answered (order numbers), so a
difference shows at the first step that differs, not as a cascade of unrelated failures.
Request bodies come from the traffic generator's builders (``zhongtai.workload.payloads``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import httpx

from tests.integration.platform.gateway.parity import Client
from zhongtai.legacy.clock import SHANGHAI, wechat_str
from zhongtai.workload.catalog_view import Catalog, SkuView, StoreView
from zhongtai.workload.payloads import (
    Line,
    Takeout,
    eleme_new_message,
    eleme_push_body,
    eleme_status_message,
    meituan_new_form,
    meituan_refund_form,
    meituan_status_form,
    wechat_notify_xml,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Actors:
    store: StoreView  # open, on Meituan and Eleme, sells coded dishes
    other: StoreView  # another open store on a channel (for wrong-store pushes)
    member_id: int
    dishes: tuple[SkuView, ...]  # what the store sells and has not sold out
    sold_out: SkuView | None
    channel_api: str
    created: int  # unix seconds for the takeout orders' ctime (same for both runs)
    today: date


def choose(catalog: Catalog, member_ids: list[int], channel_api: str) -> Actors:
    """The actors: the first store on both channels, another bound store, a member."""
    both = [s for s in catalog.on_channel("meituan") if s in catalog.on_channel("eleme")]
    store = both[0]
    other = next(
        s
        for s in catalog.stores
        if s.store_id != store.store_id and (s.mt_poi_code or s.ele_shop_id)
    )
    menu = catalog.menus[store.store_id]
    now = datetime.now(SHANGHAI)
    return Actors(
        store=store,
        other=other,
        member_id=member_ids[0],
        dishes=tuple(s for s in menu if not s.sold_out and s.mt_food_code and s.ele_item_id),
        sold_out=next((s for s in menu if s.sold_out), None),
        channel_api=channel_api,
        created=int((now - timedelta(minutes=30)).timestamp()),
        today=now.date(),
    )


def _takeout(a: Actors, order_id: str, channel: str, *, paid: bool = True, gift: bool = False):
    lines = [
        Line(
            code=d.mt_food_code if channel == "meituan" else d.ele_item_id,
            sku_id=d.mt_sku_id if channel == "meituan" else d.ele_sku_id,
            name=d.name,
            spec=d.spec,
            price=d.price,
            quantity=q,
            box_num=d.box_num * q,
            box_price=d.box_price,
            ext_code=d.sku_code,
        )
        for d, q in zip(a.dishes[:2], (1, 2), strict=False)
    ]
    lines.append(Line(code=None, sku_id=None, name="未上架的菜", spec="", price=9.9, quantity=1))
    if gift:
        lines.append(Line(code="GIFT-1", sku_id=None, name="赠品", spec="", price=0.0, quantity=1))
    shop = a.store.mt_poi_code if channel == "meituan" else a.store.ele_shop_id
    return Takeout(
        order_id=order_id,
        shop=shop,
        shop_name=a.store.store_name,
        recipient_name="张(先生)",
        phone="18449039731_7333" if channel == "meituan" else "18449039731,7333",
        address="上海市南京西路1号",
        lng=121.47,
        lat=31.23,
        lines=tuple(lines),
        created=a.created,
        discount=5.0 if paid else 0.0,
        merchant_part=2.0 if paid else 0.0,
        day_seq=7,
        caution="少放辣",
        online_paid=paid,
        user_id="u-1",
        open_id=a.store.ele_open_id or "",
    )


def _eleme(c: Client, label: str, a: Actors, kind: int, message: dict, **kw) -> None:
    body = eleme_push_body(
        kind, message, shop=kw.get("shop", a.store.ele_shop_id), request_id=label, now_ms=1
    )
    c.call(label, "POST", "/api/channel/eleme/push", json=body)


def channels(c: Client, a: Actors) -> None:
    """Meituan and Eleme pushes of every kind, duplicates and refusals."""
    mt = "/api/channel/meituan"
    t1, t2 = (
        _takeout(a, "27000000009000001", "meituan"),
        _takeout(a, "27000000009000002", "meituan", paid=False, gift=True),
    )
    c.call("mt.new", "POST", f"{mt}/new", data=meituan_new_form(t1, now=a.created))
    c.call("mt.new.duplicate", "POST", f"{mt}/new", data=meituan_new_form(t1, now=a.created))
    c.call("mt.new.cash", "POST", f"{mt}/new", data=meituan_new_form(t2, now=a.created))
    bad_shop = {**meituan_new_form(t1, now=a.created), "app_poi_code": "no-such-poi"}
    c.call("mt.new.unknown_store", "POST", f"{mt}/new", data=bad_shop)
    c.call("mt.new.malformed", "POST", f"{mt}/new", content=b"order_id", headers=FORM)
    missing = {k: v for k, v in meituan_new_form(t1, now=a.created).items() if k != "total"}
    c.call("mt.new.missing_total", "POST", f"{mt}/new", data=missing)
    c.call("mt.new.json", "POST", f"{mt}/new", json={"order_id": "1"})
    c.call("mt.unknown_push", "POST", f"{mt}/paid", data={"order_id": "1"})
    for label, push in (("confirmed", "confirmed"), ("confirmed.again", "confirmed")):
        form = meituan_status_form(t1.order_id, t1.shop, push, now=a.created)
        c.call(f"mt.{label}", "POST", f"{mt}/{push}", data=form)
    form = meituan_status_form(t1.order_id, t1.shop, "completed", now=a.created)
    c.call("mt.completed", "POST", f"{mt}/completed", data=form)
    form = meituan_status_form(t1.order_id, t1.shop, "cancelled", now=a.created)
    c.call("mt.cancelled.after_completed", "POST", f"{mt}/cancelled", data=form)
    for kind in ("apply", "agree", "agree"):
        form = meituan_refund_form(
            t1.order_id, t1.shop, kind, refund_id="R-1", money=10.5, now=a.created
        )
        c.call(f"mt.refund.{kind}", "POST", f"{mt}/refund", data=form)
    form = meituan_refund_form(t2.order_id, t2.shop, "reject", refund_id="R-2", money=1, now=1)
    c.call("mt.refund.reject_without_refund", "POST", f"{mt}/refund", data=form)
    refund_under_way(c, a)
    form = meituan_status_form("27000000009999999", t1.shop, "confirmed", now=a.created)
    c.call("mt.confirmed.unknown_order", "POST", f"{mt}/confirmed", data=form)
    if a.other.mt_poi_code:
        form = meituan_status_form(t2.order_id, a.other.mt_poi_code, "confirmed", now=a.created)
        c.call("mt.confirmed.wrong_store", "POST", f"{mt}/confirmed", data=form)

    e1 = _takeout(a, "3000000009000001", "eleme")
    e2 = _takeout(a, "3000000009000002", "eleme")
    _eleme(c, "ele.new", a, 10, eleme_new_message(e1))
    _eleme(c, "ele.new.duplicate", a, 10, eleme_new_message(e1))
    _eleme(c, "ele.new.second", a, 10, eleme_new_message(e2))
    if a.other.ele_shop_id:
        message = eleme_status_message(e2.order_id, 12, now=a.created)
        _eleme(c, "ele.wrong_store", a, 12, message, shop=a.other.ele_shop_id)
    for kind in (12, 30, 32, 18, 33):
        message = eleme_status_message(e1.order_id, kind, now=a.created, amount=3.3)
        _eleme(c, f"ele.status.{kind}", a, kind, message)
    _eleme(c, "ele.cancel", a, 14, eleme_status_message(e2.order_id, 14, now=a.created))
    _eleme(c, "ele.ignored_type", a, 51, {"orderId": e1.order_id})
    c.call("ele.malformed", "POST", "/api/channel/eleme/push", content=b"{not json")
    c.call("ele.no_shop", "POST", "/api/channel/eleme/push", json={"type": 12, "message": "{}"})
    bad = {"type": 10, "shopId": a.store.ele_shop_id, "message": "[1]"}
    c.call("ele.message_not_object", "POST", "/api/channel/eleme/push", json=bad)
    return None


def refund_under_way(c: Client, a: Actors) -> None:
    """The store carries on while a refund is under way (legacy 7 → 5), then the refund is
    agreed (refused: 5 → 8 is illegal), applied again (5 → 7) and rejected (back to 5)."""
    mt = "/api/channel/meituan"
    listing = {"store_code": a.store.store_code, "channel": 1, "date_from": a.today.isoformat()}
    t3 = _takeout(a, "27000000009000003", "meituan")
    c.call("mt.aside.new", "POST", f"{mt}/new", data=meituan_new_form(t3, now=a.created))
    form = meituan_status_form(t3.order_id, t3.shop, "confirmed", now=a.created)
    c.call("mt.aside.confirmed", "POST", f"{mt}/confirmed", data=form)
    steps = ("apply", "completed", "agree", "apply", "reject")
    for n, step in enumerate(steps):
        if step == "completed":
            form = meituan_status_form(t3.order_id, t3.shop, step, now=a.created + n)
            c.call(f"mt.aside.{n}.{step}", "POST", f"{mt}/{step}", data=form)
            c.call(f"admin.aside.{n}", "GET", "/api/admin/orders", params=listing)
            continue
        refund_id = "R-3" if n < 3 else "R-4"
        form = meituan_refund_form(
            t3.order_id, t3.shop, step, refund_id=refund_id, money=2.5, now=a.created + n
        )
        c.call(f"mt.aside.{n}.refund.{step}", "POST", f"{mt}/refund", data=form)
    c.call("admin.aside.final", "GET", "/api/admin/orders", params=listing)
    c.call("admin.aside.status_5", "GET", "/api/admin/orders", params={**listing, "status": 5})
    # The POS carries on while a refund is under way (legacy 7 → 3 → 4).
    t4 = _takeout(a, "27000000009000004", "meituan")
    c.call("mt.aside_pos.new", "POST", f"{mt}/new", data=meituan_new_form(t4, now=a.created))
    form = meituan_status_form(t4.order_id, t4.shop, "confirmed", now=a.created)
    c.call("mt.aside_pos.confirmed", "POST", f"{mt}/confirmed", data=form)
    form = meituan_refund_form(t4.order_id, t4.shop, "apply", refund_id="R-5", money=3, now=1)
    c.call("mt.aside_pos.refund.apply", "POST", f"{mt}/refund", data=form)
    no = _order_no(c, "mt.aside_pos.refund.apply", t4.order_id, listing)
    root, code = "/api/pos/orders", a.store.store_code
    for step in ("making", "ready", "making"):
        body = {"store_code": code, "order_no": no, "progress": step}
        c.call(f"pos.aside.{step}", "POST", f"{root}/progress", json=body)
    c.call("mp.detail.aside", "GET", f"/api/mp/orders/{no}")
    form = meituan_refund_form(t4.order_id, t4.shop, "agree", refund_id="R-5", money=3, now=2)
    c.call("mt.aside_pos.refund.agree", "POST", f"{mt}/refund", data=form)
    for status in (4, 7):
        params = {**listing, "status": status}
        c.call(f"admin.aside_pos.status_{status}", "GET", "/api/admin/orders", params=params)
    body = {"store_code": code, "order_no": no, "reason": "顾客不要了"}
    c.call("pos.aside.cancel", "POST", f"{root}/cancel", json=body)
    c.call("admin.aside_pos.cancelled", "GET", "/api/admin/orders", params={**listing, "status": 6})


def _order_no(c: Client, label: str, channel_order_id: str, listing: dict) -> str:
    """The order number of a takeout order, from the admin search (both sides number alike)."""
    found = c.call(f"{label}.find", "GET", "/api/admin/orders", params=listing).json()
    for item in found["data"]["items"]:
        if item["channel_order_id"] == channel_order_id:
            return item["order_no"]
    return "none"


def _notify(a: Actors, trade_no: str, fee: int, result: str = "SUCCESS") -> str:
    return wechat_notify_xml(
        out_trade_no=trade_no,
        total_fee=fee,
        transaction_id=f"42000{trade_no[-10:]}",
        openid="o-parity",
        time_end=wechat_str(datetime(2026, 1, 2, 3, 4, 5, tzinfo=SHANGHAI)),
        nonce_str="n",
        result_code=result,
    )


def miniapp(c: Client, a: Actors) -> dict[str, str]:
    """Stores, menu, orders, payments, pages, refunds, cancels; returns the order numbers."""
    sid, dish = a.store.store_id, a.dishes[0]
    c.call("mp.stores", "GET", "/api/mp/stores")
    c.call("mp.stores.city", "GET", "/api/mp/stores", params={"city": a.store.city})
    c.call("mp.menu", "GET", f"/api/mp/stores/{sid}/menu")
    c.call("mp.menu.unknown_store", "GET", "/api/mp/stores/987654/menu")
    c.call("mp.menu.bad_id", "GET", "/api/mp/stores/abc/menu")
    base = {"store_id": sid, "member_id": a.member_id, "source": 3, "order_type": 2}
    lines = [
        {"sku_id": d.sku_id, "quantity": q} for d, q in zip(a.dishes[:3], (1, 2, 1), strict=True)
    ]
    numbers = {}
    for key, extra in (
        ("pickup", {"items": lines, "remark": "多加葱", "table_no": "A12"}),
        ("delivery", {"items": lines[:1], "order_type": 1, "recipient_phone": "13800138000",
                      "recipient_address": "南京西路1号", "recipient_name": "李"}),
        ("app", {"items": lines[1:], "source": 4}),
        ("unpaid", {"items": lines[:1]}),
    ):  # fmt: skip
        placed = c.call(f"mp.place.{key}", "POST", "/api/mp/orders", json={**base, **extra})
        numbers[key] = placed.json()["data"]
    for label, body in (
        ("unknown_member", {**base, "member_id": 987654, "items": lines}),
        ("unknown_sku", {**base, "items": [{"sku_id": 987654, "quantity": 1}]}),
        ("unknown_store", {**base, "store_id": 987654, "items": lines}),
        ("delivery_without_phone", {**base, "order_type": 1, "items": lines}),
        ("bad_quantity", {**base, "items": [{"sku_id": dish.sku_id, "quantity": 0}]}),
        ("no_items", {**base, "items": []}),
    ):
        c.call(f"mp.place.refused.{label}", "POST", "/api/mp/orders", json=body)
    if a.sold_out is not None:
        body = {**base, "items": [{"sku_id": a.sold_out.sku_id, "quantity": 1}]}
        c.call("mp.place.refused.sold_out", "POST", "/api/mp/orders", json=body)
    c.call("mp.place.refused.not_json", "POST", "/api/mp/orders", content=b"{")
    c.call("mp.place.refused.no_content_type", "POST", "/api/mp/orders", content=b"{}")
    notify = "/api/mp/pay/notify"
    for key in ("pickup", "delivery", "app"):
        data = numbers[key]
        xml = _notify(a, data["out_trade_no"], data["total_fee"])
        c.call(f"mp.notify.{key}", "POST", notify, content=xml)
    app = numbers["app"]
    xml = _notify(a, app["out_trade_no"], app["total_fee"])
    c.call("mp.notify.again", "POST", notify, content=xml)
    unpaid = numbers["unpaid"]
    xml = _notify(a, unpaid["out_trade_no"], unpaid["total_fee"] + 1)
    c.call("mp.notify.wrong_fee", "POST", notify, content=xml)
    xml = _notify(a, unpaid["out_trade_no"], unpaid["total_fee"], result="FAIL")
    c.call("mp.notify.failed_payment", "POST", notify, content=xml)
    c.call("mp.notify.unknown", "POST", notify, content=_notify(a, "P0000000", 100))
    c.call("mp.notify.not_xml", "POST", notify, content=b"<xml><broken>")
    for key in ("pickup", "delivery", "unpaid"):
        c.call(f"mp.detail.{key}", "GET", f"/api/mp/orders/{numbers[key]['order_no']}")
    c.call("mp.detail.unknown", "GET", "/api/mp/orders/3000000XX000000001")
    path = f"/api/mp/members/{a.member_id}/orders"
    c.call("mp.member_orders", "GET", path, params={"page": 1, "size": 3})
    c.call("mp.member_orders.bad_size", "GET", path, params={"size": 500})
    c.call("mp.member_orders.unknown", "GET", "/api/mp/members/987654/orders")
    return {key: value["order_no"] for key, value in numbers.items()}


def pos(c: Client, a: Actors, numbers: dict[str, str]) -> None:
    """POS cycles: pull pages, ack (and ack again), progress, cancel, and the refusals."""
    code, other = a.store.store_code, a.other.store_code
    root = "/api/pos/orders"
    c.call("pos.pull.page1", "POST", f"{root}/pull", json={"store_code": code, "page_size": 2})
    c.call("pos.pull.rest", "POST", f"{root}/pull", json={"store_code": code, "page_size": 50})
    c.call("pos.pull.empty", "POST", f"{root}/pull", json={"store_code": code})
    c.call("pos.pull.unknown_store", "POST", f"{root}/pull", json={"store_code": "ZZ9999"})
    c.call("pos.pull.bad_page", "POST", f"{root}/pull", json={"store_code": code, "page_size": 0})
    no = numbers["pickup"]
    ack = {"store_code": code, "order_no": no, "ticket_no": "T-0042", "pos_id": "POS-1"}
    c.call("pos.ack", "POST", f"{root}/ack", json=ack)
    c.call("pos.ack.again", "POST", f"{root}/ack", json=ack)
    c.call("pos.ack.other_ticket", "POST", f"{root}/ack", json={**ack, "ticket_no": "T-9"})
    c.call("pos.ack.wrong_store", "POST", f"{root}/ack", json={**ack, "store_code": other})
    c.call("pos.ack.unknown_order", "POST", f"{root}/ack", json={**ack, "order_no": "X1"})
    for step, extra in (("making", {}), ("ready", {"pickup_code": "A042"}), ("completed", {})):
        body = {"store_code": code, "order_no": no, "progress": step, **extra}
        c.call(f"pos.progress.{step}", "POST", f"{root}/progress", json=body)
    body = {"store_code": code, "order_no": no, "progress": "making"}
    c.call("pos.progress.illegal", "POST", f"{root}/progress", json=body)
    body = {"store_code": code, "order_no": no, "progress": "boiling"}
    c.call("pos.progress.unknown_step", "POST", f"{root}/progress", json=body)
    body = {"store_code": code, "order_no": numbers["delivery"], "reason": "沽清"}
    c.call("pos.cancel.paid_delivery", "POST", f"{root}/cancel", json=body)
    c.call("mp.detail.after_pos", "GET", f"/api/mp/orders/{no}")


def aftersale(c: Client, a: Actors, numbers: dict[str, str]) -> None:
    """Mini-program refunds and cancels, whole and partial, and the refusals."""
    done, app, unpaid = numbers["pickup"], numbers["app"], numbers["unpaid"]
    c.call("mp.refund.partial", "POST", f"/api/mp/orders/{done}/refund",
           json={"reason": "少送一份", "amount": 1.5})  # fmt: skip
    c.call("mp.refund.again", "POST", f"/api/mp/orders/{done}/refund", json={"reason": "x"})
    c.call("mp.refund.unpaid", "POST", f"/api/mp/orders/{unpaid}/refund")
    c.call("mp.refund.too_much", "POST", f"/api/mp/orders/{app}/refund", json={"amount": 9999})
    c.call("mp.cancel.paid", "POST", f"/api/mp/orders/{app}/cancel", json={"reason": "不要了"})
    c.call("mp.cancel.again", "POST", f"/api/mp/orders/{app}/cancel")
    c.call("mp.cancel.unpaid", "POST", f"/api/mp/orders/{unpaid}/cancel")
    xml = _notify(a, "P" + unpaid, 100)
    c.call("mp.notify.cancelled_order", "POST", "/api/mp/pay/notify", content=xml)
    takeout = _first_takeout(c)
    c.call("mp.cancel.takeout", "POST", f"/api/mp/orders/{takeout}/cancel")
    body = {"store_code": a.store.store_code, "order_no": takeout, "reason": "门店关门"}
    c.call("pos.cancel.takeout", "POST", "/api/pos/orders/cancel", json=body)
    for key in ("pickup", "app", "unpaid"):
        c.call(f"mp.detail.final.{key}", "GET", f"/api/mp/orders/{numbers[key]}")
    c.call("mp.detail.final.takeout", "GET", f"/api/mp/orders/{takeout}")


def _first_takeout(c: Client) -> str:
    for e in c.exchanges:
        if e.label == "pos.pull.page1" and e.status == 200:
            orders = e.json()["data"]["orders"]
            return orders[0]["order_no"] if orders else "none"
    return "none"


def admin_and_pull(c: Client, a: Actors) -> None:
    """The admin search and product import, compensation pulls, unknown routes, limits."""
    code, day = a.store.store_code, a.today.isoformat()
    search = "/api/admin/orders"
    for label, params in (
        ("today", {"store_code": code, "date_from": day}),
        ("status_8", {"store_code": code, "status": 8, "date_from": day}),
        ("meituan", {"store_code": code, "channel": 1, "date_from": day, "size": 2, "page": 2}),
        ("phone", {"phone": "+86 184-4903-9731", "date_from": day}),
        ("empty_params", {"store_code": code, "status": "", "date_from": day}),
    ):
        c.call(f"admin.orders.{label}", "GET", search, params=params)
    for label, params in (
        ("bad_status", {"status": "x"}),
        ("bad_date", {"date_from": "2025-1-1"}),
        ("short_phone", {"phone": "123"}),
        ("unknown_store", {"store_code": "ZZ9999"}),
        ("big_size", {"size": 101}),
    ):
        c.call(f"admin.orders.refused.{label}", "GET", search, params=params)
    product = {
        "erp_code": "PARITY-1",
        "name": "对账测试菜",
        "category_id": 11,
        "category_name": "招牌推荐",
        "price": 18.8,
        "skus": [{"sku_code": "PARITY-1-R", "spec_name": "标准", "price": 18.8, "box_num": 1,
                  "box_price": 1.0, "mt_app_food_code": "mt-parity-1"}],
    }  # fmt: skip
    c.call("admin.upsert.insert", "POST", "/api/admin/products/upsert", json=product)
    c.call("admin.upsert.update", "POST", "/api/admin/products/upsert",
           json={**product, "name": "对账测试菜2"})  # fmt: skip
    c.call("admin.upsert.refused", "POST", "/api/admin/products/upsert", json={"erp_code": ""})
    c.call("mp.menu_after_upsert", "GET", f"/api/mp/stores/{a.store.store_id}/menu")
    pull = "/api/channel/meituan/pull"
    c.call("pull.meituan", "POST", pull, json={"store_code": code})
    c.call("pull.meituan.again", "POST", pull, json={"store_code": code})
    c.call("pull.unknown_store", "POST", pull, json={"store_code": "ZZ9999"})
    c.call("pull.bad_body", "POST", pull, json={"store": code})
    c.call("ops.unknown_route", "GET", "/api/nowhere")
    c.call("ops.wrong_method", "GET", "/api/pos/orders/pull")
    c.call("ops.too_large", "POST", "/api/mp/orders", content=b"{" + b" " * 2_000_000 + b"}",
           headers={"Content-Type": "application/json"})  # fmt: skip


def deposit_lost_order(a: Actors) -> None:
    """A Meituan order whose push was 'lost': the compensation pull must find it."""
    lost = _takeout(a, "27000000009000009", "meituan")
    order = {k: v for k, v in meituan_new_form(lost, now=a.created).items()}
    order["detail"] = json.loads(order["detail"])
    httpx.post(
        f"{a.channel_api}/meituan/orders", json={"shop": a.store.mt_poi_code, "order": order}
    ).raise_for_status()


def run(c: Client, a: Actors) -> list:
    """Drive one side through the whole scenario; returns its exchanges."""
    channels(c, a)
    numbers = miniapp(c, a)
    pos(c, a, numbers)
    aftersale(c, a, numbers)
    admin_and_pull(c, a)
    return c.exchanges
