"""Id allocation rules (in-memory twin); the SQL allocator is tested in integration."""

from __future__ import annotations

from zhongtai.platform.ids import PLATFORM_ID_BASE, MemoryIdAllocator


def test_platform_born_ids_start_above_legacy_ranges():
    counters: dict[str, int] = {}
    ids = MemoryIdAllocator(counters, {"member": {1: "a", 2: "b"}})
    assert ids.next_id("member") == PLATFORM_ID_BASE
    assert ids.next_id("member") == PLATFORM_ID_BASE + 1
    assert PLATFORM_ID_BASE < 2**53  # exact in JSON numbers and JavaScript


def test_ids_already_present_are_skipped():
    rows = {PLATFORM_ID_BASE + 5: "synced from legacy with its own id"}
    ids = MemoryIdAllocator({}, {"store": rows})
    assert ids.next_id("store") == PLATFORM_ID_BASE + 6


def test_each_kind_counts_on_its_own():
    ids = MemoryIdAllocator({}, {})
    assert ids.next_id("spu") == ids.next_id("sku") == PLATFORM_ID_BASE
