"""Shadow dry-run end to end: ``X-Zhongtai-Shadow: dry-run`` through the gateway changes no
center database, and answers what the real execution then answers.

A real setup first puts orders in every state a write needs (each write of the burst gets its
own order, so the writes do not depend on each other). Then a burst of shadowed writes of
every kind — channel pushes of every type, a compensation pull, mini-program order, WeChat
notifies, POS pull/ack/progress/cancel, mini-program cancel and refund, product upsert — runs;
every center database must be byte-identical afterwards (full dumps of all tables of all five
center databases, plus the SQLite files themselves). Finally the same requests run for real,
in the same order: each answer must equal its dry run's.
"""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest

from tests.integration.platform.conftest import sqlite_file_bytes
from tests.integration.platform.gateway.seeded import seeded_platform_fixture  # noqa: F401
from zhongtai.legacy.clock import SHANGHAI, wechat_str
from zhongtai.platform.center import available_centers
from zhongtai.platform.shadow import DRY_RUN_RESPONSE_HEADER, SHADOW_HEADER
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

MT = "/api/channel/meituan"
SHADOW = {SHADOW_HEADER: "dry-run"}


class Setup:
    """The seeded platform plus the orders the burst works on, created for real."""

    def __init__(self, platform) -> None:
        self.p = platform
        self.http = httpx.Client(base_url=platform.url, timeout=30)
        catalog = platform.catalog
        both = [s for s in catalog.on_channel("meituan") if s in catalog.on_channel("eleme")]
        self.store = both[0]
        self.quiet = next(s for s in catalog.stores if s.store_id != self.store.store_id)
        menu = catalog.menus[self.store.store_id]
        self.dishes = [d for d in menu if not d.sold_out and d.mt_food_code and d.ele_item_id]
        self.member = catalog.members[0].member_id
        self.created = int(datetime.now(SHANGHAI).timestamp()) - 600
        self.serial = 0

    def ok(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 200, response.text
        return response

    def takeout(self, channel: str) -> Takeout:
        self.serial += 1
        dish = self.dishes[self.serial % len(self.dishes)]
        return Takeout(
            order_id=f"{'27' if channel == 'meituan' else '30'}0000000777{self.serial:04d}",
            shop=self.store.mt_poi_code if channel == "meituan" else self.store.ele_shop_id,
            shop_name=self.store.store_name,
            recipient_name="王(先生)",
            phone="13800138000",
            address="南京西路1号",
            lng=121.47,
            lat=31.23,
            lines=(
                Line(
                    code=dish.mt_food_code if channel == "meituan" else dish.ele_item_id,
                    sku_id=dish.mt_sku_id if channel == "meituan" else dish.ele_sku_id,
                    name=dish.name,
                    spec=dish.spec,
                    price=dish.price,
                    quantity=2,
                ),
            ),
            created=self.created,
            discount=1.0,
            merchant_part=0.5,
        )

    def mt_new(self, *steps: str) -> Takeout:
        order = self.takeout("meituan")
        self.ok(self.http.post(f"{MT}/new", data=meituan_new_form(order, now=self.created)))
        for step in steps:
            if step.startswith("refund."):
                form = meituan_refund_form(
                    order.order_id, order.shop, step[7:], refund_id="RID", money=3.0, now=1
                )
                self.ok(self.http.post(f"{MT}/refund", data=form))
            else:
                form = meituan_status_form(order.order_id, order.shop, step, now=1)
                self.ok(self.http.post(f"{MT}/{step}", data=form))
        return order

    def mp_order(self, *, paid: bool, store=None) -> dict:
        store = store or self.store
        dish = next(d for d in self.p.catalog.menus[store.store_id] if not d.sold_out)
        body = {
            "store_id": store.store_id,
            "member_id": self.member,
            "source": 3,
            "order_type": 2,
            "items": [{"sku_id": dish.sku_id, "quantity": 2}],
        }
        data = self.ok(self.http.post("/api/mp/orders", json=body)).json()["data"]
        if paid:
            self.ok(self.http.post("/api/mp/pay/notify", content=notify(data)))
        return data

    def pos(self, order_no: str, *steps: tuple[str, dict]) -> None:
        for path, extra in steps:
            body = {"store_code": self.store.store_code, "order_no": order_no, **extra}
            reply = self.ok(self.http.post(f"/api/pos/orders/{path}", json=body)).json()
            assert reply["code"] == 0, reply


def notify(data: dict, result: str = "SUCCESS") -> str:
    return wechat_notify_xml(
        out_trade_no=data["out_trade_no"],
        total_fee=data["total_fee"],
        transaction_id="4200" + data["out_trade_no"][-12:],
        openid="o-dry",
        time_end=wechat_str(datetime(2026, 1, 2, 3, 4, 5, tzinfo=SHANGHAI)),
        nonce_str="n",
        result_code=result,
    )


def eleme(s: Setup, kind: int, message: dict) -> dict:
    body = eleme_push_body(kind, message, shop=s.store.ele_shop_id, request_id="r", now_ms=1)
    return {"method": "POST", "url": "/api/channel/eleme/push", "json": body}


def mt_status(order: Takeout, push: str) -> dict:
    form = meituan_status_form(order.order_id, order.shop, push, now=1)
    return {"method": "POST", "url": f"{MT}/{push}", "data": form}


def mt_refund(order: Takeout, kind: str, refund_id: str = "RID") -> dict:
    form = meituan_refund_form(
        order.order_id, order.shop, kind, refund_id=refund_id, money=2.0, now=1
    )
    return {"method": "POST", "url": f"{MT}/refund", "data": form}


def post(url: str, body: dict | None = None, content: str | None = None) -> dict:
    if content is not None:
        return {"method": "POST", "url": url, "content": content}
    return {"method": "POST", "url": url, "json": body}


def burst(s: Setup) -> list[tuple[str, dict]]:
    """(label, request) of every write kind, each on an order of its own (set up for real)."""
    fresh, ele_new = s.takeout("meituan"), s.takeout("eleme")
    confirm, cancel = s.mt_new(), s.mt_new()
    complete, refund = s.mt_new("confirmed"), s.mt_new("confirmed", "completed")
    agree, reject = s.mt_new("confirmed", "refund.apply"), s.mt_new("confirmed", "refund.apply")
    ele_accept = s.takeout("eleme")
    s.ok(s.http.request(**eleme(s, 10, eleme_new_message(ele_accept))))
    unpaid, failing = s.mp_order(paid=False), s.mp_order(paid=False)
    to_ack, to_make, to_ready = (s.mp_order(paid=True) for _ in range(3))
    s.pos(to_make["order_no"], ("ack", {"ticket_no": "T1"}))
    s.pos(to_ready["order_no"], ("ack", {"ticket_no": "T2"}), ("progress", {"progress": "making"}))
    pos_cancel, mp_cancel, mp_refund = (s.mp_order(paid=True) for _ in range(3))
    s.mp_order(paid=True, store=s.quiet)  # waits in the quiet store's POS queue
    lost = s.takeout("meituan")
    order = meituan_new_form(lost, now=s.created)
    order["detail"] = json.loads(order["detail"])
    deposit = {"shop": lost.shop, "order": order}
    httpx.post(f"{s.p.channel_api}/meituan/orders", json=deposit).raise_for_status()
    code, quiet = s.store.store_code, s.quiet.store_code
    place = {
        "store_id": s.quiet.store_id,
        "member_id": s.member,
        "source": 4,
        "order_type": 1,
        "recipient_phone": "13800138000",
        "recipient_address": "南京西路1号",
        "items": [{"sku_id": s.p.catalog.menus[s.quiet.store_id][0].sku_id, "quantity": 1}],
    }
    sku = {"sku_code": "DRY-1-R", "price": 9.9, "mt_app_food_code": "mt-dry-1"}
    product = {"erp_code": "DRY-1", "name": "影子菜", "price": 9.9, "skus": [sku]}

    def pos(path: str, data: dict, **extra) -> dict:
        return post(f"/api/pos/orders/{path}", {"store_code": code, **extra} | data)

    return [
        ("mt.new", {"method": "POST", "url": f"{MT}/new", "data": meituan_new_form(fresh, now=1)}),
        ("mt.confirmed", mt_status(confirm, "confirmed")),
        ("mt.cancelled", mt_status(cancel, "cancelled")),
        ("mt.completed", mt_status(complete, "completed")),
        ("mt.refund.apply", mt_refund(refund, "apply", refund_id="X")),
        ("mt.refund.agree", mt_refund(agree, "agree")),
        ("mt.refund.reject", mt_refund(reject, "reject")),
        ("ele.new", eleme(s, 10, eleme_new_message(ele_new))),
        ("ele.accepted", eleme(s, 12, eleme_status_message(ele_accept.order_id, 12, now=1))),
        ("pull", post("/api/channel/meituan/pull", {"store_code": code})),
        ("mp.place", post("/api/mp/orders", place)),
        ("mp.notify", post("/api/mp/pay/notify", content=notify(unpaid))),
        ("mp.notify.failure", post("/api/mp/pay/notify", content=notify(failing, "FAIL"))),
        ("pos.pull", post("/api/pos/orders/pull", {"store_code": quiet})),
        ("pos.ack", pos("ack", {"order_no": to_ack["order_no"], "ticket_no": "T9"})),
        ("pos.making", pos("progress", {"order_no": to_make["order_no"], "progress": "making"})),
        (
            "pos.ready",
            pos(
                "progress",
                {"order_no": to_ready["order_no"], "progress": "ready", "pickup_code": "A1"},
            ),
        ),  # fmt: skip
        ("pos.cancel", pos("cancel", {"order_no": pos_cancel["order_no"], "reason": "沽清"})),
        ("mp.cancel", post(f"/api/mp/orders/{mp_cancel['order_no']}/cancel", {"reason": "x"})),
        ("mp.refund", post(f"/api/mp/orders/{mp_refund['order_no']}/refund", {"amount": 1.0})),
        ("admin.upsert", post("/api/admin/products/upsert", product)),
    ]


def succeeded(label: str, response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    if label.startswith("mp.notify"):
        return "<![CDATA[SUCCESS]]>" in response.text
    body = response.json()
    return body.get("code") == 0 or body in ({"data": "ok"}, {"message": "ok"})


def test_a_burst_of_shadowed_writes_changes_no_center_and_answers_as_for_real(seeded_platform):
    s = Setup(seeded_platform)
    requests = burst(s)
    before = seeded_platform.dump()
    urls = {n: seeded_platform.settings.database(n) for n in available_centers()}
    files = {n: sqlite_file_bytes(u) for n, u in urls.items() if u.startswith("sqlite")}
    shadowed = []
    for label, request in requests:
        response = s.http.request(**request, headers=SHADOW)
        assert response.headers.get(DRY_RUN_RESPONSE_HEADER) == "rolled-back", label
        assert succeeded(label, response), (label, response.text)
        shadowed.append(response)
    after = seeded_platform.dump()
    for name in available_centers():
        assert after[name] == before[name], f"the {name} center changed under dry-run"
    for name, content in files.items():
        assert sqlite_file_bytes(urls[name]) == content, name
    for (label, request), dry in zip(requests, shadowed, strict=True):
        real = s.http.request(**request)
        assert DRY_RUN_RESPONSE_HEADER not in real.headers
        assert (real.status_code, real.content) == (dry.status_code, dry.content), label
    assert seeded_platform.dump()["order"] != before["order"]  # the real run did write


def test_an_unknown_shadow_value_is_refused_and_changes_nothing(seeded_platform):
    s = Setup(seeded_platform)
    order = s.takeout("meituan")
    before = seeded_platform.dump()
    response = s.http.post(
        f"{MT}/new",
        data=meituan_new_form(order, now=s.created),
        headers={SHADOW_HEADER: "dryrun"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["data"] == "ng" and body["error"]["code"] == 40001
    assert "dry-run" in body["error"]["msg"]
    assert seeded_platform.dump() == before


@pytest.mark.parametrize("path", ["/api/mp/stores", "/api/admin/orders?size=3"])
def test_shadowed_reads_answer_like_plain_reads(seeded_platform, path):
    http = httpx.Client(base_url=seeded_platform.url, timeout=30)
    plain, shadowed = http.get(path), http.get(path, headers=SHADOW)
    assert (plain.status_code, plain.content) == (shadowed.status_code, shadowed.content)
    assert shadowed.headers[DRY_RUN_RESPONSE_HEADER] == "rolled-back"
