from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from order_drafts import draft

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.lines import Discount, LineError, OrderItem
from zhongtai.platform.order.model import InvalidOrder
from zhongtai.platform.order.money import MoneyError
from zhongtai.platform.order.placing import place_order
from zhongtai.platform.order.status import MainStatus

T0 = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)


def test_totals_are_derived_from_lines_and_discounts():
    order = place_order(draft(), now=T0)
    a = order.amounts
    assert (a.goods_amount, a.package_fee, a.discount_amount) == (4800, 300, 500)
    assert (a.merchant_subsidy, a.platform_subsidy) == (300, 200)
    assert a.paid_amount == 4800 + 300 - 500
    assert a.merchant_income is None
    assert order.main_status is MainStatus.PENDING_PAYMENT and order.paid_at is None


def test_stated_totals_that_disagree_are_refused_with_the_breakdown():
    with pytest.raises(MoneyError, match=r"paid_amount is 4601 fen but goods 4800 \+ package 300"):
        place_order(draft(amounts={"package_fee": 300, "paid_amount": 4601}), now=T0)
    with pytest.raises(MoneyError, match="goods_amount is 4700"):
        place_order(draft(amounts={"goods_amount": 4700}), now=T0)


def test_a_fen_of_float_drift_is_recorded_as_a_rounding_line():
    discounts = [
        Discount("FULL_REDUCTION", 500, 300, 200),
        Discount("ROUNDING", -1, -1, 0),
    ]
    order = place_order(
        draft(discounts=discounts, amounts={"package_fee": 300, "paid_amount": 4601}),
        now=T0,
    )
    assert order.amounts.paid_amount == 4601 and order.amounts.discount_amount == 499
    with pytest.raises(MoneyError, match="ROUNDING line of -500"):
        place_order(draft(discounts=[Discount("ROUNDING", -500, -500, 0)]), now=T0)
    with pytest.raises(MoneyError, match="must not be negative"):
        place_order(draft(discounts=[Discount("COUPON", -5, -5, 0)]), now=T0)


def test_discount_split_must_add_up():
    with pytest.raises(MoneyError, match=r"merchant_part 300 \+ platform_part 100 ≠ amount 500"):
        place_order(draft(discounts=[Discount("COUPON", 500, 300, 100)]), now=T0)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (OrderItem(1, "A", 2, 100, 201, sku_id=1), r"qty 2 × unit_price 100 = 200"),
        (OrderItem(1, "A", 0, 100, 0, sku_id=1), "qty must be a positive integer"),
        (OrderItem(1, "A", 1, 1.5, 1.5, sku_id=1), "integer number of fen"),
        (OrderItem(1, "A", 1, -100, -100, sku_id=1), "must not be negative"),
        (OrderItem(1, "", 1, 100, 100, sku_id=1), "needs a name"),
        (OrderItem(1, "A", 1, 100, 100), "neither sku_id nor channel_item_ref"),
        (OrderItem(1, "A", 1, 100, 100, sku_id=1, parent_line_no=1), "names parent line 1"),
    ],
)
def test_bad_lines_are_refused_with_the_line_named(item, message):
    with pytest.raises((LineError, MoneyError), match=message):
        place_order(draft(items=[item], discounts=[]), now=T0)


def test_unmapped_channel_item_keeps_its_code():
    item = OrderItem(1, "神秘菜", 1, 990, 990, channel_item_ref="mt:food-77")
    order = place_order(draft(items=[item], discounts=[], amounts={}), now=T0)
    assert order.items[0].unmapped and order.items[0].channel_item_ref == "mt:food-77"


def test_duplicate_line_numbers_and_empty_orders_are_refused():
    a = OrderItem(1, "A", 1, 100, 100, sku_id=1)
    with pytest.raises(LineError, match="unique"):
        place_order(draft(items=[a, a], discounts=[]), now=T0)
    with pytest.raises(LineError, match="at least one line"):
        place_order(draft(items=[], discounts=[]), now=T0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"order_no": "has space"}, "order_no"),
        ({"order_no": "x" * 33}, "order_no"),
        ({"channel_order_id": "1.5e18"}, "channel_order_id"),
        ({"store_id": 0}, "store_id must be a positive integer"),
        ({"member_id": True}, "member_id"),
        ({"status": MainStatus.ACCEPTED}, "starts as"),
        ({"sub_status": "x" * 40}, "sub_status"),
        ({"amounts": {"tip": 5}}, "unknown amount field"),
    ],
)
def test_bad_header_fields_are_named(overrides, message):
    with pytest.raises(InvalidOrder, match=message):
        place_order(draft(**overrides), now=T0)


def test_large_channel_ids_and_legacy_numbers_are_kept_verbatim():
    order = place_order(draft(channel_order_id="27011234567890123456", legacy_id=900001), now=T0)
    assert order.channel_order_id == "27011234567890123456"
    assert order.order_no == "3251201SH001200001" and order.legacy_id == 900001


def test_times_are_utc_and_naive_times_are_refused():
    shanghai = timezone(timedelta(hours=8))
    order = place_order(draft(placed_at=datetime(2025, 12, 1, 12, 0, tzinfo=shanghai)), now=T0)
    assert order.placed_at == datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
    assert order.placed_at.utcoffset() == timedelta(0)
    with pytest.raises(InvalidInput, match="no time zone"):
        place_order(draft(expected_at=datetime(2025, 12, 1, 12, 0)), now=T0)


def test_a_takeout_order_arrives_paid_and_records_a_fat_event():
    order = place_order(draft(status=MainStatus.PAID, source="MEITUAN_PUSH"), now=T0)
    assert order.paid_at == T0
    assert [(c.from_status, c.to_status, c.source) for c in order.history] == [
        (None, MainStatus.PAID, "MEITUAN_PUSH")
    ]
    (event,) = order.events
    assert event.kind == "ORDER_CREATED"
    assert [item["name"] for item in event.payload["items"]] == ["宫保鸡丁", "米饭"]
    assert event.payload["paid_amount"] == 4600 and event.payload["customer"]["name"]


lines = st.lists(
    st.tuples(st.integers(1, 20), st.integers(0, 50_000), st.integers(0, 3)),
    min_size=1,
    max_size=8,
)


@given(lines=lines, fees=st.tuples(st.integers(0, 2000), st.integers(0, 2000)), data=st.data())
def test_conservation_holds_for_any_valid_order(lines, fees, data):
    items = [
        OrderItem(i, f"dish {i}", qty, price, qty * price, sku_id=i, box_qty=box)
        for i, (qty, price, box) in enumerate(lines, start=1)
    ]
    goods = sum(item.line_total for item in items)
    ceiling = goods + sum(fees)
    parts = data.draw(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), max_size=3))
    discounts = [Discount("ACT", m + p, m, p) for m, p in parts]
    total_discount = sum(d.amount for d in discounts)
    candidate = draft(
        items=items,
        discounts=discounts,
        amounts={"package_fee": fees[0], "delivery_fee": fees[1]},
    )
    if total_discount > ceiling:
        with pytest.raises(MoneyError, match="discounts exceed"):
            place_order(candidate, now=T0)
        return
    a = place_order(candidate, now=T0).amounts
    assert a.goods_amount + a.package_fee + a.delivery_fee - a.discount_amount == a.paid_amount
    assert a.merchant_subsidy + a.platform_subsidy == a.discount_amount
