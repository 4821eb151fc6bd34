"""Traffic parity from shadow records: noise filtered with the strangler's Diffy rule, gates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.compare.shadow_corpus import shadow_records
from zhongtai.compare.traffic import parse_since, percentile, route_parity
from zhongtai.errors import ConfigError
from zhongtai.strangler.gates import Gates


def test_noise_is_filtered_and_the_signal_fields_make_the_mismatch_rate():
    r = route_parity(
        "pos.orders", shadow_records(), gates=Gates(max_mismatch_rate=0.2), stage="shadow"
    )
    assert r.compared == 100 and r.aa_samples == 20 and r.platform_errors == 5
    reported = {f.path for f in r.fields if f.reported}
    assert reported == {"data.items[].price", "data.remark"}
    noise = next(f for f in r.fields if f.path == "data.server_time")
    assert not noise.reported and noise.raw_rate == 1.0 and noise.noise_rate == 1.0
    assert r.mismatched == 11 and r.mismatch_rate == pytest.approx(0.11)
    assert r.ok and r.breaches == []


def test_a_route_over_its_gates_breaks_them_and_says_by_how_much():
    r = route_parity(
        "pos.orders", shadow_records(), gates=Gates(max_mismatch_rate=0.05, max_error_rate=0.01)
    )
    assert not r.ok
    assert any("mismatch rate 11.0% (11/100) > gate 5.0%" in b for b in r.breaches)
    assert any("platform error rate" in b and "(5/105)" in b for b in r.breaches)
    small = route_parity(
        "x", shadow_records()[:10], gates=Gates(max_mismatch_rate=0.0, min_requests=20)
    )
    assert small.ok  # below the minimum sample nothing is judged
    assert (r.verdict, small.verdict) == ("FAIL", "too few")  # and the reports say so
    lenient = Gates(max_mismatch_rate=0.5, max_error_rate=0.5)
    assert route_parity("pos.orders", shadow_records(), gates=lenient).verdict == "ok"


def test_latency_of_both_sides_examples_and_series():
    r = route_parity("pos.orders", shadow_records())
    assert r.latency["legacy"]["p50"] == pytest.approx(
        percentile([float(i) for i in range(100)] + [10.0] * 5, 0.5)
    )
    assert r.latency["platform"]["p99"] == pytest.approx(
        percentile([2.0 * i for i in range(100)], 0.99)
    )
    assert r.latency["platform"]["count"] == 100
    assert 1 <= len(r.examples) <= 5 and "data.items[].price" in r.examples[0]["fields"]
    covered = {f for e in r.examples for f in e["fields"]}
    assert covered == {"data.items[].price", "data.remark"}
    assert sum(p["compared"] for p in r.series) == 100
    assert sum(p["mismatched"] for p in r.series) == 11


def test_since_takes_spans_and_iso_times():
    now = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("90m", now) == now - timedelta(minutes=90)
    assert parse_since("2026-01-31T08:00:00") == datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    assert parse_since(None) is None
    with pytest.raises(ConfigError, match="neither an ISO time"):
        parse_since("yesterday")
