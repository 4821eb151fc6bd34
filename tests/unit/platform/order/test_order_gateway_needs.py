"""Services the application layer asked for: numbering in the create transaction, push lookup
and acknowledge-only pushes, pickup codes, narrower POS queues."""

from datetime import UTC, date, datetime

import pytest
from order_drafts import draft

from zhongtai.platform.order import dispatch, pushes, service
from zhongtai.platform.order.fakes import FakeOrderUnitOfWork
from zhongtai.platform.order.model import Channel, InvalidOrder
from zhongtai.platform.order.placing import Numbering
from zhongtai.platform.order.service import PushKey
from zhongtai.platform.order.status import MainStatus, RefundStatus

NOW = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
DAY = date(2025, 12, 1)
M = MainStatus


@pytest.fixture
def uow():
    return FakeOrderUnitOfWork(clock=lambda: NOW)


def channel_draft(channel_id: str, **kw):
    return draft(channel=Channel.ELEME, channel_order_id=channel_id, status=M.PAID, **kw)


def test_numbering_takes_the_store_day_value_and_a_re_push_takes_none(uow):
    numbering = Numbering("2251201SH0012", DAY, fill_day_seq=True)
    key = PushKey(Channel.ELEME, "E1", "10")
    first = service.create_order(uow, channel_draft("E1"), push=key, numbering=numbering)
    assert (first.order.order_no, first.order.day_seq) == ("2251201SH001200001", 1)
    again = service.create_order(uow, channel_draft("E1"), push=key, numbering=numbering)
    assert again.duplicate
    second = service.create_order(
        uow,
        channel_draft("E2", day_seq=77),
        push=PushKey(Channel.ELEME, "E2", "10"),
        numbering=numbering,
    )
    assert (second.order.order_no, second.order.day_seq) == ("2251201SH001200002", 77)
    assert service.next_day_sequence(uow, 12, DAY) == 3  # the duplicate took no number


def test_numbering_refuses_a_value_that_outgrows_its_width():
    with pytest.raises(InvalidOrder, match="does not fit 2 digits"):
        Numbering("P", DAY, width=2).number(100)


def test_find_push_and_acknowledge_only(uow):
    key = PushKey(Channel.ELEME, "E1", "12")
    assert pushes.find_push(uow, key) == (None, False)
    service.create_order(uow, channel_draft("E1"))
    order, seen = pushes.find_push(uow, key)
    assert order.channel_order_id == "E1" and not seen
    acked = pushes.record_push(uow, order.order_no, key)
    assert not acked.duplicate and acked.order.main_status is M.PAID  # no move
    # ...but the order notes the channel's last push, as legacy's t_order.channel_status did.
    assert acked.order.channel_ext["channel_status"] == "12" and acked.order.version == 1
    assert pushes.find_push(uow, key)[1] is True
    repeat = pushes.record_push(uow, order.order_no, key)
    assert repeat.duplicate and repeat.order.version == 1


def test_a_command_carrying_a_push_notes_it_as_the_channel_status(uow):
    created = service.create_order(uow, channel_draft("E1", channel_ext={"channel_status": "10"}))
    no = created.order.order_no
    moved = service.change_status(
        uow, no, M.ACCEPTED, source="ELEME_PUSH", push=PushKey(Channel.ELEME, "E1", "12")
    )
    assert moved.order.channel_ext == {"channel_status": "12"}
    plain = service.change_status(uow, no, M.PREPARING, source="POS")  # no push: kept
    assert plain.order.channel_ext == {"channel_status": "12"}
    assert service.get_order(uow, no).channel_ext == {"channel_status": "12"}


def test_pickup_code_is_set_with_the_status_change(uow):
    service.create_order(uow, draft(status=M.PAID))
    service.change_status(uow, "3251201SH001200001", M.ACCEPTED, source="POS")
    ready = service.change_status(
        uow, "3251201SH001200001", M.READY, source="POS", pickup_code="A042"
    )
    assert ready.order.pickup_code == "A042"
    assert service.get_order(uow, "3251201SH001200001").pickup_code == "A042"


def test_claims_can_leave_out_refunding_and_flagged_orders(uow):
    for no in ("C1", "C2", "C3"):
        service.create_order(uow, draft(order_no=no, status=M.PAID))
    service.change_refund(uow, "C1", RefundStatus.APPLIED, source="MP")
    service.set_sub_status(uow, "C2", "FRAUD_CHECK", source="RISK")
    claimed, more = dispatch.claim_handoffs(
        uow,
        "POS",
        12,
        refund_statuses=(RefundStatus.NONE, RefundStatus.REJECTED),
        without_sub_status=True,
    )
    assert [o.order_no for o in claimed] == ["C3"] and not more


def test_numbering_steps_past_numbers_already_taken(uow):
    service.create_order(uow, draft(order_no="3251201SH001200001"))  # a migrated number
    numbering = Numbering("3251201SH0012", DAY)
    created = service.create_order(uow, draft(order_no="ignored"), numbering=numbering)
    assert created.order.order_no == "3251201SH001200002"
