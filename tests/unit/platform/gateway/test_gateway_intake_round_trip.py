"""A pushed takeout order, through the gateway's intake and the order center's own placing
rules, reads back with exactly the figures the legacy would show (pure, no database).

The path is the real one minus HTTP: the legacy parser reads the push, :mod:`intake` builds
the ``POST /orders`` body, the order center's request schema and ``place_order`` (money
conservation and all) build the order, its fine view goes through :mod:`legacy_format`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhongtai.legacy import eleme, meituan
from zhongtai.legacy.envelope import LegacyError
from zhongtai.legacy.intake import NewOrder, activity_rows, item_rows, order_values
from zhongtai.legacy.money import yuan_to_fen
from zhongtai.legacy.order_no import store_code_of
from zhongtai.legacy.views import pos_order
from zhongtai.platform.gateway import intake
from zhongtai.platform.gateway.legacy_format import legacy_items, legacy_order, pos_json
from zhongtai.platform.order.model import InvalidOrder
from zhongtai.platform.order.placing import place_order
from zhongtai.platform.order.schemas import OrderIn
from zhongtai.platform.order.views import fine
from zhongtai.workload.payloads import (
    Line,
    Takeout,
    eleme_new_message,
    meituan_new_form,
)

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
STORE = {"id": 12, "store_code": "SH0012", "name": "人民广场店", "tenant_id": 1}
SKUS = {("F1", "S1"): {"sku_id": 101, "sku_code": "P1-L", "erp_code": "P1"}}


def center_view(order: NewOrder, skus=SKUS) -> dict:
    """What the order center records and shows for the gateway's body (fine view)."""
    body = OrderIn(**intake.channel_order(order, STORE, skus, NOW))
    numbering = body.numbering_model()
    placed = place_order(numbering.apply(body.draft(), 3), now=NOW)
    placed.id = 1
    return json.loads(json.dumps(fine(placed)))


def legacy_row(order: NewOrder, skus=SKUS) -> tuple[dict, list[dict]]:
    """The t_order values and items the legacy stores for the same push, numbered as the
    order center numbers it (its third of the day: serial 50003, day_seq 3), as reverse sync
    writes it."""
    legacy_skus = {
        code: {"sku_id": s["sku_id"], "erp_code": s["erp_code"]} for (code, _), s in skus.items()
    }
    row = {**order_values(order), "order_no": f"{order.channel}261201SH001250003"}
    row["channel"] = order.channel
    row["store_id"] = 12
    row.update(store_code="SH0012", store_name="人民广场店", member_id=None, table_no=None,
               dine_people=None, pickup_code=None, pos_ticket_no=None)  # fmt: skip
    row["day_seq"] = row["day_seq"] if row["day_seq"] is not None else 3
    items = item_rows(order, legacy_skus)
    for item in items:
        item["sku_code"] = "P1-L" if item["sku_id"] == 101 else None
    assert activity_rows(order) is not None
    return row, items


def takeout(lines, *, discount=0.0, merchant=0.0, shipping=5.0, paid=True) -> Takeout:
    return Takeout(
        order_id="27000000001234567",
        shop="mt-poi-1",
        shop_name="店",
        recipient_name="王",
        phone="18449039731_7333",
        address="南京西路1号",
        lng=121.47,
        lat=31.23,
        lines=tuple(lines),
        created=1_796_000_000,
        shipping_fee=shipping,
        discount=discount,
        merchant_part=merchant,
        online_paid=paid,
    )


MONEY = ("original_amount", "total_amount", "shipping_fee", "package_fee", "discount_amount",
         "merchant_subsidy", "platform_subsidy", "service_fee")  # fmt: skip


def assert_same_figures(order: NewOrder) -> None:
    view = center_view(order)
    row, items = legacy_row(order)
    ours = legacy_order(view)
    for name in MONEY:
        theirs = row[name] if name != "service_fee" else row["service_fee"]
        assert ours[name] == theirs, (name, ours[name], theirs)
    assert [(i["price"], i["total"], i["quantity"]) for i in legacy_items(view)] == [
        (i["price"], i["total"], i["quantity"]) for i in items
    ]
    codes = {i["sku_id"]: i["sku_code"] for i in items if i["sku_id"] is not None}
    legacy_pos = pos_order({**row, "order_time": ours["order_time"]}, items, codes)
    assert pos_json(view) == legacy_pos


def test_a_meituan_order_with_a_discount_an_unmapped_and_a_codeless_line():
    lines = [
        Line("F1", "S1", "红烧肉", "大份", 38.0, 2, box_num=2, box_price=1.0),
        Line("F9", None, "未映射", "", 12.5, 1),
        Line(None, None, "无编码", "", 9.9, 1),
    ]
    order = meituan.parse_new(meituan_new_form(takeout(lines, discount=5.0, merchant=2.0)))
    assert_same_figures(order)
    view = center_view(order)
    assert [i["sku_id"] for i in view["items"]] == [101, None, None]
    assert pos_json(view)["products"][2]["sku_code"] == ""  # the placeholder reads as no code


def test_a_negative_gift_line_becomes_a_zero_line_and_a_gift_discount():
    lines = [Line("F1", "S1", "红烧肉", "大份", 38.0, 1), Line("G", None, "赠品", "", -3.0, 1)]
    order = meituan.parse_new(meituan_new_form(takeout(lines)))
    view = center_view(order)
    assert view["items"][1]["unit_price"] == 0
    assert {d["kind"]: d["amount"] for d in view["discounts"]}["GIFT"] == 300
    assert_same_figures(order)


def test_an_eleme_order_whose_activity_total_is_not_the_sum_of_its_activities():
    message = eleme_new_message(takeout([Line("F1", "S1", "红烧肉", "大份", 38.0, 1)], discount=4.0,
                                        merchant=1.0))  # fmt: skip
    message["activityTotal"] = -6.0  # the channel's own figure, kept as the legacy kept it
    order = eleme.parse_order(message)
    view = center_view(order)
    assert view["channel_ext"]["legacy_amounts"]["discount_amount"] == 600
    assert_same_figures(order)


def test_cash_on_delivery_reads_unpaid():
    order = meituan.parse_new(meituan_new_form(takeout([Line("F1", "S1", "肉", "", 10.0, 1)],
                                                       paid=False)))  # fmt: skip
    assert legacy_order(center_view(order))["pay_status"] == 0


def test_an_order_that_claims_more_money_than_it_holds_is_refused_in_legacy_words():
    form = meituan_new_form(takeout([Line("F1", "S1", "肉", "", 10.0, 1)]))
    form["total"] = "99.0"
    order = meituan.parse_new(form)
    with pytest.raises(LegacyError) as refused:
        intake.channel_order(order, STORE, SKUS, NOW)
    assert refused.value.code == 40001 and "cannot account for" in refused.value.msg


def test_a_store_code_that_cannot_number_orders_is_refused_as_the_legacy_refused_it():
    with pytest.raises(LegacyError, match="cannot number an order for store 7"):
        intake.numbering(1, {"id": 7, "store_code": "bad code"}, NOW)


def test_the_platform_numbers_a_store_day_in_its_own_range_of_legacy_shaped_serials():
    numbering = OrderIn(**intake.channel_order(
        meituan.parse_new(meituan_new_form(takeout([Line("F1", "S1", "肉", "", 10.0, 1)]))),
        STORE, SKUS, NOW,
    )).numbering_model()  # fmt: skip
    assert [numbering.number(v) for v in (1, 49_999)] == [
        "1261201SH001250001",
        "1261201SH001299999",
    ]
    assert all(store_code_of(numbering.number(v)) == "SH0012" for v in (1, 49_999))
    with pytest.raises(InvalidOrder, match="does not fit 5 digits"):
        numbering.number(50_000)  # never into legacy's range, nor a sixth digit


yuan = st.decimals(min_value="0.01", max_value="300", places=2).map(float)


@settings(max_examples=60, deadline=None)
@given(
    prices=st.lists(st.tuples(yuan, st.integers(1, 5), st.integers(0, 3)), min_size=1, max_size=4),
    discount=st.decimals(min_value="0", max_value="20", places=2).map(float),
    shipping=st.decimals(min_value="0", max_value="15", places=2).map(float),
)
def test_any_conserving_meituan_order_reads_back_with_the_legacy_figures(
    prices, discount, shipping
):
    lines = [Line("F1", "S1", f"菜{i}", "", p, q, box_num=b, box_price=0.5)
             for i, (p, q, b) in enumerate(prices)]  # fmt: skip
    order = takeout(lines, discount=discount, merchant=round(discount / 2, 2), shipping=shipping)
    if yuan_to_fen(order.total) < 0:
        return
    assert_same_figures(meituan.parse_new(meituan_new_form(order)))
