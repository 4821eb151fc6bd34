"""商品中心 product center: the pure model (no SQLAlchemy, no FastAPI).

The ERP is the master of the item master; this center holds the **sellable projection**:
categories, SPUs (keyed by ``erp_code``) with their SKUs (keyed by ``sku_code``), per-store
price/on-sale/sold-out overrides, and channel mappings (Meituan ``app_food_code``/``sku_id``,
Eleme item id/``skuId`` → SKU). Money is integer fen everywhere.

Migrated rows keep their legacy ids (``t_product.id`` → SPU id, ``t_product_sku.id`` → SKU
id, ``category_id`` → category id); rows born here get ids from :mod:`zhongtai.platform.ids`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from zhongtai.platform.errors import InvalidInput

MAX_PRICE = 100_000_000  # 1,000,000 yuan in fen: anything above is a unit mistake


class Channel(StrEnum):
    MEITUAN = "MEITUAN"
    ELEME = "ELEME"


class SpuStatus(StrEnum):
    ON_SHELF = "ON_SHELF"  # 上架
    OFF_SHELF = "OFF_SHELF"  # 下架


def check_fen(value: int, what: str, *, allow_none: bool = False) -> int | None:
    """Money is a non-negative integer number of fen (a float or yuan value is refused)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"{what} {value!r} is not an integer number of fen",
            code="INVALID_MONEY",
            hint="send money in fen as an integer (12.50 yuan → 1250)",
        )
    if not 0 <= value <= MAX_PRICE:
        raise InvalidInput(
            f"{what} {value} fen is out of range 0..{MAX_PRICE}", code="INVALID_MONEY"
        )
    return value


def clean_code(value: str, what: str, max_len: int = 40) -> str:
    """ERP and channel codes: NFKC (full-width → ASCII), trimmed, no inner spaces."""
    code = unicodedata.normalize("NFKC", value or "").strip()
    if not code or len(code) > max_len or any(ch.isspace() for ch in code):
        raise InvalidInput(
            f"{what} {value!r} must be 1-{max_len} characters without spaces",
            hint=f"send {what} exactly as the ERP or channel knows it",
        )
    return code


@dataclass
class Category:
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    sort: int = 0
    deleted_at: datetime | None = None


@dataclass
class Sku:
    id: int
    spu_id: int
    sku_code: str
    list_price: int  # fen
    created_at: datetime
    updated_at: datetime
    spec: str | None = None  # 大份 / 小份
    box_qty: int = 0  # packaging boxes per unit
    box_price: int = 0  # fen per box
    deleted_at: datetime | None = None

    def __post_init__(self) -> None:
        self.sku_code = clean_code(self.sku_code, "sku_code")
        check_fen(self.list_price, f"list_price of {self.sku_code}")
        check_fen(self.box_price, f"box_price of {self.sku_code}")
        if not isinstance(self.box_qty, int) or self.box_qty < 0:
            raise InvalidInput(f"box_qty of {self.sku_code} must be a non-negative integer")


@dataclass
class Spu:
    id: int
    erp_code: str
    name: str
    created_at: datetime
    updated_at: datetime
    tenant_id: int = 1
    category_id: int | None = None
    # The category name this product was imported with (ERP item, legacy row), kept as given:
    # the legacy contract names a menu category after its first product's. ``Category.name``
    # is the center's own name for the category.
    category_name: str | None = None
    unit: str | None = None
    pic_url: str | None = None
    sort: int = 0
    status: SpuStatus = SpuStatus.ON_SHELF
    last_batch_id: str | None = None
    deleted_at: datetime | None = None
    skus: list[Sku] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.erp_code = clean_code(self.erp_code, "erp_code", 32)
        if not (self.name or "").strip():
            raise InvalidInput(f"product {self.erp_code} has an empty name")
        self.name = self.name.strip()
        self.status = SpuStatus(self.status)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def sku_by_code(self, sku_code: str) -> Sku | None:
        return next((s for s in self.skus if s.sku_code == sku_code), None)

    def live_skus(self) -> list[Sku]:
        return sorted((s for s in self.skus if s.deleted_at is None), key=lambda s: s.id)


@dataclass(frozen=True)
class ChannelSkuMapping:
    """A channel's code for a SKU, brand-wide (``store_id`` None) or for one store."""

    channel: Channel
    channel_food_code: str  # Meituan app_food_code / Eleme item id
    sku_id: int
    store_id: int | None = None
    channel_sku_id: str | None = None  # Meituan sku_id / Eleme skuId, when the channel has one

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(
            self, "channel_food_code", clean_code(self.channel_food_code, "channel_food_code", 64)
        )
        if self.channel_sku_id is not None:
            object.__setattr__(
                self, "channel_sku_id", clean_code(self.channel_sku_id, "channel_sku_id", 64)
            )

    @property
    def key(self) -> str:
        """Portable unique key (NULLs never collide in SQL unique constraints, so spell them)."""
        store = "*" if self.store_id is None else str(self.store_id)
        sku = "*" if self.channel_sku_id is None else self.channel_sku_id
        return f"{self.channel.value}|{store}|{self.channel_food_code}|{sku}"


@dataclass
class StoreSkuPrice:
    """A store's override for one SKU: price (None = list price), on sale, sold out (沽清)."""

    store_id: int
    sku_id: int
    updated_at: datetime
    price: int | None = None
    on_sale: bool = True
    sold_out: bool = False

    def __post_init__(self) -> None:
        check_fen(
            self.price, f"price of SKU {self.sku_id} in store {self.store_id}", allow_none=True
        )

    def effective_price(self, sku: Sku) -> int:
        return sku.list_price if self.price is None else self.price
