"""The gateway's translations (pure): statuses both ways, pay status, stores, the TTL cache."""

from __future__ import annotations

import itertools

import pytest

from zhongtai.legacy.status import TRANSITIONS
from zhongtai.platform.gateway.admin import STATUS_FILTERS
from zhongtai.platform.gateway.cache import TtlCache
from zhongtai.platform.gateway.legacy_format import (
    OPEN_REFUNDS,
    REFUND_SET_ASIDE,
    carry_on,
    legacy_status,
    legacy_store,
    local_time,
    pay_status_of,
    status_of,
    store_json,
)
from zhongtai.platform.gateway.orders import main_status
from zhongtai.platform.order.status import MainStatus, RefundStatus

SUBS = (None, "EXCEPTION")


def view(main, refund="NONE", sub=None, **extra) -> dict:
    base = {
        "main_status": main,
        "refund_status": refund,
        "sub_status": sub,
        "channel": "MINI_PROGRAM",
        "paid_at": "2026-12-01T04:00:00+00:00",
        "paid_amount": 1000,
        "refunded_amount": 0,
        "channel_ext": {"pay_type": 2},
    }
    return {**base, **extra}


def matches(filters: list[tuple[str, object]], v: dict) -> bool:
    """Whether an order passes the order-center query the admin search sends."""
    mains = [value for key, value in filters if key == "main_status"]
    refunds = [value for key, value in filters if key == "refund_status"]
    subs = [value for key, value in filters if key == "sub_status"]
    aside = dict(filters).get("open_refund_sub_status")
    set_aside = (
        aside is not None and v["refund_status"] in OPEN_REFUNDS and v["sub_status"] == aside
    )
    return (
        (not mains or v["main_status"] in mains)
        and (not refunds or v["refund_status"] in refunds or set_aside)
        and (not subs or v["sub_status"] in subs)
        and not (("no_sub_status", "true") in filters and v["sub_status"] is not None)
        and v["sub_status"] != dict(filters).get("not_sub_status", object())
    )


def possible_sub(main: MainStatus, sub: str | None) -> str | None:
    """EXCEPTION marks only PAID orders; a refund is set aside only by a move past PAID."""
    if sub == "EXCEPTION":
        return sub if main is MainStatus.PAID else None
    if sub == REFUND_SET_ASIDE:
        return (
            None
            if main in (MainStatus.CREATED, MainStatus.PENDING_PAYMENT, MainStatus.PAID)
            else sub
        )
    return sub


@pytest.mark.parametrize(
    "main,refund,sub",
    list(itertools.product(list(MainStatus), list(RefundStatus), (*SUBS, REFUND_SET_ASIDE))),
)
def test_the_admin_status_filter_finds_exactly_the_orders_that_show_that_status(main, refund, sub):
    v = view(main.value, refund.value, possible_sub(main, sub))
    shown = status_of(v)
    found_by = {code for code, filters in STATUS_FILTERS.items() if matches(filters, v)}
    assert found_by == {shown}


def test_a_refund_set_aside_shows_the_main_status_and_the_open_refund():
    assert legacy_status(view("COMPLETED", "APPLIED", REFUND_SET_ASIDE)) == (5, 1)
    assert legacy_status(view("PREPARING", "ARBITRATING", REFUND_SET_ASIDE)) == (3, 3)
    assert legacy_status(view("CANCELLED", "APPLIED", REFUND_SET_ASIDE)) == (6, 1)
    assert legacy_status(view("COMPLETED", "APPLIED")) == (7, 1)  # under way, not set aside
    assert legacy_status(view("COMPLETED", "REJECTED", REFUND_SET_ASIDE)) == (5, 2)
    move = {"to": "COMPLETED", "source": "POS"}
    assert carry_on(view("ACCEPTED", "APPLIED"), move)["sub_status"] == REFUND_SET_ASIDE
    assert carry_on(view("ACCEPTED", "REJECTED"), move) == move


def test_legacy_statuses_of_the_two_tracks():
    assert status_of(view("PAID")) == 1
    assert status_of(view("PAID", sub="EXCEPTION")) == -1
    assert status_of(view("DELIVERING")) == status_of(view("READY")) == 4
    assert status_of(view("COMPLETED", "APPLIED")) == 7
    assert status_of(view("COMPLETED", "SUCCEEDED")) == 8
    assert status_of(view("CANCELLED", "SUCCEEDED")) == 6  # a cancelled paid order, refunded
    assert status_of(view("ACCEPTED", "REJECTED")) == 2  # back where it was


def test_every_legacy_target_has_its_main_status():
    targets = {t for allowed in TRANSITIONS.values() for t in allowed} - {-1, 0, 7, 8}
    for target in targets:
        assert main_status(target, "PICKUP") in set(MainStatus)
    assert main_status(4, "DELIVERY") == "DELIVERING"
    assert main_status(4, "DINE_IN") == "READY"


def test_pay_status_follows_the_legacy_rules():
    assert pay_status_of(view("PENDING_PAYMENT", paid_at=None)) == 0
    assert pay_status_of(view("PAID")) == 1
    cash = view("PAID", channel="MEITUAN", channel_ext={"pay_type": 1})
    assert pay_status_of(cash) == 0
    partial = view("COMPLETED", "SUCCEEDED", refunded_amount=300)
    assert pay_status_of(partial) == 1  # an own-channel order partly refunded stays paid
    assert pay_status_of({**partial, "refunded_amount": 1000}) == 2
    takeout = view("COMPLETED", "SUCCEEDED", channel="ELEME", refunded_amount=300)
    assert pay_status_of(takeout) == 2  # the channel's agreed refund, whatever its amount


def test_times_read_back_as_local_strings():
    assert local_time("2026-12-01T04:05:06+00:00") == "2026-12-01 12:05:06"
    assert local_time("2026-12-01T04:05:06.999999+00:00") == "2026-12-01 12:05:06"
    assert local_time(None) is None


STORE = {
    "id": 12,
    "tenant_id": 1,
    "store_code": "SH0012",
    "name": "人民广场店",
    "city": "上海",
    "address": "人民路1号",
    "phone": {"e164": "+862112345678", "extension": "8", "masked": False},
    "geo": {"lng": 121.47, "lat": 31.23},
    "status": "OPEN",
    "business_hours": [{"open": "10:00", "close": "14:00"}, {"open": "17:00", "close": "22:00"}],
    "channel_bindings": [{"channel": "MEITUAN", "channel_store_id": "mt-1"}],
}


def test_a_store_reads_back_in_the_legacy_shape_and_order():
    assert store_json(STORE) == {
        "store_id": 12,
        "store_code": "SH0012",
        "store_name": "人民广场店",
        "city_name": "上海",
        "address": "人民路1号",
        "phone": "021-12345678_8",
        "lng": 121.47,
        "lat": 31.23,
        "business_hours": "10:00-14:00,17:00-22:00",
        "status": 1,
    }
    row = legacy_store({**STORE, "phone": None, "status": "CLOSED", "channel_bindings": []})
    assert (row["phone"], row["status"], row["mt_app_poi_code"]) == (None, 0, None)


@pytest.mark.parametrize(
    "text",
    ["021-12345678转8", "021-12345678,13812345678", "138 1234 5678", "13812345678"],
)
def test_a_store_phone_reads_back_as_written(text):
    phone = {**STORE["phone"], "text": text}
    assert store_json({**STORE, "phone": phone})["phone"] == text


def test_the_cache_forgets_after_its_ttl_and_keeps_only_what_it_was_given():
    now = [0.0]
    cache: TtlCache[int] = TtlCache(10, clock=lambda: now[0])
    assert cache.put("a", 1) == 1 and cache.get("a") == 1
    now[0] = 9.9
    assert cache.get("a") == 1
    now[0] = 10.0
    assert cache.get("a") is None and len(cache) == 0
    cache.put("b", 2)
    cache.clear()
    assert cache.get("b") is None
    assert TtlCache(0).put("c", 3) == 3  # a zero TTL caches nothing


def test_a_menu_category_is_named_as_its_first_product_names_it():
    from zhongtai.platform.gateway.catalog import menu_json

    def product(spu_id, category_name):
        sku = {"sku_id": spu_id, "sku_code": f"S{spu_id}", "spec": None, "price": 1880,
               "sold_out": False}  # fmt: skip
        return {"spu_id": spu_id, "name": "菜", "category_name": category_name, "skus": [sku]}

    cold = [product(1, "凉菜小吃"), product(2, "凉菜")]  # a stale name on the first one
    menu = {"categories": [
        {"category_id": 11, "name": "凉菜", "products": cold},
        {"category_id": 12, "name": "热菜", "products": [product(3, None)]},
    ]}  # fmt: skip
    rendered = menu_json(STORE, menu)["categories"]
    assert [c["category_name"] for c in rendered] == ["凉菜小吃", None]
    assert rendered[0]["products"][0]["skus"][0]["price"] == 18.8
