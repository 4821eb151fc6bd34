"""The product center as the gateway uses it: channel codes → SKUs, priced SKUs, the menu.

* :func:`resolve_codes` maps a takeout order's dish codes (Meituan ``app_food_code``, Eleme
  item id) to SKUs, brand-wide by code as the legacy did; answers are cached per code for a
  few seconds and forgotten when the gateway upserts products. A code the product center would
  not even accept (spaces, too long) is simply unmapped, as it was for the legacy.
* :func:`priced_skus` prices a mini-program order's SKUs for one store.
* :func:`menu_json` renders the product center's menu in the legacy shape (yuan, 0/1 flags).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.context import Gateway
from zhongtai.platform.gateway.legacy_format import yuan

_ACCEPTABLE_CODE = re.compile(r"^\S{1,64}$")
CHANNELS = {1: "MEITUAN", 2: "ELEME"}
RESOLVE_BATCH = 200  # the product center's limit per resolve call


def _sku_ref(view: Mapping[str, Any]) -> dict[str, Any]:
    return {"sku_id": view["sku_id"], "sku_code": view["sku_code"], "erp_code": view["erp_code"]}


async def resolve_codes(
    gw: Gateway, calls: CenterCalls, channel: int, codes: Iterable[str | None]
) -> dict[str, dict[str, Any]]:
    """code → ``{sku_id, sku_code, erp_code}`` for the codes mapped to a SKU."""
    name = CHANNELS[channel]
    wanted = sorted({c for c in codes if c and _ACCEPTABLE_CODE.match(c)})
    found: dict[str, dict[str, Any]] = {}
    missing = []
    for code in wanted:
        cached = gw.skus.get((name, code))
        if cached is None:
            missing.append(code)
        elif cached:
            found[code] = cached
    for start in range(0, len(missing), RESOLVE_BATCH):
        batch = missing[start : start + RESOLVE_BATCH]
        body = {"channel": name, "items": [{"channel_food_code": c} for c in batch]}
        answer = await calls.post("product", "/channel-mappings/resolve", body)
        for code, item in zip(batch, answer["items"], strict=True):
            ref = _sku_ref(item["sku"]) if item["mapped"] and item["sku"] else {}
            gw.skus.put((name, code), ref)
            if ref:
                found[code] = ref
    return found


async def priced_skus(
    calls: CenterCalls, store_id: int, sku_ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """sku id → the product center's view of it in this store (missing ids left out)."""
    ids = sorted(set(sku_ids))
    answer = await calls.get(
        "product", f"/stores/{store_id}/skus", ids=",".join(str(i) for i in ids)
    )
    return {view["sku_id"]: view for view in answer["items"]}


def menu_json(store: Mapping[str, Any], menu: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /api/mp/stores/{id}/menu`` data from the product center's menu."""
    return {
        "store_id": store["id"],
        "store_name": store["name"],
        "categories": [
            {
                "category_id": category["category_id"],
                "category_name": category["name"],
                "products": [
                    {
                        "product_id": product["spu_id"],
                        "name": product["name"],
                        "skus": [
                            {
                                "sku_id": sku["sku_id"],
                                "sku_code": sku["sku_code"],
                                "spec_name": sku["spec"],
                                "price": yuan(sku["price"]),
                                "sold_out": 1 if sku["sold_out"] else 0,
                            }
                            for sku in product["skus"]
                        ],
                    }
                    for product in category["products"]
                ],
            }
            for category in menu["categories"]
        ],
    }
