"""The seed's quirks: each shows in the rows exactly as often as it was rolled, and is rolled
at its declared rate (within binomial bounds)."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest
from seed_sample import seed_sample

from zhongtai.workload import quirks
from zhongtai.workload.quirks import QUIRKS, QuirkDice

ABOVE_2_53 = 2**53


def within_bounds(hits: int, n: int, rate: float, sigmas: float = 4.5) -> bool:
    """True when hits/n is within ``sigmas`` binomial standard deviations of ``rate``."""
    sd = math.sqrt(rate * (1 - rate) / n)
    return abs(hits / n - rate) <= sigmas * sd + 1 / n


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_dice_rolls_each_quirk_at_its_declared_rate(name):
    dice = QuirkDice(random.Random(name))
    hits = sum(dice.roll(name) for _ in range(40_000))
    assert dice.eligible[name] == 40_000 and dice.hits[name] == hits
    assert within_bounds(hits, 40_000, QUIRKS[name].rate)


def test_every_quirk_is_rolled_in_a_sample_and_hits_its_rate():
    sample = seed_sample()
    dice = sample.dice
    assert set(dice.eligible) == set(QUIRKS), "every declared quirk is used by the generators"
    for name, quirk in QUIRKS.items():
        n, hits = dice.eligible[name], dice.hits[name]
        assert hits > 0, f"{name} never happened"
        assert within_bounds(hits, n, quirk.rate), f"{name}: {hits}/{n} vs {quirk.rate}"


def test_an_unknown_quirk_name_is_an_error():
    with pytest.raises(KeyError):
        QuirkDice(random.Random(1)).roll("no_such_quirk")


def repushed(orders: list[dict]) -> set[int]:
    """Ids of re-push duplicates: copies of an earlier row, quirks included, not re-rolled."""
    seen, dups = set(), set()
    for o in orders:
        key = (o["channel"], o["channel_order_id"])
        if o["channel_order_id"] and key in seen:
            dups.add(o["id"])
        seen.add(key)
    return dups


def test_order_quirks_show_in_the_rows_as_often_as_rolled():
    sample = seed_sample()
    hits, all_orders = sample.dice.hits, sample.tables["t_order"]
    assert (
        sum(o["update_time"] < o["create_time"] for o in all_orders) == hits["update_before_create"]
    )
    dups = repushed(all_orders)
    orders = [o for o in all_orders if o["id"] not in dups]
    items = [i for i in sample.tables["t_order_item"] if i["order_id"] not in dups]
    deleted_skus = {s["id"] for s in sample.tables["t_product_sku"] if s["is_deleted"]}
    platform = [o for o in orders if o["channel"] in (1, 2, 5)]
    masked = [o for o in orders if re.fullmatch(r"1\d{2}\*{4}\d{4}", o["recipient_phone"] or "")]
    privacy = [o for o in orders if re.fullmatch(r"1\d{10}[_,]\d{4}", o["recipient_phone"] or "")]
    assert len(masked) == hits["masked_phone"] and {o["channel"] for o in masked} == {1}
    assert len(privacy) == hits["privacy_phone"]
    assert (
        sum(int(o["channel_order_id"]) > ABOVE_2_53 for o in platform)
        == hits["platform_id_above_2_53"]
    )
    assert sum(o["channel"] == 5 for o in orders) == hits["dead_channel"]
    assert sum(i["sku_id"] is None for i in items) == hits["unmapped_item"]
    assert sum(i["sku_id"] in deleted_skus for i in items) == hits["deleted_sku_ref"]
    assert sum(i["is_gift"] == 1 for i in items) == hits["gift_line"]
    takeout = [o for o in orders if o["channel"] in (1, 2)]
    assert sum(o["expect_time"] == 0 for o in takeout) == hits["asap_expect_time"]
    assert sum("收餐人隐私号" in (o["remark"] or "") for o in orders) == hits["privacy_remark"]
    encoded = [o for o in orders if o["channel"] == 1 and o["ext_json"].startswith("%7B")]
    assert len(encoded) == hits["urlencoded_ext_json"]


def test_repushed_orders_share_the_channel_id_and_have_no_push_log():
    sample = seed_sample()
    orders, pushes = sample.tables["t_order"], sample.tables["t_push_log"]
    by_key = Counter((o["channel"], o["channel_order_id"]) for o in orders if o["channel"] < 3)
    dup_keys = {k for k, n in by_key.items() if n > 1}
    assert len(dup_keys) == sample.dice.hits["repush_duplicate"] > 0
    logged = {p["order_id"] for p in pushes}
    for key in dup_keys:
        first, second = sorted(
            (o for o in orders if (o["channel"], o["channel_order_id"]) == key),
            key=lambda o: o["id"],
        )
        assert first["id"] in logged and second["id"] not in logged
        assert first["order_no"] != second["order_no"]
    assert len({(p["channel"], p["channel_order_id"], p["push_type"]) for p in pushes}) == len(
        pushes
    ), "t_push_log's unique key holds"


def test_zero_dates_and_float_drift_appear_as_often_as_rolled():
    sample = seed_sample()
    hits = sample.dice.hits
    orders, refunds = sample.tables["t_order"], sample.tables["t_refund"]
    zero = quirks.ZERO
    zeros = sum(o["pos_pull_time"] == zero for o in orders)
    zeros += sum(o["pos_ack_time"] == zero for o in orders)
    zeros += sum(r["finish_time"] == zero for r in refunds)
    assert zeros == hits["zero_date"] > 0
    lines: dict[int, int] = Counter()
    for item in sample.tables["t_order_item"]:
        lines[item["order_id"]] += round(item["total"] * 100)
    off = 0
    for o in orders:
        expected = lines[o["id"]] + round((o["package_fee"] + o["shipping_fee"]) * 100)
        diff = round(o["total_amount"] * 100) - (expected - round(o["discount_amount"] * 100))
        assert diff in (-1, 0, 1), o["order_no"]
        off += diff != 0
    assert off == hits["float_drift"]


def test_member_quirks_show_in_the_rows():
    sample = seed_sample()
    members, hits = sample.tables["t_member"], sample.dice.hits
    assert sum("????" in (m["nickname"] or "") for m in members) == hits["emoji_lost"]
    phones = [m["mobile"] for m in members if m["mobile"]]
    masked = [p for p in phones if re.fullmatch(r"1\d{2}\*{4}\d{4}", p)]
    plain = [p for p in phones if re.fullmatch(r"1\d{10}", p)]
    usual = {*masked, *plain}
    odd = [p for p in phones if p not in usual]
    assert len(masked) == hits["masked_member_phone"] and plain
    assert len(odd) == hits["member_phone_format"]
    assert all(len(re.sub(r"\D", "", p).removeprefix("86")) == 11 for p in odd)
    # A duplicate person is an openid-only row followed by a phone-only App row, same nickname.
    by_id = {m["id"]: m for m in members}
    pairs = 0
    for m in members:
        twin = by_id.get(m["id"] + 1)
        if m["openid"] and not m["mobile"] and twin and twin["mobile"] and not twin["openid"]:
            same = quirks.lose_emoji(m["nickname"]) == quirks.lose_emoji(twin["nickname"])
            pairs += same and twin["source_channel"] == 4
    assert hits["duplicate_person"] <= pairs <= hits["duplicate_person"] + 15


def test_transforms_are_pure_and_shaped_like_the_legacy_values():
    rng = random.Random(3)
    digits = quirks.mobile(rng)
    assert re.fullmatch(r"1[3578]\d{9}", digits)
    assert quirks.mask_phone("13800138000") == "138****8000"
    assert re.fullmatch(r"1[78]\d{9}_\d{4}", quirks.privacy_phone(rng, eleme=False))
    assert re.fullmatch(r"1[78]\d{9},\d{4}", quirks.privacy_phone(rng, eleme=True))
    assert quirks.lose_emoji("小鱼🍜好") == "小鱼????好"
    assert re.sub(r"\D", "", quirks.odd_mobile(rng, "13800138000")).endswith("13800138000")
    assert int(quirks.id_above_2_53(rng)) > ABOVE_2_53
    assert abs(quirks.drift_fen(rng, 1234) - 1234) == 1
    assert quirks.float_sum([3800, 260, 140]) == 38.0 + 2.6 + 1.4
    assert quirks.urlencode_json('{"a":1}') == "%7B%22a%22%3A1%7D"
    assert "收餐人隐私号 18449039731_7333" in quirks.privacy_remark("", "18449039731_7333")
