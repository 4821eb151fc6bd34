"""Who a seeded order is for, as each channel delivers it (pure).

Platform orders carry a recipient the platform chose to reveal: a plain mobile, a masked one
(Meituan ``138****8000``) or a privacy number with an extension (``1844…_7333``, Eleme
``…,7333``), sometimes repeated in the remark. Mini-program and App orders carry the member.
Also the address and geo (sometimes swapped), booking time (0 = as soon as possible), table
for dine-in, and the raw platform payload the legacy kept in ``ext_json``.
"""

from __future__ import annotations

import random

from zhongtai.legacy.status import OrderType
from zhongtai.workload import catalog, quirks
from zhongtai.workload.catalog import APP, ELE, MINI, MT, PLATFORMS
from zhongtai.workload.master import StoreRef
from zhongtai.workload.members import MemberRef
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import unix_seconds


def fill_customer(
    rng: random.Random,
    dice: QuirkDice,
    header: dict,
    channel: int,
    order_type: int,
    store: StoreRef,
    member: MemberRef | None,
    created: int,
) -> None:
    """Recipient, remark, address, geo, booking and table columns of ``header``."""
    rand = rng.random
    surname = catalog.SURNAMES[int(rand() * len(catalog.SURNAMES))]
    remark = catalog.REMARKS[int(rand() * len(catalog.REMARKS))]
    if channel in PLATFORMS:
        name = f"{surname}({'先生' if rand() < 0.5 else '女士'})"
        phone = quirks.mobile(rng)
        if channel == MT and dice.roll("masked_phone"):
            phone = quirks.mask_phone(phone)
        elif channel in (MT, ELE) and dice.roll("privacy_phone"):
            phone = quirks.privacy_phone(rng, eleme=channel == ELE)
            if channel == MT and dice.roll("privacy_remark"):
                remark = quirks.privacy_remark(remark, phone)
    else:
        name = member.name if member else f"{surname}先生"
        phone = member.phone if member else None
    header.update(
        recipient_name=name,
        recipient_phone=phone,
        remark=remark or None,
        recipient_address=None,
        lng=None,
        lat=None,
        is_book=0,
        expect_time=0,
    )
    if order_type == OrderType.DELIVERY:
        city = store.city
        road = catalog.ROADS[int(rand() * len(catalog.ROADS))]
        header["recipient_address"] = (
            f"{city.name}市{road}{1 + int(rand() * 800)}弄{1 + int(rand() * 30)}号"
            f"{1 + int(rand() * 20)}0{1 + int(rand() * 4)}室"
        )
        lng, lat = (
            round(store.lng + (rand() - 0.5) * 0.06, 6),
            round(store.lat + (rand() - 0.5) * 0.06, 6),
        )
        if dice.roll("geo_swapped"):
            lng, lat = lat, lng
        header.update(lng=lng, lat=lat)
    if channel in (MT, ELE) and not dice.roll("asap_expect_time"):
        header.update(is_book=1, expect_time=unix_seconds(created) + 3600 + int(rand() * 8) * 900)
    if order_type == OrderType.DINE_IN:
        header.update(
            table_no=f"{'ABC'[int(rand() * 3)]}{1 + int(rand() * 30):02d}",
            dine_people=1 + int(rand() * 6),
        )


def raw_payload(
    dice: QuirkDice, header: dict, channel: int, store: StoreRef, created: int, day_seq: int
) -> str | None:
    """The raw payload the legacy kept in ``ext_json``: JSON, URL-encoded for some Meituan
    pushes, a small blob for mini-program/App orders, nothing for Baidu."""
    cid = header["channel_order_id"]
    if channel == MT:
        text = (
            f'{{"order_id":{cid},"wm_order_id_view":"{cid}","app_poi_code":'
            f'"{store.mt_poi}","ctime":{unix_seconds(created)},"day_seq":{day_seq}}}'
        )
        if dice.roll("urlencoded_ext_json"):
            text = quirks.urlencode_json(text)
    elif channel == ELE:
        text = (
            f'{{"id":"{cid}","shopId":{store.ele_shop},"userId":'
            f'{header["platform_user_id"]},"daySn":{day_seq},"deliveryGeo":'
            f'"{header["lng"]},{header["lat"]}"}}'
        )
    elif channel in (MINI, APP):
        text = f'{{"source":{channel},"scene":{1089 if channel == MINI else 0}}}'
    else:
        text = None
    return text
