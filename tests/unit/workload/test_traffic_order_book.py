"""The traffic run's order book: plans that respect the state machine, one step at a time."""

from __future__ import annotations

import random

import pytest

from zhongtai.legacy.status import OrderStatus as S
from zhongtai.legacy.status import can_transition
from zhongtai.workload.catalog_view import StoreView
from zhongtai.workload.order_book import (
    CHANNEL_PLANS,
    MP_PLANS,
    STEP_TARGET,
    DueQueue,
    LiveOrder,
    OrderBook,
    draw_plan,
    next_legal_step,
    pos_step,
)
from zhongtai.workload.run_ids import RunIds

STORE = StoreView(1, "SH0001", "南京西路店", "上海", 121.4, 31.2, "mt1", "ele1", "open1")


def live(status=S.NEW, plan=(), **kw) -> LiveOrder:
    return LiveOrder(origin="meituan", store=STORE, channel=1, status=status, plan=list(plan), **kw)


def test_plans_only_name_known_steps_and_weights_sum_to_one():
    for plans in (CHANNEL_PLANS, MP_PLANS):
        assert sum(w for w, _ in plans) == pytest.approx(1.0)
        assert {s for _, steps in plans for s in steps} <= set(STEP_TARGET) | {"refund_reject"}


def test_draw_plan_is_reproducible():
    a = [draw_plan(CHANNEL_PLANS, random.Random(9)) for _ in range(3)]
    assert a == [draw_plan(CHANNEL_PLANS, random.Random(9)) for _ in range(3)]


def test_a_step_overtaken_by_another_client_is_skipped():
    order = live(S.MAKING, ["confirmed", "completed"])  # the POS accepted and started cooking
    assert next_legal_step(order) == "completed"
    assert order.plan == ["completed"]
    done = live(S.COMPLETED, ["cancelled"])
    assert next_legal_step(done) is None and done.plan == []


def test_refund_reject_goes_back_to_the_status_before_the_refund():
    order = live(S.REFUNDING, ["refund_reject"], before_refund=S.ACCEPTED)
    assert next_legal_step(order) == "refund_reject"
    lost = live(S.CANCELLED, ["refund_reject"], before_refund=S.ACCEPTED)
    assert next_legal_step(lost) is None


def test_mini_program_refund_passes_through_refunding():
    assert next_legal_step(live(S.COMPLETED, ["refund"])) == "refund"
    assert next_legal_step(live(S.PENDING_PAYMENT, ["refund"])) is None


def test_every_step_a_plan_yields_is_a_legal_transition():
    rng = random.Random(4)
    for _ in range(500):
        status = rng.choice([s for s in S if s != S.EXCEPTION])
        order = live(status, draw_plan(CHANNEL_PLANS + MP_PLANS, rng), before_refund=S.NEW)
        step = next_legal_step(order)
        target = STEP_TARGET.get(step) if step else None
        if step and step not in ("refund", "refund_reject") and target is not None:
            assert can_transition(status, target)


def test_pos_walks_ack_making_ready_completed():
    rng = random.Random(1)
    order = live(S.NEW)
    seen = []
    while (step := pos_step(order, rng, cancel_share=0)) is not None:
        seen.append(step)
        order.status = STEP_TARGET[step]
        order.pos_acked = True
    assert seen == ["ack", "making", "ready", "pos_completed"]


def test_pos_leaves_orders_it_did_not_ack_or_that_moved_on():
    rng = random.Random(1)
    assert pos_step(live(S.ACCEPTED), rng) is None  # the channel confirmed it first
    assert pos_step(live(S.CANCELLED, pos_acked=True), rng) is None
    assert pos_step(live(S.NEW), random.Random(1), cancel_share=1.0) == "pos_cancel"


def test_due_queue_hands_out_free_orders_when_due():
    q = DueQueue()
    a, b = live(), live()
    q.push(1.0, a)
    q.push(2.0, b)
    assert q.pop_ready(0.5) is None
    a.busy = True
    assert q.pop_ready(3.0) is b and b.busy
    assert len(q) == 1  # a waits until it is free
    a.busy = False
    assert q.pop_ready(3.0) is a
    dead = live(dead=True)
    q.push(0.0, dead)
    assert q.pop_ready(5.0) is None and len(q) == 0


def test_book_matches_pulled_takeout_orders_by_phone_and_binds_the_number():
    book = OrderBook()
    order = book.add(live(channel_order_id="3000", phone="18400000001_0001"))
    assert book.find_pulled("SH0001", "1251201SH000100001", "18400000001_0001") is order
    assert order.order_no == "1251201SH000100001"
    assert book.find_pulled("SH0001", "1251201SH000100001", None) is order
    assert book.find_pulled("SH0001", "1251201SH000100002", "18400000001_0001") is None
    assert book.find_pulled("SH0002", "1251201SH000200001", "18400000001_0001") is None


def test_fresh_stores_are_handed_out_once():
    book = OrderBook()
    book.mark_fresh("SH0001")
    book.mark_fresh("SH0001")
    assert book.take_fresh_store(random.Random(0)) == "SH0001"
    assert book.take_fresh_store(random.Random(0)) is None


def test_run_ids_are_unique_large_and_salted():
    ids = RunIds(1_764_547_200_123)
    made = [ids.meituan_order_id() for _ in range(100)] + [ids.eleme_order_id() for _ in range(100)]
    assert len(set(made)) == 200 and all(int(x) > 2**53 and len(x) <= 32 for x in made)
    phones = {ids.privacy_phone() for _ in range(1000)}
    assert len(phones) == 1000
    assert (
        RunIds(1_764_547_200_124).meituan_order_id() != RunIds(1_764_547_200_123).meituan_order_id()
    )
    assert len(ids.transaction_id()) == 28 and len(ids.ticket()) <= 32
    assert [ids.day_seq("SH0001") for _ in range(3)] == [1, 2, 3] and ids.day_seq("SH0002") == 1
