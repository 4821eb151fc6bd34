"""Domain invariants over the migrated data (domain.md §3.5), checked on real rows.

* ``money_conservation`` — per order, in fen: every line ``qty × unit_price = line_total``;
  ``goods_amount = Σ line_total``; every discount ``merchant_part + platform_part = amount``;
  ``discount_amount``, ``merchant_subsidy``, ``platform_subsidy`` are the sums of their parts;
  ``goods + package + delivery − discounts = paid``; and the paid amount is the legacy float
  total within ±1 fen.
* ``status_mapped`` — every (status, refund status, order type) the legacy holds maps to
  exactly one main status, and every status the order center holds is one of its enums.
* ``items_resolve`` — every order item names a SKU the product center has, or is flagged
  unmapped (no SKU, its channel item code kept in ``channel_item_ref``).

The checks are pure functions of rows (``order_money``, ``status_problem``, ``item_problem``);
:func:`check_invariants` reads the rows in key-ordered chunks, so memory stays flat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhongtai.compare.model import InvariantCheck, Invariants
from zhongtai.config import Settings
from zhongtai.legacy.schema import t_order
from zhongtai.migrate.preflight import open_engine
from zhongtai.migrate.transforms import TransformError, order_status
from zhongtai.platform.order import tables as ot
from zhongtai.platform.order.status import MainStatus, RefundStatus
from zhongtai.platform.product import tables as pt

CHUNK = 5_000
EXAMPLES = 10
MONEY_TOLERANCE_FEN = 1


def order_money(
    order: Mapping[str, Any],
    lines: Mapping[str, int],
    discounts: Mapping[str, int],
    legacy_total: float | None,
    tolerance: float = MONEY_TOLERANCE_FEN,
) -> list[str]:
    """What breaks money conservation for one order (empty: it holds).

    ``lines``: ``line_total`` (Σ), ``bad_lines`` (lines with qty × unit ≠ total);
    ``discounts``: ``amount``, ``merchant_part``, ``platform_part`` (Σ), ``bad_parts``.
    """
    out = []
    if lines.get("bad_lines"):
        out.append(f"{lines['bad_lines']} line(s) where qty × unit_price ≠ line_total")
    if order["goods_amount"] != lines.get("line_total", 0):
        out.append(
            f"goods_amount {order['goods_amount']} ≠ Σ line_total {lines.get('line_total', 0)}"
        )
    if discounts.get("bad_parts"):
        out.append(f"{discounts['bad_parts']} discount(s) whose parts ≠ amount")
    for column, part in (
        ("discount_amount", "amount"),
        ("merchant_subsidy", "merchant_part"),
        ("platform_subsidy", "platform_part"),
    ):
        if order[column] != discounts.get(part, 0):
            out.append(f"{column} {order[column]} ≠ Σ {part} {discounts.get(part, 0)}")
    expected = (
        order["goods_amount"]
        + order["package_fee"]
        + order["delivery_fee"]
        - order["discount_amount"]
    )
    if expected != order["paid_amount"]:
        out.append(
            f"goods + package + delivery − discounts = {expected} ≠ paid {order['paid_amount']}"
        )
    if (
        legacy_total is not None
        and abs(legacy_total * 100 - order["paid_amount"]) > tolerance + 1e-6
    ):
        out.append(f"paid {order['paid_amount']} fen vs legacy total {legacy_total} yuan")
    return out


def status_problem(status: int, refund: int, order_type: int) -> str | None:
    """Why a legacy status combination has no main status (None: it maps)."""
    try:
        main, refund_name, _ = order_status(status, refund, order_type)
    except TransformError as exc:
        return str(exc)
    if main not in MainStatus.__members__ or refund_name not in RefundStatus.__members__:
        return f"({status}, {refund}) maps to ({main}, {refund_name}), not a center status"
    return None


def item_problem(sku_id: int | None, channel_item_ref: str | None, skus: set[int]) -> str | None:
    """``None`` when an order item resolves to a SKU or is flagged unmapped."""
    if sku_id is not None:
        return None if sku_id in skus else f"sku {sku_id} does not exist in the product center"
    if channel_item_ref:
        return None
    return "no SKU and no channel item code: neither resolved nor flagged unmapped"


# ----------------------------------------------------------------------------- reading


def _ranges(conn: sa.Connection, column: sa.Column) -> Iterator[tuple[int, int]]:
    """(after, upto] ranges of about CHUNK keys each, walking the keys in order."""
    after = None
    while True:
        query = sa.select(column).order_by(column).limit(1).offset(CHUNK - 1)
        if after is not None:
            query = query.where(column > after)
        upto = conn.execute(query).scalar()
        if upto is None:
            top = sa.select(sa.func.max(column))
            if after is not None:
                top = top.where(column > after)
            upto = conn.execute(top).scalar()
            if upto is not None:
                yield (after if after is not None else upto - 1, upto)
            return
        yield (after if after is not None else -(2**62), upto)
        after = upto


def _money(order_db: Engine, legacy: Engine) -> InvariantCheck:
    check = InvariantCheck("money_conservation", "money is conserved per order, in fen")
    o, i, d = ot.orders, ot.order_items, ot.order_discounts
    with order_db.connect() as conn, legacy.connect() as lconn:
        for after, upto in list(_ranges(conn, o.c.id)):
            orders = (
                conn.execute(
                    sa.select(o.c.id, o.c.legacy_id, *(o.c[c] for c in _AMOUNTS)).where(
                        o.c.id > after, o.c.id <= upto
                    )
                )
                .mappings()
                .all()
            )
            lines = {
                r.order_id: {"line_total": int(r.total or 0), "bad_lines": int(r.bad or 0)}
                for r in conn.execute(
                    sa.select(
                        i.c.order_id,
                        sa.func.sum(i.c.line_total).label("total"),
                        sa.func.sum(
                            sa.case((i.c.qty * i.c.unit_price != i.c.line_total, 1), else_=0)
                        ).label("bad"),
                    )
                    .where(i.c.order_id > after, i.c.order_id <= upto)
                    .group_by(i.c.order_id)
                )
            }
            discounts = {
                r.order_id: {
                    "amount": int(r.amount or 0),
                    "merchant_part": int(r.merchant or 0),
                    "platform_part": int(r.platform or 0),
                    "bad_parts": int(r.bad or 0),
                }
                for r in conn.execute(
                    sa.select(
                        d.c.order_id,
                        sa.func.sum(d.c.amount).label("amount"),
                        sa.func.sum(d.c.merchant_part).label("merchant"),
                        sa.func.sum(d.c.platform_part).label("platform"),
                        sa.func.sum(
                            sa.case(
                                (d.c.merchant_part + d.c.platform_part != d.c.amount, 1), else_=0
                            )
                        ).label("bad"),
                    )
                    .where(d.c.order_id > after, d.c.order_id <= upto)
                    .group_by(d.c.order_id)
                )
            }
            ids = [r["legacy_id"] for r in orders if r["legacy_id"] is not None]
            totals = (
                dict(
                    lconn.execute(
                        sa.select(t_order.c.id, t_order.c.total_amount).where(t_order.c.id.in_(ids))
                    ).all()
                )
                if ids
                else {}
            )
            lconn.rollback()
            for row in orders:
                found = order_money(
                    row,
                    lines.get(row["id"], {}),
                    discounts.get(row["id"], {}),
                    totals.get(row["legacy_id"]),
                )
                check.checked += 1
                if found:
                    check.violations += 1
                    for reason in found:
                        check.breakdown[reason.split(" ")[0]] = (
                            check.breakdown.get(reason.split(" ")[0], 0) + 1
                        )
                    if len(check.examples) < EXAMPLES:
                        check.examples.append({"order_id": row["id"], "problems": "; ".join(found)})
    return check


_AMOUNTS = (
    "goods_amount",
    "package_fee",
    "delivery_fee",
    "discount_amount",
    "merchant_subsidy",
    "platform_subsidy",
    "paid_amount",
)


def _statuses(order_db: Engine, legacy: Engine) -> InvariantCheck:
    check = InvariantCheck(
        "status_mapped", "every legacy and center status maps to one main status"
    )
    c = t_order.c
    with legacy.connect() as conn:
        combos = conn.execute(
            sa.select(c.status, c.refund_status, c.order_type, sa.func.count()).group_by(
                c.status, c.refund_status, c.order_type
            )
        ).all()
    for status, refund, order_type, n in combos:
        check.checked += n
        problem = status_problem(status, refund or 0, order_type)
        label = f"legacy {status}/{refund or 0}"
        check.breakdown[label] = check.breakdown.get(label, 0) + n
        if problem:
            check.violations += n
            if len(check.examples) < EXAMPLES:
                check.examples.append(
                    {
                        "legacy": f"status {status}, refund {refund}, type {order_type}",
                        "orders": n,
                        "problem": problem,
                    }
                )
    o = ot.orders.c
    with order_db.connect() as conn:
        found = conn.execute(
            sa.select(o.main_status, o.refund_status, sa.func.count()).group_by(
                o.main_status, o.refund_status
            )
        ).all()
    for main, refund, n in found:
        label = f"center {main}/{refund}"
        check.breakdown[label] = n
        if main not in MainStatus.__members__ or refund not in RefundStatus.__members__:
            check.violations += n
            if len(check.examples) < EXAMPLES:
                check.examples.append(
                    {"center": f"{main}/{refund}", "orders": n, "problem": "not a center status"}
                )
    return check


def _items(order_db: Engine, product_db: Engine) -> InvariantCheck:
    check = InvariantCheck(
        "items_resolve", "every order item resolves to a SKU or is flagged unmapped"
    )
    with product_db.connect() as conn:
        skus = set(conn.execute(sa.select(pt.sku.c.id)).scalars())
    i = ot.order_items.c
    kinds: Counter = Counter()
    with order_db.connect() as conn:
        query = sa.select(i.order_id, i.line_no, i.sku_id, i.channel_item_ref)
        for row in conn.execution_options(stream_results=True, yield_per=10_000).execute(query):
            check.checked += 1
            problem = item_problem(row.sku_id, row.channel_item_ref, skus)
            if problem is None:
                kinds["resolved" if row.sku_id is not None else "flagged unmapped"] += 1
                continue
            kinds["dangling sku" if row.sku_id is not None else "unflagged"] += 1
            check.violations += 1
            if len(check.examples) < EXAMPLES:
                check.examples.append(
                    {"order_id": row.order_id, "line_no": row.line_no, "problem": problem}
                )
    check.breakdown = dict(kinds)
    return check


def check_engines(legacy: Engine, order_db: Engine, product_db: Engine) -> Invariants:
    """Every invariant over open engines."""
    return Invariants(
        [_money(order_db, legacy), _statuses(order_db, legacy), _items(order_db, product_db)]
    )


def check_invariants(settings: Settings) -> Invariants:
    """Every invariant over the configured legacy, order and product databases."""
    engines = {
        name: open_engine(name, settings.database(name), must_exist=True, hint_key=hint)
        for name, hint in (("legacy", "legacy"), ("order", "center"), ("product", "center"))
    }
    try:
        return check_engines(engines["legacy"], engines["order"], engines["product"])
    finally:
        for engine in engines.values():
            engine.dispose()
