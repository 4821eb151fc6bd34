"""The reference mappings' transforms and inverses on hand-made legacy rows (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from zhongtai.legacy import schema as ls
from zhongtai.migrate.mapping import Membership, Quarantine, Record
from zhongtai.migrate.mappings import all_mappings
from zhongtai.migrate.mappings.catalog import Catalog
from zhongtai.migrate.mappings.people import People
from zhongtai.platform.gateway.legacy_format import legacy_amounts
from zhongtai.platform.order import rows as order_rows

MAPPINGS = all_mappings()


def row(table: sa.Table, **values) -> dict:
    """A legacy row with every column: NULL, or 0 for NOT NULL integers, then ``values``."""
    out = {}
    for c in table.columns:
        integer = isinstance(c.type, sa.Integer | sa.SmallInteger | sa.BigInteger)
        out[c.name] = 0 if (integer and not c.nullable) else None
    unknown = set(values) - set(out)
    assert not unknown, unknown
    out.update(values)
    return out


STORE = row(
    ls.t_store, id=7, brand_id=1, store_code=" ＳＨ0012 ", store_name="人民广场店",
    phone="021-12345678转8", lng=31.2, lat=121.4, business_hours="10:00-14:00,17:00-22:00",
    status=1, mt_app_poi_code="mt_7", ele_shop_id="998", ele_open_id="SH0012",
    mt_token="SECRET-MT-TOKEN", ele_token="SECRET-ELE-TOKEN", create_time="2024-01-01 08:00:00",
)  # fmt: skip


def stores(**over) -> dict:
    lookups = {"store_binding_owners": over.pop("owners", {})}
    return MAPPINGS["stores"].apply(Record(row(ls.t_store, **{**STORE, **over}), lookups=lookups))


def test_store_keeps_its_id_normalises_fields_and_never_copies_tokens():
    out = stores()
    (store,) = out["store"]
    assert store["id"] == store["legacy_id"] == 7 and store["store_code"] == "SH0012"
    assert (store["phone_e164"], store["phone_ext"]) == ("+862112345678", "8")
    assert (store["lng"], store["lat"]) == (121.4, 31.2)  # swapped pair put right
    assert store["created_at"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert store["business_hours"][1] == {"open": "17:00", "close": "22:00"}
    refs = {b["channel"]: b["credential_ref"] for b in out["store_channel_binding"]}
    assert refs == {
        "MEITUAN": "legacy://t_store/7/mt_token",
        "ELEME": "legacy://t_store/7/ele_token",
    }
    assert "SECRET" not in repr(out)
    assert out["store_pos_binding"] == [
        {"store_id": 7, "pos_store_code": "SH0012", "pos_vendor": "LEGACY_POS"}
    ]


def test_deleted_stores_release_bindings_and_duplicates_are_quarantined():
    for marker in ({"status": -1}, {"is_deleted": 1}):
        out = stores(**marker)
        assert out["store"][0]["deleted_at"] is not None
        assert out["store_channel_binding"] == []
    taken = stores(owners={("MEITUAN", "mt_7"): 3})
    assert taken == Quarantine(
        "duplicate_channel_binding", "MEITUAN store id mt_7 is already bound to store 3"
    )


def test_store_inverse_round_trips():
    out = stores()
    legacy = MAPPINGS["stores"].inverse(out)["t_store"][0]
    assert legacy["phone"] == "021-12345678转8" and legacy["mt_app_poi_code"] == "mt_7"
    assert "mt_token" not in legacy
    # A store without the text (made on the platform) gets the national form of its number.
    bare = MAPPINGS["stores"].inverse({**out, "store": [{**out["store"][0], "phone_text": None}]})
    assert bare["t_store"][0]["phone"] == "021-12345678_8"
    again = stores(**{k: v for k, v in legacy.items() if k in STORE})
    assert again["store"] == out["store"]
    assert again["store_channel_binding"] == out["store_channel_binding"]


def test_products_quarantine_erp_duplicates_and_convert_prices():
    cat = Catalog(
        product_survivor={(1, "P1"): 2},
        product_key={1: (1, "P1"), 2: (1, "P1")},
        product_times={2: ("2024-01-01 08:00:00", None)},
        category_names={11: "招牌"},
        category_times={11: ("2024-01-01 08:00:00", "2024-02-01 08:00:00")},
        sku_fate={5: None, 6: "duplicate_sku_code"},
        sku_spu={5: 2},
        sku_codes={5: "P1-L", 6: "P1-L"},
        code_owner={"MEITUAN|*|P1-L|P1L": 5},
    )
    lookups = {"catalog": cat}
    product = row(ls.t_product, id=1, brand_id=1, erp_code="P1", name="红烧肉", status=0,
                  is_deleted=1, category_id=11)  # fmt: skip
    quarantined = MAPPINGS["products"].apply(Record(product, lookups=lookups))
    assert quarantined == Quarantine("duplicate_erp_code", "erp_code P1 is kept by product 2")
    out = MAPPINGS["products"].apply(Record({**product, "id": 2, "is_deleted": 0}, lookups=lookups))
    assert out["spu"][0]["status"] == "OFF_SHELF" and out["category"][0]["name"] == "招牌"
    sku = row(ls.t_product_sku, id=5, product_id=2, sku_code="P1-L", price=24.7, box_num=1,
              box_price=2.0, mt_app_food_code="P1-L", mt_sku_id="P1L")  # fmt: skip
    out = MAPPINGS["skus"].apply(Record(sku, lookups=lookups))
    assert (out["sku"][0]["list_price"], out["sku"][0]["box_price"]) == (2470, 200)
    assert [m["mapping_key"] for m in out["channel_sku_mapping"]] == ["MEITUAN|*|P1-L|P1L"]
    assert MAPPINGS["skus"].inverse(out)["t_product_sku"][0]["price"] == 24.7
    dup = MAPPINGS["skus"].apply(Record({**sku, "id": 6}, lookups=lookups))
    assert dup.reason == "duplicate_sku_code"
    price = row(ls.t_store_product, store_id=1, sku_id=5, price=None, sold_out=1)
    (sp,) = MAPPINGS["store_prices"].apply(Record(price, lookups=lookups))["store_sku_price"]
    assert sp["price"] is None and sp["sold_out"] is True and sp["on_sale"] is True


def test_member_merge_follows_the_member_centers_absorb_rule():
    people = People(
        survivor_of={1: 1, 2: 1},
        identities={1: (("PHONE", "+8613800138000"), ("WX_OPENID", "o1"))},
    )
    lookups = {"people": people, "store_brands": {3: 9}}
    first = row(ls.t_member, id=1, openid="o1", nickname="小明????", gender=0, level=2,
                points=100, balance=10.1, register_store_id=3, source_channel=3,
                create_time="2024-01-01 08:00:00")  # fmt: skip
    second = row(ls.t_member, id=2, mobile="+86 138-0013-8000", gender=1, level=4, points=50,
                 balance=0.2, birthday="1990/5/12", source_channel=4,
                 create_time="2024-02-01 08:00:00")  # fmt: skip
    group = Membership(key=1, survivor=1, members=(1, 2))
    out = MAPPINGS["members"].apply(Record(first, group=group, merged=[second], lookups=lookups))
    (m,) = out["member"]
    assert (m["points"], m["level"], m["gender"], m["tenant_id"]) == (150, 4, "MALE", 9)
    assert m["phone_e164"] == "+8613800138000" and str(m["birthday"]) == "1990-05-12"
    assert out["stored_value_account"][0]["balance"] == 1030
    assert {(i["kind"], i["member_id"]) for i in out["member_identity"]} == {
        ("PHONE", 1),
        ("WX_OPENID", 1),
    }
    other = MAPPINGS["members"].apply(Record(second, group=group, lookups=lookups))
    (o,) = other["member"]
    assert o["merged_into_id"] == 1 and o["deleted_at"] is not None
    assert o["points"] == 0 and o["phone_e164"] is None and other["member_identity"] == []


def _order_record(**over) -> Record:
    order = row(
        ls.t_order, id=10, order_no="1251201SH001200001", channel=1,
        channel_order_id="9007199254740993", store_id=7, store_code="SH0012",
        store_name="旧名店", recipient_phone="18449039731_7333", order_type=1, status=7,
        refund_status=1, total_amount=40.01, shipping_fee=5.0, package_fee=2.0,
        discount_amount=4.0, service_fee=600, income=3500, expect_time=0,
        order_time="2025-12-01 12:00:00", create_time="2025-12-01 12:00:00",
        update_time="2025-12-01 04:00:00", pos_sync_status=2, pos_ticket_no="0042",
        pos_ack_time="2025-12-01 12:01:00", ext_json="%7B%22a%22%3A1%7D", version=3,
    )  # fmt: skip
    order.update(over)
    items = [
        row(ls.t_order_item, id=1, order_id=10, sku_id=5, name="红烧肉", quantity=2,
            price=19.0, total=38.0, box_num=2, box_price=1.0, property="微辣"),
        row(ls.t_order_item, id=2, order_id=10, sku_id=None, channel_food_code="X1",
            name="赠品", quantity=1, price=-1.0, total=-1.0, is_gift=1),
    ]  # fmt: skip
    acts = [row(ls.t_order_activity, order_id=10, act_type="reduce", act_name="满30减4",
                amount=4.0, merchant_part=3.0, platform_part=1.0)]  # fmt: skip
    logs = [
        row(ls.t_order_status_log, order_id=10, from_status=None, to_status=1, source="MT_PUSH",
            create_time="2025-12-01 12:00:00"),
        row(ls.t_order_status_log, order_id=10, from_status=1, to_status=5, source="POS",
            create_time="2025-12-01 12:30:00"),
        row(ls.t_order_status_log, order_id=10, from_status=5, to_status=7, source="MT_PUSH",
            create_time="2025-12-01 13:00:00"),
    ]  # fmt: skip
    lookups = {
        "catalog": Catalog(sku_codes={5: "P1-L"}),
        "people": People(),
        "store_brands": {7: 1},
    }
    return Record(
        order,
        children={"items": items, "activities": acts, "logs": logs, "refunds": [], "payments": []},
        lookups=lookups,
    )


def test_order_money_status_and_pos_handoff():
    out = MAPPINGS["orders"].apply(_order_record())
    (o,) = out["orders"]
    assert (o["main_status"], o["refund_status"], o["sub_status"]) == ("COMPLETED", "APPLIED", None)
    # goods 3800 (+ gift 0) + package 200 + delivery 500 − discounts = paid 4001 exactly
    kinds = [(d["kind"], d["amount"]) for d in out["order_discounts"]]
    assert kinds == [("FULL_REDUCTION", 400), ("GIFT", 100), ("ROUNDING", -1)]
    assert (o["goods_amount"], o["paid_amount"], o["service_fee"]) == (3800, 4001, 600)
    assert o["updated_at"] >= o["created_at"]  # update_time written in UTC is clamped
    assert o["expected_at"] is None and o["channel_ext"]["raw"] == {"a": 1}
    assert o["customer_snapshot"]["phone_ext"] == "7333"
    assert o["store_snapshot"]["store_name"] == "旧名店"
    (ref,) = out["external_refs"]
    assert (ref["state"], ref["ref_no"]) == ("ACKED", "0042")
    tracks = [(h["track"], h["to_status"]) for h in out["order_status_history"]]
    assert tracks == [("MAIN", "PAID"), ("MAIN", "COMPLETED"), ("REFUND", "APPLIED")]
    lines = out["order_items"]
    assert lines[1]["unit_price"] == 0 and lines[1]["channel_item_ref"] == "X1"
    assert lines[0]["sku_code"] == "P1-L"


def test_order_rows_are_exactly_what_the_order_center_writes():
    out = MAPPINGS["orders"].apply(_order_record())
    order = order_rows.order_from_rows(
        out["orders"][0],
        out["order_items"],
        out["order_discounts"],
        out["order_status_history"],
        out["external_refs"],
    )
    (items, discounts) = [rows for _, rows in order_rows.static_rows(order)]
    assert order_rows.order_row(order) == out["orders"][0]
    assert items == out["order_items"] and discounts == out["order_discounts"]
    assert order_rows.history_rows(order, start=0) == out["order_status_history"]
    assert order_rows.ref_rows(order) == out["external_refs"]


def test_order_inverse_restores_the_legacy_fields():
    record = _order_record()
    out = MAPPINGS["orders"].apply(record)
    back = MAPPINGS["orders"].inverse(out)
    legacy = back["t_order"][0]
    for name in ("status", "refund_status", "channel", "order_type", "pos_sync_status",
                 "pos_ticket_no", "total_amount", "shipping_fee", "package_fee",
                 "discount_amount", "recipient_phone", "store_name", "expect_time"):  # fmt: skip
        assert legacy[name] == record.row[name], name
    assert [i["price"] for i in back["t_order_item"]] == [19.0, -1.0]
    assert [a["act_type"] for a in back["t_order_activity"]] == ["reduce"]


def test_legacy_figures_the_center_rows_cannot_show_are_kept_and_restored():
    # Legacy counted the −1 yuan gift line in original_amount and stated a discount that is
    # not the sum of its activities (4.0); the center's rows derive 45.00 and 4.00.
    record = _order_record(
        original_amount=44.0, discount_amount=4.5, merchant_subsidy=3.0, platform_subsidy=1.0
    )
    out = MAPPINGS["orders"].apply(record)
    (o,) = out["orders"]
    assert o["channel_ext"]["legacy_amounts"] == {"original_amount": 4400, "discount_amount": 450}
    view = {**o, "items": out["order_items"], "discounts": out["order_discounts"]}
    shown = legacy_amounts(view)
    for name in ("original_amount", "total_amount", "shipping_fee", "package_fee",
                 "discount_amount", "merchant_subsidy", "platform_subsidy"):  # fmt: skip
        assert shown[name] == record.row[name], name
    back = MAPPINGS["orders"].inverse(out)["t_order"][0]
    assert (back["original_amount"], back["discount_amount"]) == (44.0, 4.5)
    # Figures that agree are not repeated.
    plain = MAPPINGS["orders"].apply(
        _order_record(original_amount=44.0, discount_amount=4.0, merchant_subsidy=3.0,
                      platform_subsidy=1.0)
    )  # fmt: skip
    assert plain["orders"][0]["channel_ext"]["legacy_amounts"] == {"original_amount": 4400}


def test_orders_quarantine_repushes_and_bad_values():
    record = _order_record()
    record.group = Membership(key=(1, "9007199254740993"), survivor=4, members=(4, 10))
    assert MAPPINGS["orders"].apply(record).reason == "duplicate_repush"
    bad = MAPPINGS["orders"].apply(_order_record(order_type=9))
    assert bad.reason == "bad_value" and "order_type 9" in bad.detail
    far = MAPPINGS["orders"].apply(_order_record(total_amount=10.0))
    assert far.reason == "money_not_conserved"


def test_payments_and_refunds_round_trip():
    pay = row(ls.t_payment, id=3, order_id=10, order_no="N1", pay_channel="WX_JSAPI",
              out_trade_no="T1", transaction_id="W1", total_fee=4001, status=1,
              time_end="20251201120500", create_time="2025-12-01 12:00:00")  # fmt: skip
    out = MAPPINGS["payments"].apply(Record(pay))
    (p,) = out["payments"]
    assert p["paid_at"] == datetime(2025, 12, 1, 4, 5, tzinfo=UTC) and p["amount"] == 4001
    back = MAPPINGS["payments"].inverse(out)["t_payment"][0]
    assert {k: back[k] for k in back} == {k: pay[k] for k in back}
    refund = row(ls.t_refund, id=4, order_id=10, refund_no="R1", type=2, source="merchant",
                 amount=12.3, status=5, apply_time="2025-12-02 09:00:00",
                 finish_time="0000-00-00 00:00:00")  # fmt: skip
    lookups = {"refund_orders": {"order_no": {10: "N1"}, "payment_id": {10: 3}}}
    (r,) = MAPPINGS["refunds"].apply(Record(refund, lookups=lookups))["refunds"]
    assert (r["amount"], r["kind"], r["source"], r["status"]) == (
        1230,
        "PARTIAL",
        "MERCHANT",
        "SUCCEEDED",
    )
    assert r["payment_id"] == 3 and r["finished_at"] is None
    back = MAPPINGS["refunds"].inverse({"refunds": [r]})["t_refund"][0]
    assert back["amount"] == 12.3 and back["status"] == 5 and back["source"] == "merchant"
