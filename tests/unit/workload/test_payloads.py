"""Channel payload builders: the shapes docs/legacy-api.md promises, and money that adds up."""

from __future__ import annotations

import json

import pytest

from zhongtai.workload.payloads import (
    ELEME_APP_ID,
    Line,
    Takeout,
    eleme_new_message,
    eleme_push_body,
    eleme_status_message,
    meituan_new_form,
    meituan_refund_form,
    meituan_status_form,
    parse_wechat_reply,
    parse_wechat_xml,
    wechat_notify_xml,
    wechat_sign,
)


def words(text: str) -> set[str]:
    return set(text.split())


MEITUAN_NEW_FIELDS = words(
    "order_id wm_order_id_view app_poi_code wm_poi_name recipient_name recipient_phone "
    "recipient_address latitude longitude shipping_fee total original_price caution ctime "
    "delivery_time day_seq pay_type status detail extras poi_receive_detail app_id timestamp sig"
)
MEITUAN_DETAIL_FIELDS = words(
    "app_food_code food_name sku_id quantity price box_num box_price unit food_discount spec "
    "food_property cart_id"
)
ELEME_MESSAGE_FIELDS = words(
    "id orderId shopId openId createdAt activeAt deliverFee deliverTime description groups book "
    "onlinePaid phoneList consignee deliveryGeo deliveryPoiAddress originalPrice totalPrice "
    "packageFee activityTotal shopPart elemePart income serviceFee hongbao daySn userId "
    "orderActivities"
)
ELEME_ITEM_FIELDS = words(
    "id skuId name categoryId price quantity total extendCode newSpecs attributes"
)


def order(**changes) -> Takeout:
    lines = (
        Line("MT-1001", "9001", "宫保鸡丁", "大份", 28.5, 2, box_num=2, box_price=1.0),
        Line("MT-1002", None, "米饭", "", 2.0, 1),
    )
    base = dict(
        order_id="3000000000000000123",
        shop="mt_poi_42",
        shop_name="上海南京西路店",
        recipient_name="张(先生)",
        phone="18449039731_7333",
        address="上海市静安区南京西路1号",
        lng=121.47,
        lat=31.23,
        lines=lines,
        created=1_764_547_200,
        shipping_fee=5.0,
        discount=5.0,
        merchant_part=2.0,
        day_seq=17,
    )
    return Takeout(**{**base, **changes})


def test_takeout_money_adds_up():
    o = order()
    assert o.food == 59.0
    assert o.package == 2.0
    assert o.original == 66.0
    assert o.total == 61.0
    assert o.income_fen + o.service_fee_fen == 6100


def test_meituan_new_form_has_every_documented_field_as_strings():
    form = meituan_new_form(order())
    assert set(form) >= MEITUAN_NEW_FIELDS
    assert all(isinstance(v, str) for v in form.values())
    assert form["order_id"] == "3000000000000000123" and int(form["order_id"]) > 2**53
    assert form["status"] == "2" and form["pay_type"] == "2"
    assert float(form["total"]) == 61.0 and float(form["original_price"]) == 66.0
    detail = json.loads(form["detail"])
    assert [d["app_food_code"] for d in detail] == ["MT-1001", "MT-1002"]
    assert set(detail[0]) >= MEITUAN_DETAIL_FIELDS
    assert json.loads(form["extras"])[0]["reduce_fee"] == 5.0
    receive = json.loads(form["poi_receive_detail"])
    assert receive["wmPoiReceiveCent"] + receive["foodShareFeeChargeByPoi"] == 6100


def test_meituan_form_signature_depends_on_the_content():
    a, b = meituan_new_form(order()), meituan_new_form(order(caution="不要香菜"))
    assert a["sig"] != b["sig"] and len(a["sig"]) == 32


def test_meituan_status_and_refund_forms():
    cancel = meituan_status_form("300", "poi", "cancelled", now=1, reason_code=2001)
    assert cancel["order_id"] == "300" and cancel["reason_code"] == "2001" and cancel["reason"]
    assert "reason_code" not in meituan_status_form("300", "poi", "confirmed", now=1)
    refund = meituan_refund_form("300", "poi", "agree", refund_id="77", money=12.5, now=1)
    assert refund["notify_type"] == "agree" and refund["money"] == "12.5"
    with pytest.raises(ValueError, match="'new'"):
        meituan_status_form("300", "poi", "new", now=1)
    with pytest.raises(ValueError, match="notify_type"):
        meituan_refund_form("300", "poi", "cancelRefund", refund_id="1", money=1, now=1)


def test_eleme_new_message_shape():
    msg = eleme_new_message(order(phone="13800138000", open_id="ext-9"))
    assert set(msg) >= ELEME_MESSAGE_FIELDS
    assert msg["id"] == msg["orderId"] == "3000000000000000123"
    assert msg["phoneList"] == ["13800138000"]
    assert msg["deliveryGeo"] == "121.47,31.23"
    assert msg["deliverTime"] is None and msg["book"] is False  # ASAP
    assert msg["totalPrice"] == 61.0 and msg["activityTotal"] == 5.0
    assert msg["shopPart"] + msg["elemePart"] == 5.0
    items = msg["groups"][0]["items"]
    assert set(items[0]) >= ELEME_ITEM_FIELDS
    assert items[0]["total"] == 57.0
    assert msg["createdAt"] == "2025-12-01T08:00:00"  # local Shanghai time


def test_eleme_push_body_carries_the_message_as_a_json_string():
    msg = eleme_new_message(order())
    body = eleme_push_body(10, msg, shop="ele_9", request_id="req-1", now_ms=1, user_id="u1")
    assert set(body) == {
        "requestId", "type", "appId", "message", "shopId", "timestamp", "signature", "userId",
    }  # fmt: skip
    assert body["type"] == 10 and body["appId"] == ELEME_APP_ID and body["shopId"] == "ele_9"
    assert isinstance(body["message"], str) and json.loads(body["message"]) == msg
    assert body["signature"] == body["signature"].upper()


@pytest.mark.parametrize(
    ("push_type", "state", "refund_status"),
    [(12, "valid", None), (18, "settled", None), (14, "invalid", None),
     (30, "refunding", "applied"), (33, "invalid", "successful"), (32, "valid", "rejected")],
)  # fmt: skip
def test_eleme_status_messages(push_type, state, refund_status):
    msg = eleme_status_message("800", push_type, now=5, amount=9.5)
    assert msg["orderId"] == "800" and msg["state"] == state and msg["updateTime"] == 5
    assert msg.get("refundStatus") == refund_status
    if refund_status:
        assert msg["amount"] == 9.5 and msg["reason"]


def test_eleme_status_message_refuses_types_it_does_not_model():
    with pytest.raises(ValueError, match="45"):
        eleme_status_message("800", 45, now=1)
    with pytest.raises(ValueError):
        eleme_status_message("800", 10, now=1)


def notify(**changes) -> str:
    fields = dict(
        out_trade_no="WX3251201SH000100042",
        total_fee=6100,
        transaction_id="4200000000000000000000000001",
        openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        time_end="20251201120000",
        nonce_str="abc",
    )
    return wechat_notify_xml(**{**fields, **changes})


def test_wechat_notify_round_trips_with_a_valid_sign():
    fields = parse_wechat_xml(notify())
    documented = "appid mch_id nonce_str sign result_code openid trade_type total_fee cash_fee "
    documented += "transaction_id out_trade_no time_end"
    assert set(documented.split()) <= set(fields)
    assert fields["total_fee"] == fields["cash_fee"] == "6100"
    assert fields["result_code"] == "SUCCESS" and fields["time_end"] == "20251201120000"
    assert fields["sign"] == wechat_sign(fields)
    tampered = {**fields, "total_fee": "1"}
    assert tampered["sign"] != wechat_sign(tampered)


def test_wechat_notify_survives_cdata_terminators_in_values():
    fields = parse_wechat_xml(notify(openid="o]]>x<y&z"))
    assert fields["openid"] == "o]]>x<y&z"


def test_wechat_reply_parsing():
    ok = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"  # noqa: E501
    assert parse_wechat_reply(ok) == ("SUCCESS", "OK")
    assert parse_wechat_reply(b"<xml><return_code>FAIL</return_code></xml>") == ("FAIL", "")
    with pytest.raises(ValueError, match="not WeChat XML"):
        parse_wechat_reply('{"code": 0}')
    with pytest.raises(ValueError, match="root element"):
        parse_wechat_reply("<html></html>")
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>'
    with pytest.raises(ValueError):
        parse_wechat_reply(bomb)
