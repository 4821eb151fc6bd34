"""Synthetic shadow records of one route: noise on one field, signal on two, no answers."""

from __future__ import annotations

from datetime import datetime, timedelta

T0 = datetime(2026, 1, 31, 8, 0)


def record(i, kind="shadow", fields=(), other_status=200, legacy_ms=10.0, other_ms=20.0):
    return {
        "at": T0 + timedelta(seconds=i),
        "route": "pos.orders",
        "kind": kind,
        "method": "GET",
        "path": f"/api/pos/orders?i={i}",
        "legacy_status": 200,
        "other_status": other_status,
        "legacy_ms": legacy_ms,
        "other_ms": other_ms,
        "mismatched": False,
        "fields": list(fields),
        "example": {"request": {"method": "GET", "path": "/x", "body": ""}} if fields else None,
    }


def shadow_records():
    out = []
    for i in range(100):
        fields = ["data.server_time"]  # differs every time, on legacy alone too: noise
        if i % 10 == 0:
            fields.append("data.items[].price")  # a real difference in 10% of pairs
        if i == 55:
            fields.append("data.remark")
        out.append(record(i, fields=fields, legacy_ms=float(i), other_ms=float(2 * i)))
    out += [record(200 + i, kind="aa", fields=["data.server_time"]) for i in range(20)]
    out += [record(300 + i, other_status=None) for i in range(5)]  # the platform never answered
    return out
