"""Live traffic during a comparison: rows in flight are ``changed``, real differences stay.

The whole payments table is one segment, so every planted row is read twice: once in the walk
and once at the recheck. The ``recheck`` event stands for the traffic and sync lag between the
two readings.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.compare.data import compare_data
from zhongtai.compare.run import Options
from zhongtai.legacy import schema as ls
from zhongtai.platform.payment import tables as pt

WHOLE = Options(sample=1_000, settle_seconds=0, segment_rows=100_000, download_rows=100_000)


def test_rows_in_flight_are_changed_and_real_differences_are_not(pair):
    p, lp = pt.payments.c, ls.t_payment.c
    ids = [r["id"] for r in pair.run("payment", sa.select(p.id).order_by(p.id).limit(4))]
    real, landed, hot, late = ids

    def legacy_tx(pid: int, value: str) -> None:
        pair.run("legacy", sa.update(ls.t_payment).where(lp.id == pid).values(transaction_id=value))

    def platform_tx(pid: int, value: str) -> None:
        pair.run("payment", sa.update(pt.payments).where(p.id == pid).values(transaction_id=value))

    pair.run("payment", sa.update(pt.payments).where(p.id == real).values(amount=p.amount + 100))
    legacy_tx(landed, "TX-LANDED")  # the sync will land before the recheck
    legacy_tx(hot, "TX-HOT-1")  # written again before the recheck, the sync one step behind
    rechecked = []

    def traffic(kind: str, data: dict) -> None:
        if kind != "recheck":
            return
        rechecked.append(data["units"])
        platform_tx(landed, "TX-LANDED")
        platform_tx(hot, "TX-HOT-1")
        legacy_tx(hot, "TX-HOT-2")
        legacy_tx(late, "TX-LATE")  # after its segment was read: only the recheck sees it

    parity = compare_data(pair.settings, ["payments"], options=WHOLE, events=traffic)
    unit = next(u for u in parity.units if u.name == "payment.payments")
    assert rechecked and unit.rechecked_segments == 1
    found = {(d.kind, d.key[0]) for d in unit.sample}
    assert found == {("differs", real), ("changed", landed), ("changed", hot), ("changed", late)}
    assert not parity.ok and unit.counts["differs"] == 1 and unit.counts["changed"] == 3
