"""JSON shapes of payments and refunds (pure): enums as names, UTC ISO times, fen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zhongtai.platform.payment.model import Payment
from zhongtai.platform.payment.refunds import Refund


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def payment_json(p: Payment, *, raw: bool = False) -> dict[str, Any]:
    """A payment; the raw notify body only on request (it can be large)."""
    body = {
        "id": p.id,
        "out_trade_no": p.out_trade_no,
        "order_no": p.order_no,
        "channel": str(p.channel),
        "amount": p.amount,
        "status": str(p.status),
        "transaction_id": p.transaction_id,
        "paid_at": iso(p.paid_at),
        "legacy_id": p.legacy_id,
        "version": p.version,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }
    if raw:
        body["raw_notify"] = p.raw_notify
    return body


def refund_json(r: Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "refund_no": r.refund_no,
        "order_no": r.order_no,
        "payment_id": r.payment_id,
        "amount": r.amount,
        "kind": str(r.kind),
        "source": str(r.source),
        "status": str(r.status),
        "reason_code": r.reason_code,
        "reason": r.reason,
        "channel_refund_id": r.channel_refund_id,
        "finished_at": iso(r.finished_at),
        "legacy_id": r.legacy_id,
        "version": r.version,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }
