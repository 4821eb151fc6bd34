import json

import pytest

from zhongtai.legacy import eleme, meituan
from zhongtai.legacy.channel_api import read_batch
from zhongtai.legacy.envelope import LegacyError
from zhongtai.legacy.events import already_reached
from zhongtai.legacy.intake import item_rows, order_values
from zhongtai.legacy.status import OrderStatus as S

DETAIL = [
    {
        "app_food_code": "f1",
        "food_name": "鸡",
        "quantity": 2,
        "price": 30.0,
        "box_num": 2,
        "box_price": 1.5,
    },
    {"app_food_code": "", "food_name": "汤", "quantity": 1, "price": 0, "box_num": 0},
]


def mt_form(**extra):
    form = {
        "order_id": "91000000000000000123",
        "app_poi_code": "p1",
        "total": "61.0",
        "ctime": "1764561600",
        "detail": json.dumps(DETAIL),
        "extras": json.dumps([{"reduce_fee": 5, "mt_charge": 2, "poi_charge": 3}]),
        "poi_receive_detail": json.dumps(
            {"wmPoiReceiveCent": 5000, "foodShareFeeChargeByPoi": 300}
        ),
    }
    return {**form, **extra}


def test_meituan_new_order_money_and_units():
    order = meituan.parse_new(mt_form())
    assert order.channel_order_id == "91000000000000000123"  # > 2^53, kept as text
    assert order.package_fee == 3.0  # Σ box_num × box_price
    assert (order.discount_amount, order.merchant_subsidy, order.platform_subsidy) == (5, 3, 2)
    assert (order.income, order.service_fee) == (5000, 300)  # fen
    assert order.order_time == "2025-12-01 12:00:00" and order.expect_time == 0
    rows = item_rows(order, {"f1": {"sku_id": 7, "erp_code": "P1"}})
    assert [(r["sku_id"], r["total"], r["is_gift"]) for r in rows] == [(7, 60.0, 0), (None, 0.0, 1)]
    values = order_values(order)
    assert (values["status"], values["pay_status"], values["channel_status"]) == (1, 1, "new")


def test_meituan_accepts_pulled_json_values_and_refuses_bad_ones():
    pulled = mt_form(detail=DETAIL, total=61.0, ctime=1764561600)
    assert meituan.parse_new(pulled).total_amount == 61.0
    with pytest.raises(LegacyError, match="'detail' must list at least one dish"):
        meituan.parse_new(mt_form(detail="[]"))
    with pytest.raises(LegacyError, match=r"detail\[0\]: field 'quantity'"):
        meituan.parse_new(mt_form(detail=json.dumps([{"food_name": "x", "price": 1}])))
    with pytest.raises(LegacyError, match="'order_id' must be digits only"):
        meituan.parse_new(mt_form(order_id="MT-1"))


def test_eleme_message_negative_parts_become_positive_and_fen():
    message = {
        "id": "3000000000000000001",
        "createdAt": "2025-12-01T08:00:00",
        "deliverTime": "2025-12-01T09:00:00",
        "groups": [
            {
                "items": [
                    {
                        "id": "e1",
                        "name": "汤",
                        "price": 8,
                        "quantity": 2,
                        "newSpecs": [{"value": "大"}],
                        "attributes": [{"value": "少冰"}],
                    }
                ]
            }
        ],
        "phoneList": ["13800138000", "13800138001"],
        "deliveryGeo": "121.5,31.2",
        "totalPrice": 14.0,
        "activityTotal": -2.0,
        "shopPart": -0.5,
        "elemePart": -1.5,
        "income": 12.34,
        "serviceFee": -1.06,
        "onlinePaid": False,
    }
    order = eleme.parse_order(message)
    assert (order.discount_amount, order.merchant_subsidy, order.platform_subsidy) == (2, 0.5, 1.5)
    assert (order.income, order.service_fee) == (1234, 106)
    assert order.recipient_phone == "13800138000,13800138001"
    assert (order.lng, order.lat, order.pay_type) == (121.5, 31.2, 1)
    assert order.items[0].total == 16.0 and order.items[0].spec == "大"
    assert order.expect_time == 1764550800 and order.order_time == "2025-12-01 08:00:00"
    with pytest.raises(LegacyError, match="deliveryGeo"):
        eleme.parse_order({**message, "deliveryGeo": "nowhere"})
    with pytest.raises(LegacyError, match="createdAt"):
        eleme.parse_order({**message, "createdAt": "yesterday"})


def test_eleme_push_envelope():
    push = eleme.parse_push({"type": "12", "shopId": 77, "message": '{"orderId": "5"}'})
    assert (push.type, push.shop_id, push.message) == (12, "77", {"orderId": "5"})
    with pytest.raises(LegacyError, match="'message'"):
        eleme.parse_push({"type": 12, "shopId": "s", "message": "{no"})


def test_status_pushes_already_reached():
    assert already_reached(S.ACCEPTED, S.ACCEPTED)
    assert already_reached(S.MAKING, S.ACCEPTED)  # the POS got there first
    assert already_reached(S.CANCELLED, S.CANCELLED)
    assert not already_reached(S.COMPLETED, S.CANCELLED)
    assert not already_reached(S.NEW, S.COMPLETED)


def test_channel_api_answers_are_checked():
    batch = read_batch({"orders": [{"order_id": "1"}], "cursor": 12}, "http://x")
    assert batch.cursor == "12" and len(batch.orders) == 1
    assert read_batch({"orders": []}, "http://x").cursor is None
    for bad in ({"cursor": "1"}, {"orders": [1]}, {"orders": [], "cursor": "x" * 31}, []):
        with pytest.raises(LegacyError) as info:
            read_batch(bad, "http://user:pw@x")
        assert info.value.code == 50201 and "pw" not in info.value.msg


def test_only_prefixed_values_are_channel_cursors():
    from zhongtai.legacy.pull_cursor import cursor_of

    assert cursor_of("c:42") == "42"
    assert cursor_of("3000000000000284045") is None  # seeded history: a platform order id
    assert cursor_of(None) is None
