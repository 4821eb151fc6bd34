"""Comparison units come from the mappings: shared tables get every contributor."""

from __future__ import annotations

from zhongtai.compare.units import plan_units
from zhongtai.migrate.mappings import all_mappings, resolve


def _units(names):
    return {u.name: u for u in plan_units(resolve(names), all_mappings().values())}


def test_a_table_two_mappings_write_is_one_bucketed_unit_with_both():
    units = _units(["members"])
    member = units["member.member"]
    assert member.mappings == ("members", "platform_customers") and not member.ranged
    account = units["member.stored_value_account"]
    assert account.ranged and account.segment_column == "member_id"
    assert account.tolerance == {"balance": 1.0}


def test_owned_targets_are_ranged_on_their_owner_and_money_gets_the_tolerance():
    units = _units(["orders"])
    orders, items = units["order.orders"], units["order.order_items"]
    assert orders.ranged and orders.segment_column == "id"
    assert items.segment_column == "order_id" and items.key == ("order_id", "line_no")
    assert {"paid_amount", "goods_amount"} <= set(orders.tolerance)
    assert set(items.tolerance) == {"unit_price", "line_total", "box_price"}
    # legacy's FLOAT coordinates, inside the customer snapshot (JSON)
    assert orders.tolerance["customer_snapshot.lng"] == orders.tolerance["customer_snapshot.lat"]
    assert not units["order.channel_pushes"].ranged  # no owner: bucketed


def test_float_columns_get_the_float_tolerance_and_forms_are_found():
    store = _units(["stores"])["store.store"]
    assert store.tolerance == {"lng": 1e-6, "lat": 1e-6}
    payments = _units(["payments"])["payment.payments"]
    assert payments.form_for("postgresql") is not None and payments.form_for("mysql") is not None
    assert payments.form_for("sqlite") is None
    assert _units(["refunds"])["payment.refunds"].form_for("postgresql") is None


def test_columns_default_to_every_table_column_but_the_center_s_write_counter():
    refunds = _units(["refunds"])["payment.refunds"]
    assert refunds.columns == tuple(c.name for c in refunds.table.c if c.name != "version")
    orders = _units(["orders"])["order.orders"]  # legacy keeps an order's version: compared
    assert orders.columns == tuple(c.name for c in orders.table.c)
