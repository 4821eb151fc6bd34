"""The acknowledged-write log against the platform's order and payment centers.

The traffic log says what each acknowledged write left in legacy terms (status ints, the
POS ticket, the pickup code, paid trade numbers, a refund). ``workload.acked_check`` proves
legacy holds it; this proves the platform does too, reading the centers' own tables: the
order found exactly once by order number (or by channel and channel order id), its main and
refund status mapped back to the legacy int, the POS handoff state and ticket, the payment
``SUCCEEDED``, a refund row. After a cutover, both checks passing means nothing acknowledged
was lost on either side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.legacy.status import PaymentStatus
from zhongtai.migrate.statuses import legacy_order_status
from zhongtai.migrate.transforms import channel_name
from zhongtai.platform.order.tables import external_refs, orders
from zhongtai.platform.payment.tables import payments, refunds
from zhongtai.workload.acked import AckedWrite
from zhongtai.workload.acked_check import AckedCheck, OrderFacts, compare, expectations

CHUNK = 500
POS_STATE = {"PENDING": 0, "PULLED": 1, "ACKED": 2, "FAILED": 3, "NOT_NEEDED": 9}
PAYMENT_SUCCESS = int(PaymentStatus.SUCCESS)  # what acked_check expects; the center: SUCCEEDED


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _resolve(conn: sa.Connection, records: Sequence[AckedWrite]) -> dict[tuple, list[int]]:
    """Acked identity → order center ids (the same identities the legacy check uses)."""
    o = orders.c
    numbers = sorted({r.order_no for r in records if r.identity[0] == "order_no" and r.order_no})
    channel_ids = sorted({r.channel_order_id for r in records if r.identity[0] == "channel"})
    rows_of: dict[tuple, list[int]] = {}
    live = o.deleted_at.is_(None)
    for part in _chunks(numbers):
        query = sa.select(o.id, o.order_no).where(o.order_no.in_(part), live)
        for row_id, number in conn.execute(query):
            rows_of.setdefault(("order_no", number), []).append(int(row_id))
    codes = {channel_name(1): 1, channel_name(2): 2}
    for part in _chunks(channel_ids):
        query = sa.select(o.id, o.channel, o.channel_order_id).where(
            o.channel_order_id.in_(part), o.channel.in_(list(codes)), live
        )
        for row_id, channel, cid in conn.execute(query):
            rows_of.setdefault(("channel", codes[channel], cid), []).append(int(row_id))
    return rows_of


def _facts(conn: sa.Connection, ids: Sequence[int]) -> tuple[dict[int, OrderFacts], dict]:
    o, x = orders.c, external_refs.c
    facts: dict[int, OrderFacts] = {}
    numbers: dict[int, str] = {}
    for part in _chunks(ids):
        pos = {
            int(r.order_id): (POS_STATE.get(r.state, 0), r.ref_no)
            for r in conn.execute(
                sa.select(x.order_id, x.state, x.ref_no).where(
                    x.order_id.in_(part), x.system == "POS"
                )
            )
        }
        cols = (o.id, o.order_no, o.main_status, o.refund_status, o.sub_status, o.pickup_code)
        for row in conn.execute(sa.select(*cols).where(o.id.in_(part))):
            status, _ = legacy_order_status(row.main_status, row.refund_status, row.sub_status)
            sync, ticket = pos.get(int(row.id), (0, None))
            facts[int(row.id)] = OrderFacts(status, sync, ticket, row.pickup_code)
            numbers[int(row.id)] = row.order_no
    return facts, numbers


def check_platform(
    order_url: str, payment_url: str, records: Sequence[AckedWrite], *, source: str = ""
) -> AckedCheck:
    """Look every acknowledged write up in the order and payment centers."""
    order_db, payment_db = create_engine(order_url), create_engine(payment_url)
    try:
        with order_db.connect() as conn:
            expected, problems = expectations(records, _resolve(conn, records))
            facts, numbers = _facts(conn, sorted(expected))
        trades = sorted({t for e in expected.values() for t in e.paid})
        paid: dict[str, int] = {}
        refunded_numbers: set[str] = set()
        with payment_db.connect() as conn:
            p, r = payments.c, refunds.c
            for part in _chunks(trades):
                query = sa.select(p.out_trade_no, p.status).where(p.out_trade_no.in_(part))
                paid.update(
                    (no, PAYMENT_SUCCESS if status == "SUCCEEDED" else -1)
                    for no, status in conn.execute(query)
                )
            wanted = sorted({numbers[i] for i, e in expected.items() if e.refund and i in numbers})
            for part in _chunks(wanted):
                query = sa.select(r.order_no).where(r.order_no.in_(part)).distinct()
                refunded_numbers.update(n for (n,) in conn.execute(query))
    finally:
        order_db.dispose()
        payment_db.dispose()
    refunded = {i for i, n in numbers.items() if n in refunded_numbers}
    problems += compare(expected, facts, paid, refunded)
    return AckedCheck(source=source, writes=len(records), orders=len(expected), missing=problems)


def check_both(
    settings, records: Sequence[AckedWrite], source: str = ""
) -> Mapping[str, AckedCheck]:
    """Legacy and platform checks of the same log."""
    from zhongtai.workload.acked_check import check_legacy

    return {
        "legacy": check_legacy(settings.database("legacy"), records, source=source),
        "platform": check_platform(
            settings.database("order"), settings.database("payment"), records, source=source
        ),
    }
