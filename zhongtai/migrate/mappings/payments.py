"""t_payment / t_refund → payment center ``payments``, ``refunds``.

* Ids: ``id`` = ``legacy_id`` = the legacy id; ``out_trade_no``, ``refund_no`` kept verbatim.
* ``t_payment.total_fee`` is already fen; ``t_refund.amount`` is float yuan → fen.
* ``t_payment.status`` 0/1/2/3 → PENDING/SUCCEEDED/FAILED/CLOSED; ``time_end``
  (yyyyMMddHHmmss GMT+8) → ``paid_at`` UTC for succeeded payments. ``updated_at`` is that
  paid time (never before ``create_time``), else the creation: legacy keeps no update time,
  and the payment center dates a success by the channel's paid time too (not by when the
  notify was applied), so a payment taken on either side maps to one row. A failure notify's
  or a close's moment has no legacy column: such a payment the platform changed a second or
  more after creating it differs in ``updated_at``.
* ``version`` is the payment center's own write counter; legacy keeps none. A new row starts
  at 0, a forward-synced change keeps the center's count, and parity does not compare it.
* ``t_refund.status`` 1..5 → APPLIED/REJECTED/ARBITRATING/FAILED/SUCCEEDED (0, "no refund", on a
  refund row means the application was withdrawn → REVOKED); ``type`` 1/2 → FULL/PARTIAL;
  ``source`` user/merchant/platform → USER/MERCHANT/PLATFORM. The refund's ``order_no`` and
  ``payment_id`` (the order's successful payment, if any) come from one lookup scan.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.legacy.schema import t_order, t_payment, t_refund
from zhongtai.migrate.mapping import Lookup, Mapped, Mapping, Record, Target
from zhongtai.migrate.mappings._common import first_time, local_or_none, text
from zhongtai.migrate.transforms import (
    TransformError,
    fen_to_yuan,
    local_to_utc,
    payment_status,
    payment_status_to_legacy,
    refund_status,
    refund_status_to_legacy,
    utc_to_local,
    utc_to_wechat,
    wechat_to_utc,
    yuan_to_fen,
)
from zhongtai.platform.payment import tables as pt

PAY_CHANNELS = ("WX_JSAPI", "ALIPAY", "BALANCE", "COUPON")
KINDS = {1: "FULL", 2: "PARTIAL"}
SOURCES = {"user": "USER", "merchant": "MERCHANT", "platform": "PLATFORM"}


def payment(record: Record) -> Mapped:
    row = record.row
    channel = (row["pay_channel"] or "").strip().upper()
    if channel not in PAY_CHANNELS:
        raise TransformError(f"pay_channel {row['pay_channel']!r} is not one of {PAY_CHANNELS}")
    status = payment_status(row["status"])
    created = first_time(row["create_time"])
    paid_at = wechat_to_utc(row["time_end"]) if status == "SUCCEEDED" else None
    return {
        "payments": [
            {
                "id": row["id"],
                "out_trade_no": row["out_trade_no"],
                "order_no": row["order_no"],
                "channel": channel,
                "amount": row["total_fee"],
                "status": status,
                "transaction_id": text(row["transaction_id"], 64),
                "paid_at": paid_at,
                "raw_notify": row["notify_raw"],
                "created_at": created,
                "updated_at": max(paid_at or created, created),
                "deleted_at": None,
                "legacy_id": row["id"],
                "version": 0,
            }
        ]
    }


def payment_inverse(rows: Mapped) -> Mapped:
    (p,) = rows["payments"]
    return {
        "t_payment": [
            {
                "id": p["legacy_id"] or p["id"],
                "order_no": p["order_no"],
                "pay_channel": p["channel"],
                "out_trade_no": p["out_trade_no"],
                "transaction_id": p["transaction_id"],
                "total_fee": p["amount"],
                "status": payment_status_to_legacy(p["status"]),
                "time_end": utc_to_wechat(p["paid_at"]),
                "notify_raw": p["raw_notify"],
                "create_time": local_or_none(p["created_at"]),
            }
        ]
    }


def _refund_facts(conn: sa.Connection) -> dict[str, dict[int, object]]:
    """For orders with refunds: order id → order_no, and → its successful payment id."""
    refunded = sa.select(t_refund.c.order_id)
    o, p = t_order.c, t_payment.c
    numbers = dict(conn.execute(sa.select(o.id, o.order_no).where(o.id.in_(refunded))).all())
    paid = dict(
        conn.execute(
            sa.select(p.order_id, sa.func.min(p.id))
            .where(p.status == 1, p.order_id.in_(refunded))
            .group_by(p.order_id)
        ).all()
    )
    return {"order_no": numbers, "payment_id": paid}


REFUND_FACTS = Lookup("refund_orders", _refund_facts)


def refund(record: Record) -> Mapped:
    row, facts = record.row, record.lookups[REFUND_FACTS.name]
    order_no = facts["order_no"].get(row["order_id"])
    if order_no is None:
        raise TransformError(
            f"refund {row['refund_no']} names order {row['order_id']}, which does not exist"
        )
    status = "REVOKED" if row["status"] == 0 else refund_status(row["status"])
    try:
        kind = KINDS[row["type"]]
    except KeyError:
        raise TransformError(f"refund type {row['type']!r} is not 1 whole / 2 partial") from None
    created = first_time(row["apply_time"])
    finished = local_to_utc(row["finish_time"])
    return {
        "refunds": [
            {
                "id": row["id"],
                "refund_no": row["refund_no"],
                "order_no": order_no,
                "payment_id": facts["payment_id"].get(row["order_id"]),
                "amount": yuan_to_fen(row["amount"]) or 0,
                "kind": kind,
                "source": SOURCES.get((row["source"] or "").strip().lower(), "PLATFORM"),
                "status": status,
                "reason_code": row["reason_code"],
                "reason": text(row["reason"], 255),
                "channel_refund_id": text(row["channel_refund_id"], 64),
                "finished_at": finished,
                "created_at": created,
                "updated_at": max(finished or created, created),
                "deleted_at": None,
                "legacy_id": row["id"],
                "version": 0,
            }
        ]
    }


def refund_inverse(rows: Mapped) -> Mapped:
    (r,) = rows["refunds"]
    return {
        "t_refund": [
            {
                "id": r["legacy_id"] or r["id"],
                "refund_no": r["refund_no"],
                "channel_refund_id": r["channel_refund_id"],
                "type": 1 if r["kind"] == "FULL" else 2,
                "source": r["source"].lower(),
                "amount": fen_to_yuan(r["amount"]),
                "reason_code": r["reason_code"],
                "reason": r["reason"],
                "status": 0 if r["status"] == "REVOKED" else refund_status_to_legacy(r["status"]),
                "apply_time": local_or_none(r["created_at"]),
                "finish_time": utc_to_local(r["finished_at"]),
            }
        ]
    }


PAYMENTS = Mapping(
    name="payments",
    source=t_payment,
    center="payment",
    targets=(Target(pt.payments, key=("id",), owner="id", money=("amount",), counter="version"),),
    transform=payment,
    inverse=payment_inverse,
    description="t_payment → payments (fen already; time_end → paid_at UTC)",
)
REFUNDS = Mapping(
    name="refunds",
    source=t_refund,
    center="payment",
    targets=(Target(pt.refunds, key=("id",), owner="id", money=("amount",), counter="version"),),
    transform=refund,
    uses=(REFUND_FACTS,),
    inverse=refund_inverse,
    depends_on=("payments",),
    description="t_refund → refunds (yuan → fen, Eleme refund statuses)",
)

MAPPINGS = (PAYMENTS, REFUNDS)
