"""Master data of the seeded chain: brand, stores, and the menu from ``menu`` (pure).

Rows come out as dicts keyed by column name (every column given, so the database's server
defaults never decide a value). ``Master`` also keeps the light references the order
generator needs: which stores sell when, which SKUs each channel can map, store prices.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from zhongtai.legacy.order_no import make_store_code
from zhongtai.workload import catalog, quirks
from zhongtai.workload.menu import SkuRef, build_menu, store_products
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import DAY, local_times

AREA_CODES = {
    "SH": "021",
    "BJ": "010",
    "HZ": "0571",
    "SZ": "0755",
    "GZ": "020",
    "NJ": "025",
    "CD": "028",
}


@dataclass
class StoreRef:
    id: int
    code: str
    name: str
    old_name: str | None  # name before a rename; orders older than renamed_at carry it
    renamed_at: int  # local epoch seconds
    city: catalog.City
    lng: float
    lat: float
    status: int
    mt_poi: str | None
    ele_shop: str | None
    weight: float
    sells_until: int | None  # closed / deleted stores stopped taking orders then


@dataclass
class Master:
    rows: dict[str, list[dict]] = field(default_factory=dict)
    stores: list[StoreRef] = field(default_factory=list)
    skus: list[SkuRef] = field(default_factory=list)
    store_price: dict[tuple[int, int], int] = field(default_factory=dict)  # override, fen
    brand_code: str = ""


def build_master(rng: random.Random, dice: QuirkDice, stores: int, now: int) -> Master:
    """Brand, ``stores`` stores and the whole menu, as of local epoch seconds ``now``."""
    times = local_times()
    master = Master()
    code, name = catalog.BRANDS[int(rng.random() * len(catalog.BRANDS))]
    master.brand_code = code
    master.rows["t_brand"] = [
        {
            "id": 1,
            "brand_code": code,
            "brand_name": name,
            "status": 1,
            "create_time": times.local(now - 6 * 365 * DAY),
        }
    ]
    master.rows["t_store"] = [
        _store(rng, dice, times, master, i, stores, now, name) for i in range(stores)
    ]
    menu = build_menu(rng, dice, now)
    master.skus = menu.skus
    master.rows.update(menu.rows)
    master.rows["t_store_product"], master.store_price = store_products(
        rng, master.stores, menu.skus, now
    )
    return master


def _store(rng, dice, times, master, i, total, now, brand) -> dict:
    rand = rng.random
    city = rng.choices(catalog.CITIES, weights=[c.weight for c in catalog.CITIES])[0]
    taken = sum(1 for s in master.stores if s.city.prefix == city.prefix)
    code = make_store_code(city.prefix, taken * 3 + 1 + int(rand() * 3))
    district = city.districts[int(rand() * len(city.districts))]
    landmark = catalog.LANDMARKS[int(rand() * len(catalog.LANDMARKS))]
    store_name = f"{brand}({district[:-1]}{landmark}店)"
    old_name = f"{brand}({landmark}店)" if dice.roll("stale_store_name") else None
    lng = round(city.lng + (rand() - 0.5) * 0.2, 6)
    lat = round(city.lat + (rand() - 0.5) * 0.2, 6)
    if i == total - 1 and total >= 5:
        status, sells_until = -1, now - (30 + int(rand() * 20)) * DAY  # soft-deleted via status
    elif i == 0:
        status, sells_until = 1, None
    else:
        r = rand()
        status = 1 if r < 0.88 else 0 if r < 0.95 else 2
        sells_until = now - (10 + int(rand() * 50)) * DAY if status == 0 else None
    mt = f"{master.brand_code.lower()}_{code.lower()}" if rand() < 0.95 else None
    ele = str(160_000_000 + int(rand() * 9e8)) if rand() < 0.9 else None
    ref = StoreRef(
        id=i + 1,
        code=code,
        name=store_name,
        old_name=old_name,
        renamed_at=now - int(rand() * 80) * DAY,
        city=city,
        lng=lng,
        lat=lat,
        status=status,
        mt_poi=mt,
        ele_shop=ele,
        weight=0.4 + rand() * 1.6,
        sells_until=None if status == 2 else sells_until,
    )
    if status == 2:
        ref.weight = 0.0  # still being fitted out: no orders yet
    master.stores.append(ref)
    digits = quirks.mobile(rng)
    phone = (
        quirks.odd_store_phone(rng, AREA_CODES[city.prefix], digits)
        if dice.roll("store_phone_format")
        else digits
    )
    if dice.roll("geo_swapped"):
        lng, lat = lat, lng
    created = now - (400 + int(rand() * 1500)) * DAY
    hours = ("10:00-22:00", "10:00-14:00,17:00-22:00", "07:00-21:30", "09:30-23:00")
    return {
        "id": ref.id,
        "brand_id": 1,
        "store_code": code,
        "store_name": store_name,
        "city_name": city.name,
        "address": f"{city.name}市{district}{catalog.ROADS[int(rand() * len(catalog.ROADS))]}"
        f"{1 + int(rand() * 999)}号{landmark}{1 + int(rand() * 4)}楼",
        "phone": phone,
        "lng": lng,
        "lat": lat,
        "business_hours": hours[int(rand() * len(hours))],
        "status": status,
        "mt_app_poi_code": mt,
        "ele_shop_id": ele,
        "ele_open_id": code if ele else None,
        "mt_token": f"{rng.getrandbits(128):032x}" if mt else None,
        "ele_token": f"{rng.getrandbits(128):032x}" if ele else None,
        "is_deleted": 1 if status == -1 else 0,
        "create_time": times.local(created),
        "update_time": datetime.fromisoformat(times.local(now - int(rand() * 30) * DAY)),
    }
