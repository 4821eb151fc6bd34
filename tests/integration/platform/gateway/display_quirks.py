"""Legacy display quirks planted before the backfill, so the contract scenario meets them.

The seed rolls them at a rate (``zhongtai.workload.quirks``): ``store_phone_format`` (a
landline with ``转8``, two numbers in one field, a mobile with spaces) and
``stale_category_name`` (a product still carrying its category's old name). A small seed may
miss the one that shows, so :func:`plant` sets them where the scenario reads: every open
store's phone, and the name on the first product a menu category shows.
"""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.legacy.schema import t_member, t_order, t_product, t_product_sku, t_store

STORE_PHONES = ("021-62345678转8", "021-62345678,13812345678", "138 1234 5678", "13912345678")
STALE_CATEGORY = "凉菜小吃"


def plant(legacy_url: str) -> dict[str, object]:
    """Set the quirks in the legacy database; returns what was planted where."""
    s, p, k = t_store.c, t_product.c, t_product_sku.c
    engine = create_engine(legacy_url)
    try:
        with engine.begin() as conn:
            open_stores = conn.execute(
                sa.select(s.id).where(s.status == 1, s.is_deleted == 0).order_by(s.id)
            ).scalars()
            phones = {}
            for i, store_id in enumerate(open_stores):
                phones[store_id] = STORE_PHONES[i % len(STORE_PHONES)]
                conn.execute(
                    sa.update(t_store).where(s.id == store_id).values(phone=phones[store_id])
                )
            first = conn.execute(
                sa.select(p.id, p.category_id)
                .select_from(t_product.join(t_product_sku, k.product_id == p.id))
                .where(p.is_deleted == 0, p.status == 1, k.is_deleted == 0)
                .where(p.category_id.is_not(None))
                .order_by(p.category_id, p.sort, p.id)
                .limit(1)
            ).one()
            conn.execute(
                sa.update(t_product).where(p.id == first.id).values(category_name=STALE_CATEGORY)
            )
    finally:
        engine.dispose()
    return {"phones": phones, "stale_category": first.category_id}


def plant_duplicate_person(legacy_url: str) -> int:
    """Give a live member with a phone and two or more orders a second, phone-only App row
    (source 4) with the same mobile, and move its newest order to that row; returns the new
    member id (the migration merges it into the first)."""
    m, o = t_member.c, t_order.c
    engine = create_engine(legacy_url)
    try:
        with engine.begin() as conn:
            owner = conn.execute(
                sa.select(m.id, m.mobile, m.create_time)
                .select_from(t_member.join(t_order, o.member_id == m.id))
                .where(m.is_deleted == 0, m.mobile.is_not(None), o.del_flag == 0)
                .group_by(m.id, m.mobile, m.create_time)
                .having(sa.func.count() >= 2)
                .order_by(m.id)
                .limit(1)
            ).one()
            twin = conn.execute(sa.select(sa.func.max(m.id))).scalar_one() + 1
            conn.execute(
                sa.insert(t_member).values(
                    id=twin,
                    mobile=owner.mobile,
                    nickname="App用户",
                    source_channel=4,
                    create_time=owner.create_time,
                )
            )
            newest = conn.execute(
                sa.select(o.id).where(o.member_id == owner.id).order_by(o.id.desc()).limit(1)
            ).scalar_one()
            conn.execute(sa.update(t_order).where(o.id == newest).values(member_id=twin))
    finally:
        engine.dispose()
    return twin
