"""The ERP plugin's inbound contract (pure): batches of items upserted by ``erp_code``.

Idempotency: every batch carries a ``batch_id``. The first time a batch is applied its
fingerprint (SHA-256 of the canonical item list) and its per-item results are recorded in
``erp_sync_batch``; sending the same ``batch_id`` again with the same items replays the
recorded result and changes nothing; with different items it is refused (409), because a
reused id means the sender lost track.

Within an item, SKUs are matched by ``sku_code``; SKUs not named are left as they are (the ERP
sends what changed). Channel codes on a SKU become brand-wide channel mappings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.product.model import (
    Channel,
    ChannelSkuMapping,
    Sku,
    Spu,
    SpuStatus,
    clean_code,
)

MAX_BATCH_ITEMS = 500


@dataclass(frozen=True)
class ChannelCode:
    channel: Channel
    food_code: str  # Meituan app_food_code / Eleme item id
    channel_sku_id: str | None = None


@dataclass(frozen=True)
class ErpSku:
    sku_code: str
    list_price: int  # fen
    spec: str | None = None
    box_qty: int = 0
    box_price: int = 0
    channel_codes: tuple[ChannelCode, ...] = ()


@dataclass(frozen=True)
class ErpItem:
    erp_code: str
    name: str
    category_id: int | None = None
    category_name: str | None = None
    status: SpuStatus = SpuStatus.ON_SHELF
    unit: str | None = None
    pic_url: str | None = None
    sort: int = 0
    skus: tuple[ErpSku, ...] = ()


@dataclass(frozen=True)
class ErpItemResult:
    erp_code: str
    spu_id: int
    action: str  # INSERT | UPDATE
    skus: int  # SKUs named in the item


@dataclass
class ErpBatch:
    batch_id: str
    fingerprint: str
    received_at: datetime
    results: list[ErpItemResult] = field(default_factory=list)
    replayed: bool = False


def check_batch(batch_id: str, items: list[ErpItem]) -> str:
    """Validate the batch envelope; returns the cleaned batch id."""
    batch_id = clean_code(batch_id, "batch_id", 64)
    if not items:
        raise InvalidInput(f"batch {batch_id} has no items", hint="send at least one item")
    if len(items) > MAX_BATCH_ITEMS:
        raise InvalidInput(
            f"batch {batch_id} has {len(items)} items; at most {MAX_BATCH_ITEMS}",
            hint="split it into several batches with their own batch_id",
        )
    codes = [clean_code(i.erp_code, "erp_code", 32) for i in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise InvalidInput(f"batch {batch_id} names erp_code {', '.join(duplicates)} twice")
    return batch_id


def fingerprint(items: list[ErpItem]) -> str:
    """SHA-256 of the canonical JSON of the items (what makes two sends "the same batch")."""
    canonical = json.dumps([asdict(i) for i in items], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def apply_item(
    spu: Spu | None,
    item: ErpItem,
    *,
    batch_id: str,
    now: datetime,
    new_spu_id: Callable[[], int],
    new_sku_id: Callable[[], int],
) -> tuple[Spu, str]:
    """Insert or update one SPU from an ERP item; returns the SPU and ``INSERT``/``UPDATE``."""
    if spu is None:
        spu = Spu(
            id=new_spu_id(), erp_code=item.erp_code, name=item.name, created_at=now, updated_at=now
        )
        action = "INSERT"
    else:
        action = "UPDATE"
    spu.name = item.name.strip() if item.name else item.name
    spu.category_id, spu.category_name = item.category_id, item.category_name
    spu.status = SpuStatus(item.status)
    spu.unit, spu.pic_url, spu.sort = item.unit, item.pic_url, item.sort
    spu.last_batch_id, spu.updated_at, spu.deleted_at = batch_id, now, None
    Spu.__post_init__(spu)  # re-check the name and codes after the changes
    seen = set()
    for erp_sku in item.skus:
        code = clean_code(erp_sku.sku_code, "sku_code")
        if code in seen:
            raise InvalidInput(f"item {item.erp_code} names sku_code {code} twice")
        seen.add(code)
        sku = spu.sku_by_code(code)
        fields = dict(
            spec=erp_sku.spec,
            list_price=erp_sku.list_price,
            box_qty=erp_sku.box_qty,
            box_price=erp_sku.box_price,
        )
        if sku is None:
            spu.skus.append(
                Sku(
                    id=new_sku_id(),
                    spu_id=spu.id,
                    sku_code=code,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
            )
        else:
            updated = Sku(
                id=sku.id,
                spu_id=spu.id,
                sku_code=code,
                created_at=sku.created_at,
                updated_at=now,
                **fields,
            )  # validates like a new one
            spu.skus[spu.skus.index(sku)] = updated
    return spu, action


def channel_mappings(spu: Spu, item: ErpItem) -> list[ChannelSkuMapping]:
    """Brand-wide channel mappings named by the item's SKUs."""
    out = []
    for erp_sku in item.skus:
        sku = spu.sku_by_code(clean_code(erp_sku.sku_code, "sku_code"))
        for code in erp_sku.channel_codes:
            out.append(
                ChannelSkuMapping(code.channel, code.food_code, sku.id, None, code.channel_sku_id)
            )
    return out
