"""The seed's calendar: fixed "now", daily volumes, and fast legacy time strings."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from zhongtai.legacy.clock import SHANGHAI, local_str, wechat_str
from zhongtai.workload.timeline import (
    ANCHOR,
    HISTORY_DAYS,
    LocalTimes,
    local_seconds,
    order_times,
    plan_days,
    unix_seconds,
)


@pytest.mark.parametrize("orders", [0, 1, 89, 90, 12_345])
def test_plan_spreads_exactly_the_orders_over_ninety_days(orders):
    plan = plan_days(orders)
    assert len(plan) == HISTORY_DAYS and sum(d.orders for d in plan) == orders
    assert plan[-1].day == ANCHOR.date() and plan[-1].hours == ANCHOR.hour
    assert plan[0].day == ANCHOR.date() - timedelta(days=HISTORY_DAYS - 1)
    assert [d.age_days for d in plan] == list(range(HISTORY_DAYS - 1, -1, -1))


def test_weekends_sell_more_than_weekdays_and_volume_grows():
    plan = plan_days(900_000)
    full = plan[:-1]
    saturdays = [d.orders for d in full if d.day.weekday() == 5]
    mondays = [d.orders for d in full if d.day.weekday() == 0]
    assert sum(saturdays) / len(saturdays) > 1.2 * sum(mondays) / len(mondays)
    assert full[-7].orders > full[0].orders


def test_order_times_fall_inside_their_day_before_the_anchor():
    rng = random.Random(5)
    last = plan_days(5_000)[-1]
    times = order_times(rng, last)
    assert len(times) == last.orders and times == sorted(times)
    assert all(last.start <= t < last.start + last.hours * 3600 for t in times)
    assert max(times) < local_seconds(ANCHOR)


def test_local_times_format_like_the_legacy_clock():
    fmt = LocalTimes()
    rng = random.Random(9)
    for _ in range(2_000):
        start = datetime(2020, 1, 1, tzinfo=SHANGHAI)
        moment = start + timedelta(seconds=rng.randrange(300_000_000))
        ts = local_seconds(moment)
        assert fmt.local(ts) == local_str(moment)
        assert fmt.wechat(ts) == wechat_str(moment)
        assert unix_seconds(ts) == int(moment.timestamp())
