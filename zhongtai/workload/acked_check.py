"""Proving that no acknowledged write was lost: the log against the legacy database.

The core is pure: ``expectations`` folds the log, in the order it was written, into what each
order row must show now (its last acknowledged status, paid trade numbers, ticket, pickup
code, refund); ``compare`` lists every difference. ``check_legacy`` is the database edge: it
finds each order by order number or by (channel, channel order id) and reads the facts.
A takeout order must be found exactly once: a second row means a re-push was not idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.legacy.schema import t_order, t_payment, t_refund
from zhongtai.legacy.status import PaymentStatus
from zhongtai.workload.acked import AckedWrite

CHUNK = 500  # ids per IN list


@dataclass
class Expectation:
    last: str = ""  # the last acknowledged write, for messages
    status: int | None = None
    paid: set[str] = field(default_factory=set)
    ticket: str | None = None
    pickup: str | None = None
    pos_sync_min: int = 0
    refund: bool = False


@dataclass(frozen=True)
class OrderFacts:
    status: int
    pos_sync_status: int
    pos_ticket_no: str | None
    pickup_code: str | None
    del_flag: int = 0


@dataclass
class AckedCheck:
    source: str
    writes: int
    orders: int
    missing: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "writes": self.writes,
            "orders": self.orders,
            "missing": len(self.missing),
            "problems": self.missing,
        }


def expectations(
    records: Iterable[AckedWrite], rows_of: Mapping[tuple, Sequence[int]]
) -> tuple[dict[int, Expectation], list[str]]:
    """Fold the log into the expected state of each order row; also the writes not found."""
    expected: dict[int, Expectation] = {}
    problems: list[str] = []
    reported: set[tuple] = set()
    for rec in records:
        ids = rows_of.get(rec.identity, ())
        if len(ids) != 1:
            if rec.identity not in reported:
                reported.add(rec.identity)
                what = "is not in the database" if not ids else f"has {len(ids)} order rows"
                problems.append(f"{rec.describe()} {what}")
            continue
        exp = expected.setdefault(ids[0], Expectation())
        exp.last = rec.describe()
        if rec.status is not None:
            exp.status = rec.status
        facts = rec.expect or {}
        if facts.get("payment_status") == PaymentStatus.SUCCESS and facts.get("out_trade_no"):
            exp.paid.add(facts["out_trade_no"])
        exp.ticket = facts.get("pos_ticket_no", exp.ticket)
        exp.pickup = facts.get("pickup_code", exp.pickup)
        exp.pos_sync_min = max(exp.pos_sync_min, int(facts.get("pos_sync_min", 0)))
        exp.refund = exp.refund or bool(facts.get("refund"))
    return expected, problems


def compare(
    expected: Mapping[int, Expectation],
    orders: Mapping[int, OrderFacts],
    payments: Mapping[str, int],
    refunded: set[int],
) -> list[str]:
    """Every way the database differs from what was acknowledged."""
    problems: list[str] = []
    for order_id, exp in expected.items():
        row = orders.get(order_id)
        if row is None:
            problems.append(f"{exp.last}: order row {order_id} vanished")
            continue
        if row.del_flag:
            problems.append(f"{exp.last}: order row {order_id} is marked deleted")
        if exp.status is not None and row.status != exp.status:
            problems.append(f"{exp.last}: status is {row.status}, acknowledged {exp.status}")
        if row.pos_sync_status < exp.pos_sync_min:
            problems.append(
                f"{exp.last}: pos_sync_status is {row.pos_sync_status}, "
                f"acknowledged at least {exp.pos_sync_min}"
            )
        if exp.ticket is not None and row.pos_ticket_no != exp.ticket:
            problems.append(f"{exp.last}: POS ticket {row.pos_ticket_no!r}, acked {exp.ticket!r}")
        if exp.pickup is not None and row.pickup_code != exp.pickup:
            problems.append(f"{exp.last}: pickup code {row.pickup_code!r}, acked {exp.pickup!r}")
        if exp.refund and order_id not in refunded:
            problems.append(f"{exp.last}: no t_refund row for an acknowledged refund")
        for trade in sorted(exp.paid):
            if payments.get(trade) != PaymentStatus.SUCCESS:
                problems.append(
                    f"{exp.last}: payment {trade} has status {payments.get(trade)}, "
                    "acknowledged as paid"
                )
    return problems


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _resolve(conn: sa.Connection, records: Sequence[AckedWrite]) -> dict[tuple, list[int]]:
    o = t_order.c
    numbers = sorted({r.order_no for r in records if r.identity[0] == "order_no" and r.order_no})
    channel_ids = sorted({r.channel_order_id for r in records if r.identity[0] == "channel"})
    rows_of: dict[tuple, list[int]] = {}
    for part in _chunks(numbers):
        for row_id, no in conn.execute(sa.select(o.id, o.order_no).where(o.order_no.in_(part))):
            rows_of.setdefault(("order_no", no), []).append(int(row_id))
    for part in _chunks(channel_ids):
        query = sa.select(o.id, o.channel, o.channel_order_id).where(o.channel_order_id.in_(part))
        for row_id, channel, cid in conn.execute(query):
            rows_of.setdefault(("channel", int(channel), cid), []).append(int(row_id))
    return rows_of


def _facts(conn: sa.Connection, ids: Sequence[int]) -> dict[int, OrderFacts]:
    o = t_order.c
    out: dict[int, OrderFacts] = {}
    cols = (o.id, o.status, o.pos_sync_status, o.pos_ticket_no, o.pickup_code, o.del_flag)
    for part in _chunks(ids):
        for row in conn.execute(sa.select(*cols).where(o.id.in_(part))):
            out[int(row.id)] = OrderFacts(
                int(row.status), int(row.pos_sync_status), row.pos_ticket_no, row.pickup_code,
                int(row.del_flag or 0),
            )  # fmt: skip
    return out


def check_legacy(url: str, records: Sequence[AckedWrite], *, source: str = "") -> AckedCheck:
    """Look every acknowledged write up in the legacy database at ``url``."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows_of = _resolve(conn, records)
            expected, problems = expectations(records, rows_of)
            ids = sorted(expected)
            facts = _facts(conn, ids)
            trades = sorted({t for e in expected.values() for t in e.paid})
            payments: dict[str, int] = {}
            p, r = t_payment.c, t_refund.c
            for part in _chunks(trades):
                query = sa.select(p.out_trade_no, p.status).where(p.out_trade_no.in_(part))
                payments.update((no, int(status)) for no, status in conn.execute(query))
            refunded: set[int] = set()
            wanted = sorted(i for i, e in expected.items() if e.refund)
            for part in _chunks(wanted):
                query = sa.select(r.order_id).where(r.order_id.in_(part)).distinct()
                refunded.update(int(i) for (i,) in conn.execute(query))
    finally:
        engine.dispose()
    problems += compare(expected, facts, payments, refunded)
    return AckedCheck(source=source, writes=len(records), orders=len(expected), missing=problems)
