"""The product center as the gateway uses it: channel codes → SKUs, priced SKUs, the menu.

* :func:`resolve_codes` maps a takeout order's dish codes (Meituan ``app_food_code``, Eleme
  item id, with the channel's SKU id) to SKUs; answers are cached for a few seconds and
  forgotten when the gateway upserts products. A code the product center would not even
  accept (spaces, too long) is simply unmapped, as an unknown code was for the legacy.
* :func:`priced_skus` prices a mini-program order's SKUs for one store.
* :func:`menu_json` renders the product center's menu in the legacy shape (yuan, 0/1 flags,
  each category named as its first product names it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from zhongtai.platform.gateway.calls import CenterCalls
from zhongtai.platform.gateway.context import Gateway
from zhongtai.platform.gateway.intake import sku_key
from zhongtai.platform.gateway.legacy_format import yuan

CHANNELS = {1: "MEITUAN", 2: "ELEME"}
RESOLVE_BATCH = 200  # the product center's limit per resolve call


def _sku_ref(view: Mapping[str, Any]) -> dict[str, Any]:
    return {"sku_id": view["sku_id"], "sku_code": view["sku_code"], "erp_code": view["erp_code"]}


async def resolve_codes(
    gw: Gateway, calls: CenterCalls, channel: int, lines: Iterable[tuple[str | None, str | None]]
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """(code, channel sku id) → ``{sku_id, sku_code, erp_code}`` for the lines mapped to a SKU.

    The channel's own SKU id goes along: the product center prefers a mapping made for it (the
    migration records the legacy's ``mt_sku_id``/``ele_sku_id`` there), and a mapping without
    one matches any."""
    name = CHANNELS[channel]
    keys = {sku_key(code, sku_id) for code, sku_id in lines}
    wanted = sorted((k for k in keys if k), key=lambda pair: (pair[0], pair[1] or ""))
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    missing = []
    for pair in wanted:
        cached = gw.skus.get((name, *pair))
        if cached is None:
            missing.append(pair)
        elif cached:
            found[pair] = cached
    for start in range(0, len(missing), RESOLVE_BATCH):
        batch = missing[start : start + RESOLVE_BATCH]
        items = [{"channel_food_code": code, "channel_sku_id": sku} for code, sku in batch]
        answer = await calls.post(
            "product", "/channel-mappings/resolve", {"channel": name, "items": items}
        )
        for pair, item in zip(batch, answer["items"], strict=True):
            ref = _sku_ref(item["sku"]) if item["mapped"] and item["sku"] else {}
            gw.skus.put((name, *pair), ref)
            if ref:
                found[pair] = ref
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


def legacy_category_name(category: Mapping[str, Any]) -> str | None:
    """The legacy menu names a category after its first product's denormalised
    ``category_name`` (stale or empty ones included), not after the category itself."""
    return category["products"][0]["category_name"]


def menu_json(store: Mapping[str, Any], menu: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /api/mp/stores/{id}/menu`` data from the product center's menu."""
    return {
        "store_id": store["id"],
        "store_name": store["name"],
        "categories": [
            {
                "category_id": category["category_id"],
                "category_name": legacy_category_name(category),
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
