from datetime import UTC, date, datetime

import pytest
from order_drafts import draft

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.order import dispatch, service
from zhongtai.platform.order.fakes import FakeOrderUnitOfWork
from zhongtai.platform.order.handoff import HandoffState
from zhongtai.platform.order.model import Channel
from zhongtai.platform.order.money import MoneyError
from zhongtai.platform.order.query import OrderQuery
from zhongtai.platform.order.service import Handoff, PushKey
from zhongtai.platform.order.status import IllegalTransition, MainStatus, RefundStatus

NOW = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
M = MainStatus


@pytest.fixture
def uow():
    return FakeOrderUnitOfWork(clock=lambda: NOW)


def meituan(no="1251201SH001200001", channel_id="27011234567890123456", **kw):
    return draft(
        order_no=no,
        channel=Channel.MEITUAN,
        channel_order_id=channel_id,
        status=M.PAID,
        customer={"name": "张(先生)", "phone": "18449039731_7333"},
        **kw,
    )


def push(channel_id="27011234567890123456", kind="new") -> PushKey:
    return PushKey(Channel.MEITUAN, channel_id, kind)


def test_create_keeps_the_callers_number_and_gives_a_platform_id(uow):
    outcome = service.create_order(uow, draft())
    assert not outcome.duplicate and outcome.order.id >= 10**12
    stored = service.get_order(uow, "3251201SH001200001")
    assert stored.amounts.paid_amount == 4600 and stored.version == 0
    migrated = service.create_order(uow, draft(order_no="3251130SH001200009", legacy_id=77))
    assert migrated.order.id == 77


def test_a_re_pushed_channel_order_is_a_duplicate_and_changes_nothing(uow):
    first = service.create_order(uow, meituan(), push=push())
    again = service.create_order(uow, meituan(no="1251201SH001200002"), push=push())
    assert again.duplicate and again.order.order_no == first.order.order_no
    total, _ = service.search_orders(uow, OrderQuery())
    assert total == 1
    with pytest.raises(Conflict, match="already recorded as 1251201SH001200001"):
        service.create_order(uow, meituan(no="1251201SH001200003"))


def test_an_order_number_is_used_once(uow):
    service.create_order(uow, draft())
    with pytest.raises(Conflict, match="already used") as info:
        service.create_order(uow, draft())
    assert info.value.code == "ORDER_EXISTS"


def test_invalid_drafts_change_nothing(uow):
    with pytest.raises(InvalidInput):
        service.create_order(uow, draft(amounts={"paid_amount": 1}))
    assert uow.db.get("orders", {}) == {} and uow.commits == 0


def test_status_pushes_are_idempotent_on_channel_id_and_push_type(uow):
    service.create_order(uow, meituan(), push=push())
    accepted = service.change_status(
        uow, "1251201SH001200001", M.ACCEPTED, source="MEITUAN_PUSH", push=push(kind="confirmed")
    )
    assert not accepted.duplicate and accepted.order.version == 1
    repeat = service.change_status(
        uow, "1251201SH001200001", M.ACCEPTED, source="MEITUAN_PUSH", push=push(kind="confirmed")
    )
    assert repeat.duplicate and repeat.order.version == 1 and len(repeat.order.history) == 2
    with pytest.raises(InvalidInput, match="does not name order"):
        service.change_status(
            uow, "1251201SH001200001", M.COMPLETED, source="X", push=push("999", "completed")
        )


def test_pos_pull_claims_oldest_paid_orders_once_and_says_if_more_wait(uow):
    for n in range(1, 6):
        service.create_order(uow, draft(order_no=f"A{n}", status=M.PAID))
    service.create_order(uow, draft(order_no="UNPAID"))
    service.create_order(uow, draft(order_no="OTHER", store_id=99, status=M.PAID))
    first, more = dispatch.claim_handoffs(uow, "POS", 12, limit=3)
    assert [o.order_no for o in first] == ["A1", "A2", "A3"] and more
    assert all(o.external_refs["POS"].state is HandoffState.PULLED for o in first)
    second, more = dispatch.claim_handoffs(uow, "POS", 12, limit=3)
    assert [o.order_no for o in second] == ["A4", "A5"] and not more
    assert dispatch.claim_handoffs(uow, "POS", 12, limit=3) == ([], False)


def test_pos_ack_accepts_and_stores_the_ticket_in_one_step(uow):
    service.create_order(uow, draft(status=M.PAID))
    dispatch.claim_handoffs(uow, "POS", 12)
    outcome = service.change_status(
        uow,
        "3251201SH001200001",
        M.ACCEPTED,
        source="POS",
        handoff=Handoff("POS", HandoffState.ACKED, ref_no="0042"),
        expected_store_id=12,
    )
    ref = outcome.order.external_refs["POS"]
    assert outcome.order.main_status is M.ACCEPTED and (ref.state, ref.ref_no) == ("ACKED", "0042")
    again = dispatch.record_handoff(
        uow, "3251201SH001200001", Handoff("POS", HandoffState.ACKED, ref_no="0042")
    )
    assert again.duplicate


def test_commands_guard_store_and_version_and_report_unknown_orders(uow):
    service.create_order(uow, draft(status=M.PAID))
    with pytest.raises(Conflict, match="belongs to store 12, not 13") as info:
        service.change_status(
            uow, "3251201SH001200001", M.ACCEPTED, source="POS", expected_store_id=13
        )
    assert info.value.code == "WRONG_STORE"
    with pytest.raises(Conflict, match="version 0, not 5"):
        service.change_status(uow, "3251201SH001200001", M.ACCEPTED, source="A", expected_version=5)
    with pytest.raises(NotFound) as missing:
        service.change_status(uow, "NOPE", M.ACCEPTED, source="POS")
    assert missing.value.code == "ORDER_NOT_FOUND"
    with pytest.raises(IllegalTransition):
        service.change_status(uow, "3251201SH001200001", M.COMPLETED, source="POS")
    assert service.get_order(uow, "3251201SH001200001").version == 0


def test_refund_and_sub_status_commands(uow):
    service.create_order(uow, draft(status=M.PAID))
    service.set_sub_status(uow, "3251201SH001200001", "PRINTED", source="POS")
    service.change_refund(uow, "3251201SH001200001", RefundStatus.APPLIED, source="MP")
    done = service.change_refund(
        uow, "3251201SH001200001", RefundStatus.SUCCEEDED, source="MP", amount=4600
    )
    assert done.order.fully_refunded and done.order.sub_status == "PRINTED"


def test_a_cancel_that_refunds_at_once_is_one_command_with_one_time():
    ticks = iter(range(60))
    uow = FakeOrderUnitOfWork(clock=lambda: NOW.replace(second=next(ticks)))
    service.create_order(uow, draft(status=M.PAID))
    no = "3251201SH001200001"
    with pytest.raises(MoneyError):  # more than was paid: the cancel does not happen either
        service.change_status(uow, no, M.CANCELLED, source="POS", refund_amount=4601)
    assert service.get_order(uow, no).main_status is M.PAID
    done = service.change_status(uow, no, M.CANCELLED, source="POS", refund_amount=4600)
    cancel, refund = done.order.history[-2:]
    assert (cancel.to_status, refund.to_status, refund.amount) == (M.CANCELLED, "SUCCEEDED", 4600)
    assert refund.at == cancel.at and done.order.fully_refunded


def test_searches_filter_and_page(uow):
    service.create_order(uow, meituan(), push=push())
    service.create_order(uow, draft(order_no="B1", member_id=8))
    service.create_order(uow, draft(order_no="B2", member_id=8, status=M.PAID))
    total, found = service.search_orders(uow, OrderQuery(member_id=8, size=1))
    assert total == 2 and [o.order_no for o in found] == ["B2"]  # newest first
    total, found = service.search_orders(uow, OrderQuery(phone_digits="18449039731"))
    assert [o.order_no for o in found] == ["1251201SH001200001"]
    total, _ = service.search_orders(uow, OrderQuery(main_statuses=(M.PAID,), channel=Channel.APP))
    assert total == 0
    assert service.find_by_channel(uow, Channel.MEITUAN, "27011234567890123456").order_no


def test_deleted_orders_disappear(uow):
    service.create_order(uow, draft())
    service.delete_order(uow, "3251201SH001200001")
    with pytest.raises(NotFound):
        service.get_order(uow, "3251201SH001200001")
    assert service.search_orders(uow, OrderQuery())[0] == 0
    assert service.search_orders(uow, OrderQuery(include_deleted=True))[0] == 1


def test_day_sequences_count_per_store_and_day(uow):
    day = date(2025, 12, 1)
    assert [service.next_day_sequence(uow, 12, day) for _ in range(3)] == [1, 2, 3]
    assert service.next_day_sequence(uow, 13, day) == 1
    assert service.next_day_sequence(uow, 12, date(2025, 12, 2)) == 1
    with pytest.raises(InvalidInput):
        service.next_day_sequence(uow, 0, day)


def test_dry_runs_keep_nothing_but_answer_like_the_real_call():
    uow = FakeOrderUnitOfWork(clock=lambda: NOW, dry_run=True)
    dry = service.create_order(uow, draft())
    assert uow.would_commit and uow.db["orders"] == {}
    uow.dry_run = False
    real = service.create_order(uow, draft())
    assert real.order.id == dry.order.id


def test_events_fat_on_create_thin_on_change(uow):
    service.create_order(uow, draft(status=M.PAID))
    service.change_status(uow, "3251201SH001200001", M.ACCEPTED, source="POS")
    events = service.list_events(uow)
    assert [e.kind for _, e in events] == ["ORDER_CREATED", "STATUS_CHANGED"]
    assert "items" in events[0][1].payload and "items" not in events[1][1].payload
    after = service.list_events(uow, after_id=events[0][0])
    assert [e.kind for _, e in after] == ["STATUS_CHANGED"]


def test_pull_cursors_keep_the_last_cursor_per_channel_and_store(uow):
    assert service.pull_cursor(uow, Channel.MEITUAN, 12).as_json() == {
        "channel": "MEITUAN",
        "store_id": 12,
        "cursor": None,
        "pulled_at": None,
    }
    service.record_pull(uow, Channel.MEITUAN, 12, "41")
    kept = service.record_pull(uow, Channel.MEITUAN, 12, None)  # the channel sent no cursor
    assert (kept.cursor, kept.pulled_at) == ("41", NOW)
    assert service.pull_cursor(uow, Channel.ELEME, 12).cursor is None
    assert service.pull_cursor(uow, Channel.MEITUAN, 13).cursor is None
    with pytest.raises(InvalidInput):
        service.record_pull(uow, Channel.MEITUAN, 0, "1")
    with pytest.raises(InvalidInput):
        service.record_pull(uow, Channel.MEITUAN, 12, "x" * 256)


def test_a_dry_run_pull_leaves_the_cursor_alone():
    uow = FakeOrderUnitOfWork(clock=lambda: NOW)
    service.record_pull(uow, Channel.ELEME, 7, "5")
    uow.dry_run = True
    assert service.record_pull(uow, Channel.ELEME, 7, "9").cursor == "9"
    uow.dry_run = False
    assert service.pull_cursor(uow, Channel.ELEME, 7).cursor == "5"
