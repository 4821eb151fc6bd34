"""Report renderers: one model, the same tables in HTML (self-contained), Markdown and JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from tests.unit.compare.shadow_corpus import shadow_records
from zhongtai.compare.diff import ColumnDiff, Difference
from zhongtai.compare.model import (
    DataParity,
    InvariantCheck,
    Invariants,
    MappingOutcome,
    Report,
    TrafficParity,
    UnitResult,
)
from zhongtai.compare.render_html import render_html
from zhongtai.compare.render_markdown import render_markdown
from zhongtai.compare.traffic import route_parity

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def _report() -> Report:
    bad = UnitResult("payment.payments", "ranged", ["payments"], "sql+python", "sql",
                     legacy_rows=10, platform_rows=11)  # fmt: skip
    bad.counts.update(differs=1, extra=1, tolerated=1)
    bad.sample = [
        Difference(
            "differs",
            (5,),
            (
                ColumnDiff(
                    "raw_notify", "<xml><sign>SECRET1</sign></xml>", "<script>alert(1)</script>"
                ),
            ),
        ),  # fmt: skip
        Difference("extra", (99,), row={"id": 99, "amount": 1}),
        Difference("tolerated", (6,), (ColumnDiff("amount", 100, 101, tolerated=True),)),
    ]
    good = UnitResult("order.orders", "ranged", ["orders"], legacy_rows=10, platform_rows=10)
    data = DataParity(NOW, NOW, [bad, good], [MappingOutcome("orders", "order", 11,
                      {"duplicate_repush": 1}, {"duplicate_repush": "11: already order 3"})],
                      {"money_tolerance": 1})  # fmt: skip
    broken = InvariantCheck(
        "items_resolve", "items resolve", 5, 1, [{"order_id": 3, "problem": "sku 9 is gone"}]
    )
    inv = Invariants([InvariantCheck("money_conservation", "money is conserved", 10, 0), broken])
    traffic = TrafficParity(
        None, NOW, [route_parity("pos.orders", shadow_records(), stage="shadow")], 125
    )
    history = [
        {"id": i, "kind": "data", "started_at": f"2026-01-3{i}T10:00:00+00:00",
         "finished_at": f"2026-01-3{i}T10:00:05+00:00", "ok": i == 0,
         "summary": {"units": {"payment.payments": {"counts": {"missing": i}}}}}
        for i in range(2)
    ]  # fmt: skip
    return Report(NOW, data, inv, traffic, history)


def test_html_is_self_contained_shows_every_table_and_masks_secrets():
    html = render_html(_report())
    assert html.startswith("<!doctype html>") and html.endswith("</html>")
    captions = re.findall(r"<caption>(.*?)</caption>", html)
    assert {"Data parity by table", "Invariants", "Traffic parity by route",
            "History of parity runs"} <= set(captions)  # fmt: skip
    assert "Differences in payment.payments (sample)" in captions
    assert html.count("<svg") >= 4  # rows, differences, mismatch rate, latency (+ over time)
    assert "<script" not in html and "&lt;script&gt;" in html  # values are escaped
    assert "SECRET1" not in html and "****" in html
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing fetched from anywhere
    assert "3 gate(s) failed" in html


def test_markdown_has_the_same_tables_and_the_verdict():
    md = render_markdown(_report())
    assert "**Verdict: 3 gate(s) failed**" in md
    for title in ("Data parity by table", "Invariants", "Traffic parity by route", "History"):
        assert title in md
    assert "| ❌ payment.payments |" in md and "SECRET1" not in md
    assert "data.items[].price" in md  # the reported field of the traffic section


def test_json_carries_everything_with_the_verdict():
    report = _report()
    data = json.loads(json.dumps(report.as_dict(), default=str))
    assert data["ok"] is False and len(data["failures"]) == 3
    unit = data["data"]["units"][0]
    assert unit["failing"] == 2 and unit["counts"]["tolerated"] == 1
    assert unit["sample"][0]["label"] == "column differs"
    assert "SECRET1" not in json.dumps(data)
    assert data["traffic"]["routes"][0]["mismatched"] == 11
