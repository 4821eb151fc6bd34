"""Product services against the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.ids import PLATFORM_ID_BASE
from zhongtai.platform.product import service
from zhongtai.platform.product.erp import ChannelCode, ErpItem, ErpSku, fingerprint
from zhongtai.platform.product.fakes import FakeProductUnitOfWork
from zhongtai.platform.product.model import Channel, ChannelSkuMapping, SpuStatus

T0 = datetime(2025, 1, 1, tzinfo=UTC)
KUNGPAO = ErpItem(
    erp_code="P0101",
    name="宫保鸡丁",
    category_id=1,
    category_name="热菜",
    skus=(
        ErpSku("P0101-L", 2800, "大份", 1, 100, (ChannelCode(Channel.MEITUAN, "mt101L"),)),
        ErpSku("P0101-S", 1800, "小份", 1, 100, (ChannelCode(Channel.ELEME, "e101", "es1"),)),
    ),
)


@pytest.fixture
def uow():
    uow = FakeProductUnitOfWork(clock=lambda: T0)
    service.upsert_from_erp(uow, "B1", [KUNGPAO])
    return uow


def test_erp_insert_allocates_ids_and_maps_channel_codes(uow):
    spu = service.get_spu(uow, erp_code="P0101")
    assert spu.id == PLATFORM_ID_BASE
    assert [s.id for s in spu.skus] == [PLATFORM_ID_BASE, PLATFORM_ID_BASE + 1]
    (meituan,) = service.resolve_channel_items(uow, Channel.MEITUAN, 12, [("mt101L", None)])
    assert meituan.sku.sku_code == "P0101-L" and meituan.sku.price == 2800
    (eleme,) = service.resolve_channel_items(uow, Channel.ELEME, None, [("e101", "es1")])
    assert eleme.sku.sku_code == "P0101-S"
    (unknown,) = service.resolve_channel_items(uow, Channel.ELEME, None, [("nope", None)])
    assert not unknown.mapped and unknown.channel_food_code == "nope"


def test_a_replayed_batch_changes_nothing_and_answers_the_same(uow):
    before = {k: dict(v) for k, v in uow.db.items()}
    again = service.upsert_from_erp(uow, "B1", [KUNGPAO])
    assert again.replayed and [r.action for r in again.results] == ["INSERT"]
    assert {k: dict(v) for k, v in uow.db.items()} == before


def test_a_reused_batch_id_with_other_items_is_refused(uow):
    changed = ErpItem(**{**vars(KUNGPAO), "name": "宫保鸡丁(新)"})
    with pytest.raises(Conflict) as err:
        service.upsert_from_erp(uow, "B1", [changed])
    assert err.value.code == "BATCH_ID_REUSED"
    assert fingerprint([changed]) != fingerprint([KUNGPAO])


def test_update_by_erp_code_keeps_ids_and_adds_skus(uow):
    item = ErpItem(
        erp_code="P0101",
        name="宫保鸡丁",
        category_id=1,
        status=SpuStatus.OFF_SHELF,
        skus=(ErpSku("P0101-L", 3000, "大份"), ErpSku("P0101-XL", 3800, "特大")),
    )
    batch = service.upsert_from_erp(uow, "B2", [item])
    assert [(r.action, r.skus) for r in batch.results] == [("UPDATE", 2)]
    spu = service.get_spu(uow, erp_code="P0101")
    prices = {s.sku_code: (s.id, s.list_price) for s in spu.skus}
    assert prices["P0101-L"] == (PLATFORM_ID_BASE, 3000)
    assert prices["P0101-S"] == (PLATFORM_ID_BASE + 1, 1800)  # not named: left alone
    assert prices["P0101-XL"][0] == PLATFORM_ID_BASE + 2
    assert service.store_menu(uow, 12) == []  # off the shelf


def test_bad_items_fail_the_whole_batch_and_change_nothing(uow):
    before = {k: dict(v) for k, v in uow.db.items()}
    good = ErpItem("P0200", "米饭", skus=(ErpSku("P0200", 200),))
    cases = [
        [good, ErpItem("P0201", "汤", category_id=77, skus=(ErpSku("P0201", 500),))],
        [good, ErpItem("P0202", "面", skus=(ErpSku("P0101-L", 500),))],  # someone else's SKU
        [good, ErpItem("P0203", "粥", skus=(ErpSku("P0203", 12.5),))],  # yuan, not fen
        [good, good],
    ]
    for items in cases:
        with pytest.raises((InvalidInput, Conflict)):
            service.upsert_from_erp(uow, "B3", items)
    assert {k: dict(v) for k, v in uow.db.items()} == before


def test_store_overrides_and_store_sku_views(uow):
    spu = service.get_spu(uow, erp_code="P0101")
    large, small = (s.id for s in spu.skus)
    service.set_store_price(uow, 12, large, price=2500)
    service.set_store_price(uow, 12, small, sold_out=True)
    service.set_store_price(uow, 12, small, price=1700)  # sold_out kept
    views, missing = service.store_skus(uow, 12, [small, large, 999])
    assert [(v.sku_id, v.price, v.sold_out, v.available) for v in views] == [
        (small, 1700, True, False),
        (large, 2500, False, True),
    ]
    assert missing == [999]
    (category,) = service.store_menu(uow, 12)
    assert category.name == "热菜"
    assert service.store_menu(uow, 13)[0].products[0].skus[0].price == 2800  # no override
    with pytest.raises(NotFound):
        service.set_store_price(uow, 12, 999, price=1)


def test_store_specific_mapping_beats_brand_mapping(uow):
    spu = service.get_spu(uow, erp_code="P0101")
    small = spu.skus[1].id
    service.put_mapping(uow, ChannelSkuMapping(Channel.MEITUAN, "mt101L", small, store_id=12))
    (here,) = service.resolve_channel_items(uow, Channel.MEITUAN, 12, [("mt101L", None)])
    (there,) = service.resolve_channel_items(uow, Channel.MEITUAN, 13, [("mt101L", None)])
    assert (here.sku.sku_id, there.sku.sku_id) == (small, spu.skus[0].id)
    service.remove_mapping(uow, ChannelSkuMapping(Channel.MEITUAN, "mt101L", 0, store_id=12))
    with pytest.raises(NotFound):
        service.remove_mapping(uow, ChannelSkuMapping(Channel.MEITUAN, "mt101L", 0, store_id=12))


def test_delete_spu_and_dry_run_upsert(uow):
    dry = FakeProductUnitOfWork(dry_run=True, clock=lambda: T0)
    dry.db = uow.db
    item = ErpItem("P0300", "饺子", skus=(ErpSku("P0300", 1500),))
    shadow = service.upsert_from_erp(dry, "B9", [item])
    with pytest.raises(NotFound):
        service.get_spu(uow, erp_code="P0300")
    real = service.upsert_from_erp(uow, "B9", [item])
    assert [vars(r) for r in shadow.results] == [vars(r) for r in real.results]
    service.delete_spu(uow, real.results[0].spu_id)
    with pytest.raises(NotFound):
        service.get_spu(uow, erp_code="P0300")
