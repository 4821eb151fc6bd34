from datetime import UTC, datetime, timedelta

import pytest
from order_drafts import draft

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.handoff import ExternalRef, HandoffState, check_system
from zhongtai.platform.order.placing import place_order
from zhongtai.platform.order.status import IllegalTransition, MainStatus
from zhongtai.platform.order.views import View, coarse, fine, medium, render

T0 = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)
H = HandoffState


def test_pos_cycle_pull_then_ack_keeps_the_ticket_number():
    order = place_order(draft(status=MainStatus.PAID), now=T0)
    order.handoff("POS", H.PULLED, now=T0 + timedelta(seconds=10))
    ref = order.handoff("POS", H.ACKED, now=T0 + timedelta(seconds=20), ref_no="0042")
    assert (ref.state, ref.ref_no, ref.attempts) == (H.ACKED, "0042", 1)
    assert ref.pulled_at == T0 + timedelta(seconds=10)
    assert ref.acked_at == T0 + timedelta(seconds=20)
    with pytest.raises(IllegalTransition, match="POS handoff status cannot change from ACKED"):
        order.handoff("POS", H.PULLED, now=T0)


def test_ack_needs_a_reference_and_only_ack_records_one():
    ref = ExternalRef("POS")
    with pytest.raises(InvalidInput, match="needs ref_no"):
        ref.move(H.ACKED, now=T0, ref_no=" ")
    with pytest.raises(InvalidInput, match="only recorded when the state becomes ACKED"):
        ref.move(H.PULLED, now=T0, ref_no="1")
    assert ref.state is None


def test_failed_handoffs_can_be_requeued_and_pulled_again():
    ref = ExternalRef("POS")
    ref.move(H.PULLED, now=T0)
    ref.move(H.FAILED, now=T0, error="POS入单失败: unknown sku " + "x" * 300)
    assert ref.state is H.FAILED and len(ref.error) == 255
    ref.move(H.PENDING, now=T0)
    ref.move(H.PULLED, now=T0)
    assert ref.attempts == 2


@pytest.mark.parametrize("bad", ["pos", "P", "POS-1", "A" * 17, ""])
def test_system_names_are_checked(bad):
    with pytest.raises(InvalidInput, match="must be 2–16 capitals"):
        check_system(bad)


def test_three_granularities():
    order = place_order(draft(), now=T0)
    order.handoff("POS", H.PULLED, now=T0)
    small, mid, full = coarse(order), medium(order), fine(order)
    assert len(small) == 8 and small["main_status"] == "PENDING_PAYMENT"
    assert len(mid) > 10 and "items" not in mid
    assert mid["external_refs"]["POS"]["state"] == "PULLED"
    assert mid["placed_at"] == "2025-12-01T04:00:00+00:00"
    assert [i["sku_code"] for i in full["items"]] == ["P0101-L", "P0102"]
    assert full["history"][0]["to_status"] == "PENDING_PAYMENT"
    assert render(order, "fine") == full and render(order, View.COARSE) == small
    with pytest.raises(InvalidInput, match="use coarse, medium or fine"):
        render(order, "huge")
