"""Percentiles and the traffic summary (pure)."""

from __future__ import annotations

import json
import math

import pytest

from zhongtai.workload.traffic_stats import StatsRecorder, percentile, summarize


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 0, 1),
        ([1, 2, 3, 4], 100, 4),
        ([4, 1, 3, 2], 25, 1.75),  # unsorted input
        (list(range(1, 101)), 99, 99.01),
        ([7.0], 99, 7.0),
    ],
)
def test_percentile_interpolates_like_numpy(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan_and_q_is_checked():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1], 101)


def test_summary_counts_kinds_clients_errors_and_latency():
    rec = StatsRecorder()
    for ms in (10, 20, 30, 40):
        rec.record("pos.pull", ms / 1000)
    rec.record("pos.ack", 0.005)
    rec.record("meituan.new", 0.050, error="HTTP 500")
    rec.note_error("pull.meituan", "created 0, 1 lost push waited")
    s = summarize(rec, elapsed=2.0, target="http://t", rps=3, duration=2, seed=1, run_id="r1")
    assert s.requests == {"meituan.new": 1, "pos.ack": 1, "pos.pull": 4}
    assert s.total_requests == 6 and s.achieved_rps == 3.0
    assert s.by_client() == {"meituan": 1, "pos": 5}
    assert s.errors == 2
    assert s.errors_by_kind == {"meituan.new": 1, "pull.meituan": 1}
    assert s.latency["pos.pull"]["p50_ms"] == 25.0
    assert s.latency["all"]["max_ms"] == 50.0
    assert [e["kind"] for e in s.error_samples] == ["meituan.new", "pull.meituan"]
    data = json.loads(json.dumps(s.as_dict()))
    assert data["errors"] == 2 and data["requests_by_client"]["pos"] == 5


def test_a_clean_run_has_zero_errors():
    rec = StatsRecorder()
    rec.record("admin.orders", 0.01)
    s = summarize(rec, elapsed=1.0, target="t", rps=1, duration=1, seed=1, run_id="r")
    assert s.errors == 0 and not s.errors_by_kind
