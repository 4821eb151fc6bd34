"""Open-loop arrivals and the client mix (pure)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from zhongtai.workload.schedule import CLIENTS, MIX, arrival_offsets, assign_clients, effective_mix


def test_the_mix_covers_every_client_kind_and_sums_to_one():
    assert set(CLIENTS) == {"meituan", "eleme", "mp", "pos", "pull", "admin"}
    assert sum(MIX.values()) == pytest.approx(1.0)


def test_arrivals_are_sorted_inside_the_window_and_reproducible():
    a = arrival_offsets(50, 4.0, random.Random(1))
    assert a == sorted(a) and all(0 < t < 4.0 for t in a)
    assert a == arrival_offsets(50, 4.0, random.Random(1))
    assert a != arrival_offsets(50, 4.0, random.Random(2))


def test_arrivals_follow_the_asked_rate():
    offsets = arrival_offsets(200, 50.0, random.Random(3))
    # 10,000 expected; a Poisson count's standard deviation is 100, so 5 % is > 5 sigma.
    assert 9_500 <= len(offsets) <= 10_500
    gaps = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
    assert sum(gaps) / len(gaps) == pytest.approx(1 / 200, rel=0.05)


@pytest.mark.parametrize(("rps", "duration"), [(0, 1), (5, 0), (-1, 3)])
def test_arrivals_refuse_a_non_positive_rate_or_duration(rps, duration):
    with pytest.raises(ValueError, match="must both be positive"):
        arrival_offsets(rps, duration, random.Random(0))


def test_effective_mix_drops_clients_and_renormalises():
    mix = effective_mix(MIX, without={"pull"})
    assert "pull" not in mix and sum(mix.values()) == pytest.approx(1.0)
    assert mix["mp"] / mix["pos"] == pytest.approx(MIX["mp"] / MIX["pos"])
    with pytest.raises(ValueError, match="no client kind left"):
        effective_mix({"a": 1.0}, without={"a"})


def test_assign_clients_draws_in_proportion():
    kinds = assign_clients(20_000, MIX, random.Random(5))
    counts = Counter(kinds)
    for kind, weight in MIX.items():
        assert counts[kind] / 20_000 == pytest.approx(weight, abs=0.015)
