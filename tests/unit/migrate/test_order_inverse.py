"""The orders mapping and its inverse agree on the legacy money-state columns (no database).

Legacy orders are built the way the legacy app writes them (``zhongtai.legacy.intake``,
``payment``, ``aftersale``, ``ingest``): a takeout order is paid online (``pay_type`` 2,
``pay_status`` 1) or in cash on delivery (``pay_type`` 1, ``pay_status`` 0, and still 0 after
a refund); an own-channel order is 0 until its payment succeeds, then 1, and 2 only after a
refund of the whole total (a partial one leaves 1). Each goes legacy → order center rows →
legacy, and must come back with the ``status``, ``refund_status`` and ``pay_status`` it had.
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from zhongtai.legacy import schema as ls
from zhongtai.migrate.mapping import Record
from zhongtai.migrate.mappings import all_mappings
from zhongtai.migrate.mappings.catalog import Catalog
from zhongtai.migrate.mappings.people import People

ORDERS = all_mappings()["orders"]
MEITUAN, ELEME, MINI, APP = 1, 2, 3, 4
CASH, ONLINE = 1, 2


def _row(table: sa.Table, **values) -> dict:
    out = {}
    for c in table.columns:
        integer = isinstance(c.type, sa.Integer | sa.SmallInteger | sa.BigInteger)
        out[c.name] = 0 if (integer and not c.nullable) else None
    out.update(values)
    return out


def legacy_order(
    *,
    channel: int,
    pay_type: int | None,
    path: str,
    refund_fen: int | None = None,
    fen: int = 4200,
    lifecycle: int = 5,
) -> Record:
    """A legacy order of ``fen`` as the legacy app leaves it after ``path``.

    ``path``: ``unpaid`` (own channels: still waiting for payment), ``placed`` (at
    ``lifecycle``), ``cancelled``, ``refunding`` (refund asked), ``refunded`` (refund of
    ``refund_fen`` agreed; own channels: the whole total when None).
    """
    own = channel in (MINI, APP)
    oid, order_no = 10, "1251201SH001200001"
    paid = (path != "unpaid") if own else pay_type == ONLINE
    pay_status = 1 if paid else 0
    status, refund_status, logs, refunds = lifecycle, 0, [(None, 1), (1, lifecycle)], []
    if path == "unpaid":
        status, logs = 0, [(None, 0)]
    elif path == "cancelled":
        status, logs = 6, [(None, 1), (1, 6)]
        if own and paid:  # aftersale.cancel: a paid own order is refunded in full at once
            refund_status, pay_status = 5, 2
            refunds.append((1, fen))
    elif path == "refunding":
        status, refund_status = 7, 1
        logs.append((lifecycle, 7))
        refunds.append((None, refund_fen or fen))
    elif path == "refunded":
        status, refund_status = 8, 5
        logs += [(lifecycle, 7), (7, 8)]
        amount = fen if refund_fen is None else refund_fen
        whole = amount >= fen
        if own:  # aftersale.refund: 2 only when the refund covers the total
            pay_status = 2 if whole else 1
        elif pay_status == 1:  # ingest REFUND_AGREE: 2 when it had been paid (online)
            pay_status = 2
        refunds.append((1 if whole else 2, amount))
    order = _row(
        ls.t_order, id=oid, order_no=order_no, channel=channel, store_id=7,
        store_code="SH0012", store_name="店", order_type=1 if not own else 2, status=status,
        pay_status=pay_status, refund_status=refund_status, pay_type=pay_type,
        total_amount=fen / 100, shipping_fee=0.0, package_fee=0.0, discount_amount=0.0,
        order_time="2025-12-01 12:00:00", create_time="2025-12-01 12:00:00",
        update_time="2025-12-01 12:40:00", pos_sync_status=2, version=len(logs),
        channel_order_id=None if own else "9007199254740993",
    )  # fmt: skip
    items = [
        _row(ls.t_order_item, id=1, order_id=oid, sku_id=5, name="面", quantity=1,
             price=fen / 100, total=fen / 100)
    ]  # fmt: skip
    log_rows = [
        _row(ls.t_order_status_log, order_id=oid, from_status=a, to_status=b, source="POS",
             create_time=f"2025-12-01 12:{10 + n:02d}:00")
        for n, (a, b) in enumerate(logs)
    ]  # fmt: skip
    refund_rows = [
        _row(ls.t_refund, id=n + 1, order_id=oid, refund_no=f"RF{order_no}0{n + 1}",
             type=kind or 1, amount=amount / 100, status=5 if kind else 1,
             apply_time="2025-12-01 12:30:00")
        for n, (kind, amount) in enumerate(refunds)
    ]  # fmt: skip
    payments = []
    if own:
        payments.append(
            _row(ls.t_payment, id=3, order_id=oid, order_no=order_no, out_trade_no="P1",
                 pay_channel="WX_JSAPI", total_fee=fen, status=1 if paid else 0,
                 time_end="20251201120500" if paid else None,
                 create_time="2025-12-01 12:00:00")
        )  # fmt: skip
    lookups = {"catalog": Catalog(sku_codes={5: "P1"}), "people": People(), "store_brands": {}}
    children = {"items": items, "activities": [], "logs": log_rows, "refunds": refund_rows,
                "payments": payments}  # fmt: skip
    return Record(order, children=children, lookups=lookups)


def round_trip(record: Record) -> dict:
    out = ORDERS.apply(record)
    assert isinstance(out, dict), out
    return ORDERS.inverse(out)["t_order"][0]


STATE = ("status", "refund_status", "pay_status")


def _same_state(record: Record) -> None:
    back = round_trip(record)
    assert {k: back[k] for k in STATE} == {k: record.row[k] for k in STATE}


def test_cash_on_delivery_takeout_orders_stay_unpaid_in_legacy():
    for channel in (MEITUAN, ELEME):
        for path in ("placed", "cancelled", "refunding", "refunded"):
            record = legacy_order(channel=channel, pay_type=CASH, path=path)
            assert record.row["pay_status"] == 0
            assert round_trip(record)["pay_status"] == 0, (channel, path)
            _same_state(record)


def test_partially_refunded_own_orders_stay_paid_and_whole_refunds_are_refunded():
    for channel in (MINI, APP):
        partial = legacy_order(channel=channel, pay_type=None, path="refunded", refund_fen=1500)
        assert round_trip(partial)["pay_status"] == 1
        _same_state(partial)
        whole = legacy_order(channel=channel, pay_type=None, path="refunded")
        assert round_trip(whole)["pay_status"] == 2
        _same_state(whole)


def test_online_takeout_refunds_and_own_cancellations_are_refunded():
    for channel in (MEITUAN, ELEME):
        record = legacy_order(channel=channel, pay_type=ONLINE, path="refunded", refund_fen=100)
        assert round_trip(record)["pay_status"] == 2
    cancelled = legacy_order(channel=MINI, pay_type=None, path="cancelled")
    assert (cancelled.row["pay_status"], round_trip(cancelled)["pay_status"]) == (2, 2)
    unpaid = legacy_order(channel=APP, pay_type=None, path="unpaid")
    assert round_trip(unpaid)["pay_status"] == 0


@st.composite
def legacy_orders(draw) -> Record:
    channel = draw(st.sampled_from((MEITUAN, ELEME, MINI, APP)))
    own = channel in (MINI, APP)
    pay_type = draw(st.sampled_from((None, ONLINE) if own else (CASH, ONLINE)))
    paths = ["placed", "cancelled", "refunding", "refunded"] + (["unpaid"] if own else [])
    path = draw(st.sampled_from(paths))
    fen = draw(st.integers(min_value=1, max_value=500_000))
    refund_fen = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=fen)))
    lifecycle = draw(st.sampled_from((1, 2, 3, 4, 5)))
    return legacy_order(channel=channel, pay_type=pay_type, path=path, refund_fen=refund_fen,
                        fen=fen, lifecycle=lifecycle)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(legacy_orders())
def test_legacy_money_state_round_trips_through_the_order_center(record):
    _same_state(record)
