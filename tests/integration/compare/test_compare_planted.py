"""The planted-difference corpus on a real migrated pair: every difference found, nothing else.

A seeded legacy database is backfilled into the five centers (SQLite → SQLite, and MariaDB
legacy → PostgreSQL centers), compared clean, then differences of every class are planted on
either side and the comparison must report exactly those.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from tests.integration.compare.conftest import OPTIONS, one
from zhongtai.compare import history
from zhongtai.compare.data import compare_data
from zhongtai.compare.invariants import check_invariants
from zhongtai.db import create_engine
from zhongtai.legacy import schema as ls
from zhongtai.platform.member import tables as mt
from zhongtai.platform.order import tables as ot
from zhongtai.platform.payment import tables as pt
from zhongtai.platform.store import tables as st


def _found(parity) -> set[tuple]:
    out = set()
    for unit in parity.units:
        assert sum(unit.counts.values()) == len(unit.sample), unit.name
        out |= {(unit.name, d.kind, d.key) for d in unit.sample}
    return out


def _quarantined(parity, mapping: str, reason: str) -> int:
    return next(m for m in parity.mappings if m.name == mapping).quarantined.get(reason, 0)


def _missing_order(pair) -> set[tuple]:
    """Delete one migrated order with its child rows on the platform; what goes missing."""
    order_id = one(pair.run("order", sa.select(sa.func.min(ot.order_items.c.order_id))))["min_1"]
    gone = {("order.orders", "missing", (order_id,))}
    children = (
        (ot.order_items, ("order_id", "line_no")),
        (ot.order_discounts, ("order_id", "seq")),
        (ot.order_status_history, ("order_id", "seq")),
        (ot.external_refs, ("order_id", "system")),
    )
    for table, key in children:
        rows = pair.run(
            "order", sa.select(*(table.c[k] for k in key)).where(table.c.order_id == order_id)
        )
        gone |= {(f"order.{table.name}", "missing", tuple(r[k] for k in key)) for r in rows}
        pair.run("order", sa.delete(table).where(table.c.order_id == order_id))
    pair.run("order", sa.delete(ot.orders).where(ot.orders.c.id == order_id))
    return gone


def test_every_planted_difference_is_found_and_nothing_else(pair):
    clean = compare_data(pair.settings, options=OPTIONS)
    assert clean.ok and _found(clean) == set()
    for unit in clean.units:
        assert unit.legacy_rows == unit.platform_rows, unit.name
    rows = {u.name: u.platform_rows for u in clean.units}
    assert (
        rows["order.orders"] > 150 and rows["payment.payments"] > 15 and rows["member.member"] > 60
    )
    payments = next(u for u in clean.units if u.name == "payment.payments")
    realistic = pair.url("legacy").startswith("mysql")
    assert payments.legacy_hash == ("sql+python" if realistic else "python")
    assert payments.platform_hash == "sql"
    assert check_invariants(pair.settings).ok

    expected = _missing_order(pair)
    # extra on the platform: a payment nobody migrated
    p = pt.payments.c
    top = one(pair.run("payment", sa.select(sa.func.max(p.id).label("top"))))["top"]
    source = one(pair.run("payment", sa.select(pt.payments).where(p.id == top)))
    pair.run("payment", sa.insert(pt.payments).values(
        {**source, "id": top + 1000, "out_trade_no": f"X{top}", "transaction_id": f"X{top}",
         "legacy_id": top + 1000}))  # fmt: skip
    expected.add(("payment.payments", "extra", (top + 1000,)))
    # column differs: a store renamed on the platform (ranged unit) and a member (bucketed unit)
    pair.run("store", sa.update(st.store).where(st.store.c.id == 1).values(name="改名了"))
    expected.add(("store.store", "differs", (1,)))
    member_id = one(pair.run("member", sa.select(sa.func.min(mt.member.c.id).label("m"))))["m"]
    pair.run("member", sa.update(mt.member).where(mt.member.c.id == member_id).values(name="X"))
    expected.add(("member.member", "differs", (member_id,)))
    # float drift in legacy yuan: one fen is within the tolerance, five fen are not
    owner = mt.stored_value_account.c.member_id
    a, b, c = [
        r["member_id"] for r in pair.run("member", sa.select(owner).order_by(owner).limit(3))
    ]
    for member, drift in ((a, 0.01), (b, 0.05)):
        pair.run("legacy", sa.update(ls.t_member).where(ls.t_member.c.id == member)
                 .values(balance=ls.t_member.c.balance + drift))  # fmt: skip
    expected.add(("member.stored_value_account", "tolerated", (a,)))
    expected.add(("member.stored_value_account", "differs", (b,)))
    # a row changed during the comparison: legacy written before, the sync lands meanwhile
    changed = one(pair.run("payment", sa.select(sa.func.min(p.id).label("m"))))["m"]
    pair.run("legacy", sa.update(ls.t_payment).where(ls.t_payment.c.id == changed)
             .values(transaction_id="TX-CHANGED"))  # fmt: skip
    expected.add(("payment.payments", "changed", (changed,)))
    pair.run(
        "legacy", sa.update(ls.t_member).where(ls.t_member.c.id == c).values(nickname="新名字")
    )
    expected.add(("member.member", "changed", (c,)))  # the same in a bucketed unit
    # a duplicate re-push in legacy: the mapping quarantines it, nothing differs
    o = ls.t_order.c
    meituan = sa.select(ls.t_order).where(o.channel == 1, o.channel_order_id.is_not(None))
    first = one(pair.run("legacy", meituan.order_by(o.id).limit(1)))
    newest = one(pair.run("legacy", sa.select(sa.func.max(o.id).label("m"))))["m"]
    pair.run(
        "legacy",
        sa.insert(ls.t_order).values({**first, "id": newest + 1, "order_no": f"DUP{newest}"}),
    )

    seen = []

    def sync_lands(kind: str, data: dict) -> None:
        if kind == "recheck":
            seen.append(data["units"])
            pair.run("payment", sa.update(pt.payments).where(p.id == changed)
                     .values(transaction_id="TX-CHANGED"))  # fmt: skip
            pair.run(
                "member", sa.update(mt.member).where(mt.member.c.id == c).values(name="新名字")
            )

    # Two worker processes walk the orders partitions; the parent merges and rechecks.
    planted = compare_data(pair.settings, options=replace(OPTIONS, workers=2), events=sync_lands)
    assert _found(planted) == expected
    assert not planted.ok and seen and {"payment.payments", "member.member"} <= set(seen[0])
    assert (
        _quarantined(planted, "orders", "duplicate_repush")
        == _quarantined(clean, "orders", "duplicate_repush") + 1
    )
    by = {u.name: u for u in planted.units}
    tolerated = next(d for d in by["member.stored_value_account"].sample if d.kind == "tolerated")
    assert tolerated.columns[0].column == "balance"
    assert abs(tolerated.columns[0].legacy - tolerated.columns[0].platform) == 1
    assert by["payment.payments"].rechecked_segments >= 1
    engine = create_engine(pair.url("state"))
    try:
        runs = history.recent(engine)
    finally:
        engine.dispose()
    assert [r["ok"] for r in runs if r["kind"] == "data"] == [True, False]
