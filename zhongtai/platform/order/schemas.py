"""Request bodies of the order center's HTTP API and their conversion to model values.

FastAPI validates types and sizes here (a bad field is answered 400 naming the field); the
business rules (money conservation, transitions) stay in the model, so the same request sent
through a unit test or over HTTP is judged the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.handoff import HandoffState
from zhongtai.platform.order.lines import Discount, OrderItem
from zhongtai.platform.order.model import Channel, OrderType
from zhongtai.platform.order.placing import Numbering, OrderDraft
from zhongtai.platform.order.service import Handoff, PushKey
from zhongtai.platform.order.status import MainStatus, RefundStatus

SOURCE_DOC = "who asks: POS, MEITUAN_PUSH, MP, ADMIN …"


def Source(default: Any = ...) -> Any:  # noqa: N802 - reads like the Field it returns
    return Field(default, min_length=1, max_length=32, description=SOURCE_DOC)


class PushIn(BaseModel):
    """The inbound push this command comes from; a repeat is answered without a change."""

    channel: Channel
    channel_order_id: str = Field(min_length=1, max_length=40)
    push_type: str = Field(min_length=1, max_length=40, examples=["new", "confirmed", "12"])

    def key(self) -> PushKey:
        return PushKey(self.channel, self.channel_order_id, self.push_type)


class PushRecordIn(PushIn):
    expected_store_id: int | None = None


def push_key(push: PushIn | None) -> PushKey | None:
    return None if push is None else push.key()


class ItemIn(BaseModel):
    line_no: int
    name: str = Field(max_length=128)
    qty: int
    unit_price: int = Field(description="fen per unit, as charged")
    line_total: int | None = Field(None, description="fen; defaults to qty × unit_price")
    sku_id: int | None = None
    sku_code: str | None = Field(None, max_length=40)
    spec: str | None = Field(None, max_length=64)
    properties: dict[str, Any] = {}
    box_qty: int = 0
    box_price: int = 0
    parent_line_no: int | None = None
    channel_item_ref: str | None = Field(None, max_length=64)

    def model(self) -> OrderItem:
        data = self.model_dump()
        if data["line_total"] is None:
            data["line_total"] = self.qty * self.unit_price
        return OrderItem(**data)


class DiscountIn(BaseModel):
    kind: str = Field(min_length=1, max_length=32)
    amount: int
    merchant_part: int | None = Field(None, description="defaults to amount − platform_part")
    platform_part: int = 0
    name: str | None = Field(None, max_length=128)
    source_ref: str | None = Field(None, max_length=64)

    def model(self) -> Discount:
        merchant = self.merchant_part
        if merchant is None:
            merchant = self.amount - self.platform_part
        return Discount(
            kind=self.kind,
            amount=self.amount,
            merchant_part=merchant,
            platform_part=self.platform_part,
            name=self.name,
            source_ref=self.source_ref,
        )


class NumberingIn(BaseModel):
    """Let the center number the order: ``prefix`` + the store's next business-day value."""

    prefix: str = Field(min_length=1, max_length=31, examples=["1251201SH0012"])
    business_day: date
    width: int = Field(5, ge=1, le=10)
    fill_day_seq: bool = Field(False, description="use the value as day_seq when none is sent")
    offset: int = Field(0, ge=0, description="added to the value: a range of serials of its own")

    def model(self) -> Numbering:
        return Numbering(self.prefix, self.business_day, self.width, self.fill_day_seq, self.offset)


class OrderIn(BaseModel):
    """A new order. Totals left out are derived from the lines; stated ones are checked.

    Send either ``order_no`` or ``numbering`` (the number is then taken from the store's day
    sequence in the same transaction as the insert)."""

    order_no: str | None = Field(None, max_length=32)
    numbering: NumberingIn | None = None
    store_id: int
    channel: Channel
    order_type: OrderType
    items: list[ItemIn]
    discounts: list[DiscountIn] = []
    goods_amount: int | None = None
    package_fee: int | None = None
    delivery_fee: int | None = None
    discount_amount: int | None = None
    merchant_subsidy: int | None = None
    platform_subsidy: int | None = None
    service_fee: int | None = None
    paid_amount: int | None = None
    merchant_income: int | None = None
    status: MainStatus = MainStatus.PENDING_PAYMENT
    sub_status: str | None = None
    channel_order_id: str | None = Field(None, max_length=40)
    tenant_id: int = 1
    day_seq: int | None = None
    pickup_code: str | None = Field(None, max_length=16)
    member_id: int | None = None
    customer: dict[str, Any] = Field({}, description="name, phone (as given), address, lng, lat …")
    store_snapshot: dict[str, Any] = Field({}, description="store code and name at order time")
    channel_ext: dict[str, Any] = {}
    remark: str | None = Field(None, max_length=512)
    placed_at: datetime | None = None
    expected_at: datetime | None = Field(None, description="null = as soon as possible")
    legacy_id: int | None = Field(None, description="keep the legacy t_order.id as the id")
    source: str = Source("API")
    push: PushIn | None = None
    handoffs: list[str] = Field(
        [], max_length=4, description="systems that pull the order (e.g. POS), queued at once"
    )

    def numbering_model(self) -> Numbering | None:
        """The numbering asked for; InvalidInput unless exactly one of order_no/numbering."""
        if (self.order_no is None) == (self.numbering is None):
            raise InvalidInput(
                "send exactly one of order_no and numbering",
                code="INVALID_ORDER",
                hint="order_no for a number you allocated, numbering to let the center take one",
            )
        return self.numbering.model() if self.numbering else None

    def draft(self) -> OrderDraft:
        amounts = {
            name: getattr(self, name)
            for name in (
                "goods_amount",
                "package_fee",
                "delivery_fee",
                "discount_amount",
                "merchant_subsidy",
                "platform_subsidy",
                "service_fee",
                "paid_amount",
                "merchant_income",
            )
            if getattr(self, name) is not None
        }
        order_no = self.order_no
        if order_no is None and self.numbering is not None:
            order_no = self.numbering.model().number(0)
        return OrderDraft(
            order_no=order_no or "",
            handoffs=tuple(self.handoffs),
            items=[i.model() for i in self.items],
            discounts=[d.model() for d in self.discounts],
            amounts=amounts,
            **self.model_dump(
                include={
                    "store_id",
                    "channel",
                    "order_type",
                    "status",
                    "sub_status",
                    "channel_order_id",
                    "tenant_id",
                    "day_seq",
                    "pickup_code",
                    "member_id",
                    "customer",
                    "store_snapshot",
                    "channel_ext",
                    "remark",
                    "placed_at",
                    "expected_at",
                    "legacy_id",
                    "source",
                }
            ),
        )


class HandoffIn(BaseModel):
    state: HandoffState
    ref_no: str | None = Field(None, max_length=40)
    error: str | None = Field(None, max_length=255)
    expected_store_id: int | None = None


class HandoffStep(HandoffIn):
    system: str = Field(min_length=2, max_length=16, examples=["POS"])

    def model(self) -> Handoff:
        return Handoff(self.system, self.state, self.ref_no, self.error)


class StatusIn(BaseModel):
    to: MainStatus
    source: str = Source()
    sub_status: str | None = None
    reason: str | None = Field(None, max_length=255)
    handoff: HandoffStep | None = None
    push: PushIn | None = None
    expected_store_id: int | None = Field(None, description="refuse (409) if another store's")
    expected_version: int | None = None
    pickup_code: str | None = Field(None, min_length=1, max_length=16)
    paid_at: datetime | None = Field(
        None, description="a move to PAID: when the money arrived (the pay channel's time)"
    )
    refund_amount: int | None = Field(
        None, description="fen of a refund that succeeds with the move (cancel and refund at once)"
    )


class SubStatusIn(BaseModel):
    sub_status: str | None
    source: str = Source()
    reason: str | None = Field(None, max_length=255)
    push: PushIn | None = None
    expected_store_id: int | None = None


class RefundStatusIn(BaseModel):
    to: RefundStatus
    source: str = Source()
    amount: int | None = Field(None, description="fen refunded by this step (needed for SUCCEEDED)")
    reason: str | None = Field(None, max_length=255)
    push: PushIn | None = None
    expected_store_id: int | None = None


class PullCursorIn(BaseModel):
    cursor: str | None = Field(
        None, max_length=255, description="the channel's cursor; null keeps the stored one"
    )


class ClaimIn(BaseModel):
    store_id: int
    main_status: list[MainStatus] = [MainStatus.PAID]
    refund_status: list[RefundStatus] = Field([], description="only these (empty: any)")
    without_sub_status: bool = Field(False, description="only orders with no sub-status")
    limit: int = Field(10, description="1..50")
