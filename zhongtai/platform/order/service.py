"""Order center services: plain functions on a unit of work (HTTP and tests alike).

Each write opens ``with uow:``, loads the order ``for_update``, applies the model's rules,
saves (optimistic on ``version``) and commits; under a dry-run unit of work the same path runs
and is rolled back. The center never calls another service (lecture 8): callers pass the
store, member and SKU references they resolved themselves.

**Idempotent channel pushes.** A command may carry a ``PushKey`` (channel, channel order id,
push type). A key already recorded makes the command a no-op answered with the current order
and ``duplicate=True``; otherwise the key is recorded in the same transaction as the change.
Two identical pushes racing each other are settled by the database's unique keys: the loser's
transaction fails, and it is answered as the duplicate of the winner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.ids import IdAllocator
from zhongtai.platform.order.cursors import PullCursor, PullCursors, check_cursor_key
from zhongtai.platform.order.handoff import HandoffState
from zhongtai.platform.order.model import Channel, Event, Order
from zhongtai.platform.order.placing import Numbering, OrderDraft, place_order
from zhongtai.platform.order.query import OrderQuery
from zhongtai.platform.order.repository import DaySequences, DuplicateKey, OrderRepository, PushLog
from zhongtai.platform.order.status import MainStatus, RefundStatus

T = TypeVar("T")


class OrderUnitOfWork(Protocol):
    orders: OrderRepository
    pushes: PushLog
    day_sequences: DaySequences
    pull_cursors: PullCursors
    ids: IdAllocator

    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> None: ...
    def commit(self) -> None: ...
    def now(self) -> Any: ...


@dataclass(frozen=True)
class PushKey:
    """Identity of one inbound channel push (domain.md §3.3)."""

    channel: Channel
    channel_order_id: str
    push_type: str

    def __post_init__(self) -> None:
        for name, limit in (("channel_order_id", 40), ("push_type", 40)):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise InvalidInput(f"push {name} must be 1..{limit} characters, got {value!r}")

    def matches(self, order: Order) -> bool:
        return (self.channel, self.channel_order_id) == (order.channel, order.channel_order_id)


@dataclass(frozen=True)
class Handoff:
    """A handoff step to record together with a status change (e.g. POS ack + ACCEPTED)."""

    system: str
    state: HandoffState
    ref_no: str | None = None
    error: str | None = None


@dataclass
class Outcome:
    order: Order
    duplicate: bool = False


def not_found(what: str) -> NotFound:
    return NotFound(
        f"no order with {what}",
        code="ORDER_NOT_FOUND",
        hint="check the order number (orders are looked up exactly as created)",
    )


def load_order(
    uow: OrderUnitOfWork, order_no: str, *, for_update: bool = False, lines: bool = True
) -> Order:
    order = uow.orders.get(order_no, for_update=for_update, lines=lines)
    if order is None or order.deleted_at is not None:
        raise not_found(f"order_no {order_no!r}")
    return order


def check_store(order: Order, expected_store_id: int | None) -> None:
    if expected_store_id is not None and order.store_id != expected_store_id:
        raise Conflict(
            f"order {order.order_no} belongs to store {order.store_id}, not {expected_store_id}",
            code="WRONG_STORE",
            details={"store_id": order.store_id, "expected_store_id": expected_store_id},
        )


def retry_on_race(action: Callable[[], T]) -> T:
    # The loser of a unique-key race sees the winner's row on the second attempt.
    try:
        return action()
    except DuplicateKey:
        return action()


def create_order(
    uow: OrderUnitOfWork,
    draft: OrderDraft,
    *,
    push: PushKey | None = None,
    numbering: Numbering | None = None,
) -> Outcome:
    """Record a new order; a repeated channel order is answered as a duplicate.

    With ``numbering`` the order number is taken from the store's day sequence inside the
    create transaction (after the duplicate check, so a re-push takes no number).
    """
    if push is not None and (push.channel, push.channel_order_id) != (
        draft.channel,
        draft.channel_order_id,
    ):
        raise InvalidInput(
            "the push key names another order than the draft",
            code="PUSH_MISMATCH",
            hint="push.channel/channel_order_id must equal the order's channel/channel_order_id",
        )

    if numbering is not None:
        draft = numbering.apply(draft, 0)  # a well-formed number, to validate the draft
    place_order(draft, now=uow.now())  # validate before touching the database

    def attempt() -> Outcome:
        with uow:
            now = uow.now()
            if draft.channel_order_id is not None:
                twin = uow.orders.get_by_channel(draft.channel, draft.channel_order_id)
                if twin is not None:
                    if push is None:
                        raise Conflict(
                            f"{draft.channel} order {draft.channel_order_id} is already "
                            f"recorded as {twin.order_no}",
                            code="CHANNEL_ORDER_EXISTS",
                            details={"order_no": twin.order_no},
                        )
                    if uow.pushes.seen(push.channel, push.channel_order_id, push.push_type) is None:
                        uow.pushes.record(*push_tuple(push), twin.id, now)
                        uow.commit()
                    return Outcome(twin, duplicate=True)
            numbered = draft
            if numbering is not None:
                numbered = _take_free_number(uow, draft, numbering)
            if uow.orders.get(numbered.order_no) is not None:
                raise Conflict(
                    f"order_no {numbered.order_no!r} is already used",
                    code="ORDER_EXISTS",
                    hint="allocate a new number",
                )
            order = place_order(numbered, now=now)
            order.id = draft.legacy_id if draft.legacy_id is not None else uow.ids.next_id("order")
            uow.orders.add(order)
            if push is not None:
                uow.pushes.record(*push_tuple(push), order.id, now)
            uow.commit()
            return Outcome(order)

    return retry_on_race(attempt)


def _take_free_number(uow: OrderUnitOfWork, draft: OrderDraft, numbering: Numbering) -> OrderDraft:
    # A counter behind the stored numbers (orders migrated with their legacy numbers, or
    # numbered by the caller) would hand out a taken number: step past it. The loop ends at
    # a free number or when the value outgrows the numbering's width (InvalidOrder).
    while True:
        value = uow.day_sequences.next(draft.store_id, numbering.business_day)
        numbered = numbering.apply(draft, value)
        if uow.orders.get(numbered.order_no) is None:
            return numbered


def note_push(order: Order, push: PushKey) -> None:
    """Keep the channel's last applied push type in ``channel_ext.channel_status``, where the
    legacy kept it (``t_order.channel_status``) and the migration puts it."""
    if order.channel_ext.get("channel_status") != push.push_type:
        order.channel_ext = {**order.channel_ext, "channel_status": push.push_type}


def push_tuple(push: PushKey) -> tuple[str, str, str]:
    return push.channel.value, push.channel_order_id, push.push_type


def _command(
    uow: OrderUnitOfWork,
    order_no: str,
    apply: Callable[[Order, Any], None],
    *,
    push: PushKey | None,
    expected_store_id: int | None = None,
    expected_version: int | None = None,
    lines: bool = True,
) -> Outcome:
    """Load, guard, apply, save, record the push: the shape of every change (``lines=False``
    when the answer shows no lines: commands never change them, so they need not be read)."""

    def attempt() -> Outcome:
        with uow:
            order = load_order(uow, order_no, for_update=True, lines=lines)
            check_store(order, expected_store_id)
            if push is not None:
                if not push.matches(order):
                    raise InvalidInput(
                        f"push {push.channel}/{push.channel_order_id} does not name order "
                        f"{order_no}",
                        code="PUSH_MISMATCH",
                    )
                if uow.pushes.seen(*push_tuple(push)) is not None:
                    return Outcome(order, duplicate=True)
            if expected_version is not None and order.version != expected_version:
                raise Conflict(
                    f"order {order_no} is at version {order.version}, not {expected_version}",
                    code="VERSION_CONFLICT",
                    hint="load the order again and retry",
                    details={"version": order.version},
                )
            now = uow.now()
            apply(order, now)
            if push is not None:
                note_push(order, push)
            uow.orders.save(order)
            if push is not None:
                uow.pushes.record(*push_tuple(push), order.id, now)
            uow.commit()
            return Outcome(order)

    return retry_on_race(attempt)


def change_status(
    uow: OrderUnitOfWork,
    order_no: str,
    target: MainStatus,
    *,
    source: str,
    sub_status: str | None = None,
    reason: str | None = None,
    handoff: Handoff | None = None,
    push: PushKey | None = None,
    expected_store_id: int | None = None,
    expected_version: int | None = None,
    pickup_code: str | None = None,
    paid_at: Any = None,
    refund_amount: int | None = None,
    lines: bool = True,
) -> Outcome:
    """Move the main status (and optionally record a handoff step in the same transaction;
    ``pickup_code`` sets the code the store gives the customer, e.g. when READY; ``paid_at``
    the pay channel's time of a move to PAID; ``refund_amount`` a refund that succeeds with
    the move, e.g. a paid order cancelled and refunded at once: one command, so both history
    steps carry one time, as legacy logs such a cancellation as one move)."""

    def apply(order: Order, now: Any) -> None:
        order.change_status(
            target, source=source, now=now, sub_status=sub_status, reason=reason, paid_at=paid_at
        )
        if refund_amount is not None:
            order.change_refund(
                RefundStatus.SUCCEEDED, source=source, now=now, amount=refund_amount, reason=reason
            )
        if pickup_code is not None:
            order.pickup_code = pickup_code
        if handoff is not None:
            order.handoff(
                handoff.system, handoff.state, now=now, ref_no=handoff.ref_no, error=handoff.error
            )

    return _command(
        uow,
        order_no,
        apply,
        push=push,
        expected_store_id=expected_store_id,
        expected_version=expected_version,
        lines=lines,
    )


def set_sub_status(
    uow: OrderUnitOfWork,
    order_no: str,
    sub_status: str | None,
    *,
    source: str,
    reason: str | None = None,
    push: PushKey | None = None,
    expected_store_id: int | None = None,
) -> Outcome:
    def apply(order: Order, now: Any) -> None:
        order.set_sub_status(sub_status, source=source, now=now, reason=reason)

    return _command(uow, order_no, apply, push=push, expected_store_id=expected_store_id)


def change_refund(
    uow: OrderUnitOfWork,
    order_no: str,
    target: RefundStatus,
    *,
    source: str,
    amount: int | None = None,
    reason: str | None = None,
    push: PushKey | None = None,
    expected_store_id: int | None = None,
    lines: bool = True,
) -> Outcome:
    """Move the refund track; the money itself moves in the payment center."""

    def apply(order: Order, now: Any) -> None:
        order.change_refund(target, source=source, now=now, amount=amount, reason=reason)

    return _command(
        uow, order_no, apply, push=push, expected_store_id=expected_store_id, lines=lines
    )


def next_day_sequence(uow: OrderUnitOfWork, store_id: int, business_day: date) -> int:
    """Take the next number of the store's business day (atomic under concurrency)."""
    if isinstance(store_id, bool) or not isinstance(store_id, int) or store_id <= 0:
        raise InvalidInput(f"store_id must be a positive integer, got {store_id!r}")
    with uow:
        value = uow.day_sequences.next(store_id, business_day)
        uow.commit()
        return value


def pull_cursor(uow: OrderUnitOfWork, channel: Channel, store_id: int) -> PullCursor:
    """Where the store's last compensation pull from ``channel`` stopped."""
    check_cursor_key(store_id, None)
    with uow:
        return uow.pull_cursors.get(channel, store_id)


def record_pull(
    uow: OrderUnitOfWork, channel: Channel, store_id: int, cursor: str | None
) -> PullCursor:
    """Record a pull of the store; ``cursor`` None (the channel sent none) keeps the old one."""
    check_cursor_key(store_id, cursor)
    with uow:
        uow.pull_cursors.save(channel, store_id, cursor, uow.now())
        saved = uow.pull_cursors.get(channel, store_id)
        uow.commit()
        return saved


def delete_order(uow: OrderUnitOfWork, order_no: str) -> Order:
    """Soft delete (``deleted_at``); the order disappears from lookups and searches."""
    with uow:
        order = load_order(uow, order_no, for_update=True)
        order.delete(uow.now())
        uow.orders.save(order)
        uow.commit()
        return order


def get_order(uow: OrderUnitOfWork, order_no: str, *, lines: bool = True) -> Order:
    """The live order; ``lines=False`` reads its header and references only."""
    with uow:
        order = uow.orders.get(order_no, lines=lines, history=lines)
        if order is None or order.deleted_at is not None:
            raise not_found(f"order_no {order_no!r}")
        return order


def find_by_channel(uow: OrderUnitOfWork, channel: Channel, channel_order_id: str) -> Order:
    with uow:
        order = uow.orders.get_by_channel(channel, channel_order_id)
        if order is None or order.deleted_at is not None:
            raise not_found(f"{channel} order id {channel_order_id!r}")
        return order


def search_orders(uow: OrderUnitOfWork, query: OrderQuery) -> tuple[int, list[Order]]:
    with uow:
        return uow.orders.search(query)


def list_events(
    uow: OrderUnitOfWork, after_id: int = 0, limit: int = 100
) -> list[tuple[int, Event]]:
    """Outbox events with ids above ``after_id``, oldest first (a consumer's cursor)."""
    if not 1 <= limit <= 1000:
        raise InvalidInput(f"limit {limit} is out of range", hint="use 1..1000")
    with uow:
        return uow.orders.events_after(after_id, limit)
