"""JSON request bodies of the envelope clients (mini-program/App, POS, admin), validated by
pydantic; a violation becomes a 40001 naming the field (see ``app.validation_message``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, extra="ignore")


class Line(Body):
    sku_id: int
    quantity: int = Field(ge=1, le=99)


class PlaceOrder(Body):
    store_id: int
    member_id: int
    source: Literal[3, 4]
    order_type: Literal[1, 2, 3]
    items: list[Line] = Field(min_length=1, max_length=50)
    remark: str | None = Field(None, max_length=255)
    table_no: str | None = Field(None, max_length=8)
    dine_people: int | None = Field(None, ge=1, le=99)
    recipient_name: str | None = Field(None, max_length=64)
    recipient_phone: str | None = Field(None, max_length=64)
    recipient_address: str | None = Field(None, max_length=255)


class Reason(Body):
    reason: str | None = Field(None, max_length=255)


class RefundAsk(Reason):
    amount: float | None = Field(None, gt=0)


class PosPull(Body):
    store_code: str = Field(min_length=1, max_length=16)
    pos_id: str | None = Field(None, max_length=32)
    page_size: int = Field(10, ge=1, le=50)


class PosOrder(Body):
    store_code: str = Field(min_length=1, max_length=16)
    order_no: str = Field(min_length=1, max_length=32)
    pos_id: str | None = Field(None, max_length=32)


class PosAck(PosOrder):
    ticket_no: str = Field(min_length=1, max_length=32)


class PosProgress(PosOrder):
    progress: Literal["making", "ready", "completed"]
    pickup_code: str | None = Field(None, min_length=1, max_length=8)


class PosCancel(PosOrder):
    reason: str | None = Field(None, max_length=255)


class SkuUpsert(Body):
    sku_code: str = Field(min_length=1, max_length=40)
    spec_name: str | None = Field(None, max_length=32)
    price: float = Field(ge=0)
    box_num: int = Field(0, ge=0, le=999)
    box_price: float = Field(0.0, ge=0)
    mt_app_food_code: str | None = Field(None, max_length=40)
    ele_item_id: str | None = Field(None, max_length=40)


class ProductUpsert(Body):
    erp_code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    category_id: int | None = None
    category_name: str | None = Field(None, max_length=32)
    price: float = Field(ge=0)
    status: Literal[0, 1] = 1
    skus: list[SkuUpsert] = Field(default_factory=list, max_length=50)
    brand_id: int | None = None
    batch_no: str | None = Field(None, max_length=32)
