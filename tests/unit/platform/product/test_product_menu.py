"""Menu projection and channel-code resolution (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.product.menu import build_menu, pick_mapping, sku_view
from zhongtai.platform.product.model import (
    Category,
    Channel,
    ChannelSkuMapping,
    Sku,
    Spu,
    SpuStatus,
    StoreSkuPrice,
    check_fen,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def spu(spu_id, category_id, *skus, status=SpuStatus.ON_SHELF, sort=0, deleted=False) -> Spu:
    return Spu(
        id=spu_id,
        erp_code=f"P{spu_id}",
        name=f"菜{spu_id}",
        created_at=T0,
        updated_at=T0,
        category_id=category_id,
        status=status,
        sort=sort,
        deleted_at=T0 if deleted else None,
        skus=[
            Sku(
                id=i,
                spu_id=spu_id,
                sku_code=f"P{spu_id}-{i}",
                list_price=p,
                created_at=T0,
                updated_at=T0,
            )
            for i, p in skus
        ],
    )


CATEGORIES = {1: Category(1, "热菜", T0, T0, sort=2), 2: Category(2, "主食", T0, T0, sort=1)}


def test_overrides_apply_and_unsellable_items_leave_the_menu():
    spus = [
        spu(10, 1, (101, 1800), (102, 2800)),
        spu(11, 2, (111, 200)),
        spu(12, 1, (121, 999), status=SpuStatus.OFF_SHELF),
        spu(13, 1, (131, 999), deleted=True),
        spu(14, 2, (141, 500)),
    ]
    overrides = {
        101: StoreSkuPrice(12, 101, T0, price=1600),
        102: StoreSkuPrice(12, 102, T0, sold_out=True),
        141: StoreSkuPrice(12, 141, T0, on_sale=False),
    }
    menu = build_menu(CATEGORIES, spus, overrides)
    assert [c.name for c in menu] == ["主食", "热菜"]  # category sort
    assert [p.spu_id for p in menu[0].products] == [11]  # 14's only SKU is off sale here
    hot = menu[1].products[0].skus
    assert [(s.sku_id, s.price, s.list_price, s.sold_out) for s in hot] == [
        (101, 1600, 1800, False),
        (102, 2800, 2800, True),
    ]


def test_an_unknown_category_is_kept_last_without_a_name():
    menu = build_menu(CATEGORIES, [spu(10, 99, (101, 100)), spu(11, 2, (111, 100))], {})
    assert [(c.category_id, c.name) for c in menu] == [(2, "主食"), (99, None)]


def test_sku_view_of_an_off_shelf_product_is_not_on_sale():
    product = spu(12, 1, (121, 999), status=SpuStatus.OFF_SHELF)
    view = sku_view(product, product.skus[0], None)
    assert not view.on_sale and not view.available


def test_the_most_specific_mapping_wins():
    brand = ChannelSkuMapping(Channel.MEITUAN, "F1", 1)
    brand_sku = ChannelSkuMapping(Channel.MEITUAN, "F1", 2, channel_sku_id="S9")
    store = ChannelSkuMapping(Channel.MEITUAN, "F1", 3, store_id=12)
    other_store = ChannelSkuMapping(Channel.MEITUAN, "F1", 4, store_id=13)
    every = [brand, brand_sku, store, other_store]
    assert pick_mapping(every, 12, "S9") is store
    assert pick_mapping(every, 14, "S9") is brand_sku
    assert pick_mapping(every, 14, None) is brand
    assert pick_mapping([other_store], 12, None) is None


def test_mapping_keys_spell_nulls():
    assert ChannelSkuMapping(Channel.ELEME, " 123 ", 1).key == "ELEME|*|123|*"
    assert ChannelSkuMapping(Channel.ELEME, "123", 1, 7, "x").key == "ELEME|7|123|x"


@pytest.mark.parametrize("value", [12.5, "1250", -1, True, 10**9])
def test_money_must_be_integer_fen_in_range(value):
    with pytest.raises(InvalidInput) as err:
        check_fen(value, "price")
    assert err.value.code == "INVALID_MONEY"
