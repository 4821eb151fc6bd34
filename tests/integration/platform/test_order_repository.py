"""The order center's SQL repositories and services on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.integration.platform.platform_support import settings_for
from zhongtai.db import create_engine
from zhongtai.platform.errors import Conflict
from zhongtai.platform.migrations import upgrade_center
from zhongtai.platform.order import dispatch, service
from zhongtai.platform.order.handoff import HandoffState
from zhongtai.platform.order.lines import Discount, OrderItem
from zhongtai.platform.order.model import Channel, OrderType
from zhongtai.platform.order.placing import OrderDraft
from zhongtai.platform.order.query import OrderQuery
from zhongtai.platform.order.service import Handoff, PushKey
from zhongtai.platform.order.status import MainStatus, RefundStatus
from zhongtai.platform.order.uow import SqlOrderUnitOfWork
from zhongtai.platform.order.views import fine

T0 = datetime(2025, 12, 1, 4, 0, 0, 123456, tzinfo=UTC)
M = MainStatus


@pytest.fixture
def engine(engine_name, make_db, tmp_path):
    url = make_db(engine_name, prefix="zt_order")
    upgrade_center(settings_for({"order": url}, tmp_path), "order")
    eng = create_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def uow(engine):
    clock = {"now": T0}

    def now():
        clock["now"] += timedelta(seconds=1)
        return clock["now"]

    return SqlOrderUnitOfWork(engine, clock=now)


def draft(no: str, **kw) -> OrderDraft:
    values = dict(
        order_no=no,
        store_id=12,
        channel=Channel.ELEME,
        channel_order_id=f"E{no}",
        order_type=OrderType.DELIVERY,
        items=[
            OrderItem(
                1, "鱼香肉丝 🌶", 2, 2800, 5600, sku_id=5, sku_code="P5", properties={"辣": 1}
            ),
            OrderItem(2, "未映射", 1, 0, 0, channel_item_ref="ele:item:9", parent_line_no=1),
        ],
        discounts=[Discount("FULL_REDUCTION", 800, 500, 300, name="满50减8")],
        amounts={"package_fee": 200, "delivery_fee": 500, "service_fee": 330},
        status=M.PAID,
        customer={"name": "李(女士)", "phone": "+86 138-0013-8000", "lng": 121.4, "lat": 31.2},
        store_snapshot={"store_code": "SH0012", "name": "人民广场店"},
        channel_ext={"daySn": 7, "book": False, "big": "27011234567890123456"},
        placed_at=T0 - timedelta(minutes=5),
        expected_at=None,
        day_seq=7,
    )
    values.update(kw)
    return OrderDraft(**values)


def test_an_order_round_trips_exactly(uow):
    created = service.create_order(uow, draft("E1", remark="不要香菜", member_id=3)).order
    loaded = service.get_order(uow, "E1")
    assert fine(loaded) == fine(created)
    assert loaded.items[1].unmapped and loaded.items[0].name == "鱼香肉丝 🌶"
    assert loaded.amounts.paid_amount == 5600 + 200 + 500 - 800
    assert loaded.placed_at.tzinfo is not None and loaded.placed_at == T0 - timedelta(minutes=5)


def test_changes_append_history_and_bump_the_version(uow):
    service.create_order(uow, draft("E1"))
    service.change_status(uow, "E1", M.ACCEPTED, source="POS", sub_status="PRINTED")
    service.set_sub_status(uow, "E1", "RIDER_ASSIGNED", source="DELIVERY")
    service.change_refund(uow, "E1", RefundStatus.APPLIED, source="ELEME_PUSH", reason="太咸")
    service.change_refund(uow, "E1", RefundStatus.SUCCEEDED, source="ELEME_PUSH", amount=1000)
    order = service.get_order(uow, "E1")
    assert order.version == 4 and order.refunded_amount == 1000
    assert [(c.track, c.to_status) for c in order.history] == [
        ("MAIN", "PAID"),
        ("MAIN", "ACCEPTED"),
        ("SUB", "RIDER_ASSIGNED"),
        ("REFUND", "APPLIED"),
        ("REFUND", "SUCCEEDED"),
    ]
    assert order.history[-1].amount == 1000 and order.history[3].reason == "太咸"


def test_a_stale_writer_is_refused(uow):
    service.create_order(uow, draft("E1"))
    with uow:
        first = uow.orders.get("E1")
        second = uow.orders.get("E1")
        first.change_status(M.ACCEPTED, source="A", now=T0)
        uow.orders.save(first)
        second.change_status(M.CANCELLED, source="B", now=T0)
        with pytest.raises(Conflict, match="changed by someone else"):
            uow.orders.save(second)


def test_pushes_are_recorded_once(uow):
    key = PushKey(Channel.ELEME, "EE1", "10")
    assert not service.create_order(uow, draft("E1"), push=key).duplicate
    again = service.create_order(uow, draft("E2", channel_order_id="EE1"), push=key)
    assert again.duplicate and again.order.order_no == "E1"
    accepted = PushKey(Channel.ELEME, "EE1", "12")
    service.change_status(uow, "E1", M.ACCEPTED, source="ELEME_PUSH", push=accepted)
    repeat = service.change_status(uow, "E1", M.ACCEPTED, source="ELEME_PUSH", push=accepted)
    assert repeat.duplicate and repeat.order.version == 1


def test_unique_keys_hold_in_the_database(uow):
    service.create_order(uow, draft("E1"))
    with pytest.raises(Conflict, match="already used"):
        service.create_order(uow, draft("E1", channel_order_id="OTHER"))
    with pytest.raises(Conflict, match="already recorded as E1"):
        service.create_order(uow, draft("E2", channel_order_id="EE1"))
    assert service.search_orders(uow, OrderQuery())[0] == 1


def test_claim_and_ack(uow):
    for n in range(1, 5):
        service.create_order(uow, draft(f"E{n}"))
    service.create_order(uow, draft("X1", store_id=13))
    service.create_order(uow, draft("N1", status=M.PENDING_PAYMENT))
    first, more = dispatch.claim_handoffs(uow, "POS", 12, limit=3)
    assert [o.order_no for o in first] == ["E1", "E2", "E3"] and more
    rest, more = dispatch.claim_handoffs(uow, "POS", 12, limit=3)
    assert [o.order_no for o in rest] == ["E4"] and not more
    service.change_status(
        uow, "E2", M.ACCEPTED, source="POS", handoff=Handoff("POS", HandoffState.ACKED, "0042")
    )
    ref = service.get_order(uow, "E2").external_refs["POS"]
    assert (ref.state, ref.ref_no, ref.attempts) == ("ACKED", "0042", 1)
    dispatch.record_handoff(uow, "E3", Handoff("POS", HandoffState.PENDING))  # re-queue
    again, _ = dispatch.claim_handoffs(uow, "POS", 12)
    assert [o.order_no for o in again] == ["E3"]
    assert again[0].external_refs["POS"].attempts == 2


def test_a_refund_set_aside_is_found_by_its_sub_status(uow):
    for no in ("A1", "A2", "A3"):
        service.create_order(uow, draft(no))
        service.change_status(uow, no, M.ACCEPTED, source="POS")
    for no in ("A1", "A2"):
        service.change_refund(uow, no, RefundStatus.APPLIED, source="MT_PUSH")
    # The store carries on with A1 while its refund is open; A2 waits for the decision.
    service.change_status(uow, "A1", M.COMPLETED, source="POS", sub_status="ASIDE")
    service.change_status(uow, "A3", M.COMPLETED, source="POS")
    settled = (RefundStatus.NONE, RefundStatus.REJECTED)
    open_ = (RefundStatus.APPLIED, RefundStatus.ARBITRATING)
    cases = {
        OrderQuery(main_statuses=(M.COMPLETED,), refund_statuses=settled): ["A3"],
        OrderQuery(
            main_statuses=(M.COMPLETED,), refund_statuses=settled, open_refund_sub_status="ASIDE"
        ): ["A3", "A1"],
        OrderQuery(refund_statuses=open_): ["A2", "A1"],
        OrderQuery(refund_statuses=open_, not_sub_status="ASIDE"): ["A2"],
    }
    for query, expected in cases.items():
        assert [o.order_no for o in service.search_orders(uow, query)[1]] == expected, query


def test_search_filters_sorts_and_pages(uow):
    service.create_order(uow, draft("E1", customer={"phone": "18449039731_7333"}))
    service.create_order(uow, draft("E2", member_id=9, placed_at=T0 + timedelta(hours=1)))
    service.create_order(uow, draft("E3", store_id=13, channel=Channel.MEITUAN))
    service.change_status(uow, "E2", M.CANCELLED, source="ADMIN")
    cases = {
        OrderQuery(store_id=12): ["E2", "E1"],
        OrderQuery(phone_digits="13800138000"): ["E3", "E2"],
        OrderQuery(phone_digits="18449039731"): ["E1"],
        OrderQuery(main_statuses=(M.CANCELLED,)): ["E2"],
        OrderQuery(channel=Channel.MEITUAN): ["E3"],
        OrderQuery(member_id=9): ["E2"],
        OrderQuery(placed_from=T0): ["E2"],
        OrderQuery(placed_to=T0): ["E3", "E1"],
        OrderQuery(sort="id"): ["E1", "E2", "E3"],
        OrderQuery(sort="-placed_at", size=2, page=1): ["E2", "E3"],
        OrderQuery(sort="-placed_at", size=2, page=2): ["E1"],
    }
    for query, expected in cases.items():
        total, found = service.search_orders(uow, query)
        assert [o.order_no for o in found] == expected, query
        assert total == (3 if query.sort == "-placed_at" else len(expected))


def test_pull_cursors_upsert_and_keep_the_cursor_when_none_is_sent(uow):
    assert service.pull_cursor(uow, Channel.MEITUAN, 12).cursor is None
    first = service.record_pull(uow, Channel.MEITUAN, 12, "c-17")
    assert first.cursor == "c-17" and first.pulled_at is not None
    kept = service.record_pull(uow, Channel.MEITUAN, 12, None)
    assert kept.cursor == "c-17" and kept.pulled_at > first.pulled_at
    moved = service.record_pull(uow, Channel.MEITUAN, 12, "c-18")
    assert service.pull_cursor(uow, Channel.MEITUAN, 12) == moved
    assert moved.cursor == "c-18"
    assert service.pull_cursor(uow, Channel.ELEME, 12).cursor is None
    service.record_pull(uow, Channel.ELEME, 12, None)  # a first pull without a cursor
    assert service.pull_cursor(uow, Channel.ELEME, 12).cursor is None


def test_day_sequences_and_events(uow):
    day = date(2025, 12, 1)
    assert [service.next_day_sequence(uow, 12, day) for _ in range(3)] == [1, 2, 3]
    assert service.next_day_sequence(uow, 12, day + timedelta(days=1)) == 1
    service.create_order(uow, draft("E1"))
    service.change_status(uow, "E1", M.ACCEPTED, source="POS")
    events = service.list_events(uow)
    assert [e.kind for _, e in events] == ["ORDER_CREATED", "STATUS_CHANGED"]
    assert events[0][1].payload["items"][0]["name"] == "鱼香肉丝 🌶"
    assert events[1][1].payload == {
        "order_no": "E1",
        "track": "MAIN",
        "from": "PAID",
        "to": "ACCEPTED",
        "sub_status": None,
        "source": "POS",
    }
