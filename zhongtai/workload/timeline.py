"""When seeded orders happen: the fixed "now", daily volumes, times of day (pure).

Times inside the generators are *local epoch seconds* (seconds since 1970-01-01 00:00 in
Asia/Shanghai), integers that add and compare cheaply; ``LocalTimes`` turns them into the
legacy's strings far faster than ``strftime`` (a million orders carry tens of millions of
timestamps). No wall clock is read anywhere: history ends at ``ANCHOR``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from zhongtai.legacy.clock import SHANGHAI

# The seeded history's "now": a Monday evening, so dinner orders are still in flight.
ANCHOR = datetime(2026, 11, 30, 20, 0, tzinfo=SHANGHAI)
HISTORY_DAYS = 90
LOCAL_OFFSET = 8 * 3600
DAY = 86_400

# Relative order volume per hour of the day (lunch and dinner peaks).
HOUR_PROFILE = (
    1,
    0.5,
    0.3,
    0.2,
    0.2,
    0.3,
    1,
    3,
    5,
    5,
    8,
    20,
    24,
    12,
    6,
    5,
    7,
    14,
    20,
    16,
    10,
    6,
    4,
    2,
)
WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.05, 1.15, 1.3, 1.25)  # Monday first
GROWTH = 0.3  # the last day sells 30% more than the first


def local_seconds(moment: datetime) -> int:
    """Local epoch seconds of an aware datetime."""
    return int(moment.timestamp()) + LOCAL_OFFSET


def unix_seconds(local_ts: int) -> int:
    return local_ts - LOCAL_OFFSET


class LocalTimes:
    """Formats local epoch seconds as the legacy's strings, with per-day and per-second caches."""

    def __init__(self) -> None:
        self._tod = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]
        self._days: dict[int, str] = {}

    def _day(self, index: int) -> str:
        text = self._days[index] = f"{date(1970, 1, 1) + timedelta(days=index):%Y-%m-%d} "
        return text

    def local(self, ts: int) -> str:
        """'yyyy-MM-dd HH:mm:ss', as ``zhongtai.legacy.clock.local_str`` writes it."""
        day, second = divmod(ts, DAY)
        return (self._days.get(day) or self._day(day)) + self._tod[second]

    def wechat(self, ts: int) -> str:
        """'yyyyMMddHHmmss', WeChat's ``time_end``."""
        text = self.local(ts)
        return f"{text[0:4]}{text[5:7]}{text[8:10]}{text[11:13]}{text[14:16]}{text[17:19]}"

    @staticmethod
    def day_of(ts: int) -> date:
        return date(1970, 1, 1) + timedelta(days=ts // DAY)


@cache
def local_times() -> LocalTimes:
    """The process-wide formatter (its caches are worth sharing)."""
    return LocalTimes()


@dataclass(frozen=True)
class Day:
    index: int  # 0 = the oldest day of the history
    day: date
    start: int  # local epoch seconds at 00:00
    hours: int  # hours of the day that are in the past (24 except on the anchor day)
    orders: int
    age_days: int  # whole days before the anchor day


def plan_days(orders: int, anchor: datetime = ANCHOR, days: int = HISTORY_DAYS) -> list[Day]:
    """Split ``orders`` over the ``days`` up to ``anchor``: weekends busier, volume growing."""
    last = anchor.astimezone(SHANGHAI).date()
    first = last - timedelta(days=days - 1)
    weights, shapes = [], []
    for i in range(days):
        day = first + timedelta(days=i)
        hours = anchor.hour if day == last else 24
        w = sum(HOUR_PROFILE[:hours]) * WEEKDAY_FACTOR[day.weekday()]
        weights.append(w * (1 + GROWTH * i / max(days - 1, 1)))
        shapes.append((day, hours))
    counts = _largest_remainder(orders, weights)
    start0 = local_seconds(datetime(first.year, first.month, first.day, tzinfo=SHANGHAI))
    return [
        Day(i, day, start0 + i * DAY, hours, counts[i], (last - day).days)
        for i, (day, hours) in enumerate(shapes)
    ]


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def order_times(rng: random.Random, day: Day) -> list[int]:
    """``day.orders`` sorted local epoch seconds following the hourly profile."""
    if day.orders == 0 or day.hours == 0:
        return []
    hours = range(day.hours)
    picked = rng.choices(hours, weights=HOUR_PROFILE[: day.hours], k=day.orders)
    rand = rng.random
    return sorted(day.start + h * 3600 + int(rand() * 3600) for h in picked)
