"""POS paging and store checks, admin search and the ERP product import, via real HTTP."""

from __future__ import annotations

import sqlalchemy as sa
from legacy_fixtures import MT_TOKEN, meituan_new, order_row, platform_order_id, snapshot

from zhongtai.legacy.schema import t_erp_sync_log, t_product, t_product_sku


def push_new(legacy, poi, **extra):
    oid = platform_order_id()
    resp = legacy.http.post("/api/channel/meituan/new", data=meituan_new(oid, poi=poi, **extra))
    assert resp.status_code == 200, resp.text
    return order_row(legacy.engine, channel_order_id=oid)


def pull(legacy, store_code, page_size):
    resp = legacy.http.post(
        "/api/pos/orders/pull",
        json={"store_code": store_code, "pos_id": "P1", "page_size": page_size},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def test_pos_pull_pages_oldest_first_with_iscontinue(legacy):
    orders = [push_new(legacy, "mt-poi-bj") for _ in range(5)]
    first, second, third = (
        pull(legacy, "BJ0101", 2),
        pull(legacy, "BJ0101", 2),
        pull(legacy, "BJ0101", 2),
    )
    assert [o["order_no"] for o in first["orders"]] == [o["order_no"] for o in orders[:2]]
    assert [o["order_no"] for o in second["orders"]] == [o["order_no"] for o in orders[2:4]]
    assert [o["order_no"] for o in third["orders"]] == [orders[4]["order_no"]]
    assert (first["iscontinue"], second["iscontinue"], third["iscontinue"]) == (1, 1, 0)
    assert pull(legacy, "BJ0101", 2) == {"iscontinue": 0, "orders": []}
    pulled = order_row(legacy.engine, order_no=orders[0]["order_no"])
    assert pulled["pos_sync_status"] == 1 and pulled["pos_pull_time"]
    o = first["orders"][0]
    # Meituan: 2 × 30.0 + 1 × 5.55 → 6555 fen of products; money in fen, platform delivery.
    assert (o["products_fee"], o["shop_fee"], o["total_fee"], o["service_fee"]) == (
        6555,
        200,
        6655,
        480,
    )
    assert (o["discount_fee"], o["dis_shop_fee"], o["dis_platform_fee"]) == (500, 300, 200)
    assert (o["delivery_type"], o["order_index"], o["create_time"]) == (1, 17, 1764561600)
    assert [p["sku_code"] for p in o["products"]] == ["P0001-L", "mt-unknown"]
    resp = legacy.http.post("/api/pos/orders/pull", json={"store_code": "SH0101", "page_size": 51})
    assert resp.status_code == 400 and "page_size" in resp.json()["msg"]
    resp = legacy.http.post("/api/pos/orders/pull", json={"store_code": "ZZ9999"})
    assert resp.status_code == 404 and resp.json()["code"] == 40401


def test_pos_checks_the_store_and_the_state_machine(legacy):
    order = push_new(legacy, "mt-poi-a")
    before = snapshot(legacy.engine)
    body = {"store_code": "SH0102", "order_no": order["order_no"], "ticket_no": "T1"}
    resp = legacy.http.post("/api/pos/orders/ack", json=body)
    assert resp.status_code == 409 and resp.json()["code"] == 40903
    body = {"store_code": "SH0101", "order_no": order["order_no"], "progress": "completed"}
    resp = legacy.http.post("/api/pos/orders/progress", json=body)
    assert resp.status_code == 409 and resp.json()["code"] == 40901
    assert "allowed next" in resp.json()["msg"]
    body = {"store_code": "SH0101", "order_no": order["order_no"], "progress": "flying"}
    resp = legacy.http.post("/api/pos/orders/progress", json=body)
    assert resp.status_code == 400 and "progress" in resp.json()["msg"]
    assert snapshot(legacy.engine) == before

    ack = {"store_code": "SH0101", "order_no": order["order_no"], "ticket_no": "T7"}
    assert legacy.http.post("/api/pos/orders/ack", json=ack).json()["data"]["status"] == 2
    # Meituan's own "confirmed" arrives after the POS accepted: acknowledged, no change.
    resp = legacy.http.post(
        "/api/channel/meituan/confirmed",
        data={"order_id": order["channel_order_id"], "app_poi_code": "mt-poi-a"},
    )
    assert resp.json() == {"data": "ok"}
    assert order_row(legacy.engine, order_no=order["order_no"])["status"] == 2
    cancel = {"store_code": "SH0101", "order_no": order["order_no"], "reason": "缺货"}
    assert legacy.http.post("/api/pos/orders/cancel", json=cancel).json()["data"]["status"] == 6


def test_admin_search_matches_phones_across_formats(legacy):
    a = push_new(legacy, "mt-poi-b", recipient_phone="+86 139-1234-5678")
    b = push_new(legacy, "mt-poi-b", recipient_phone="13912345678_1234")
    c = push_new(legacy, "mt-poi-b", recipient_phone="139 1234 5678,021-5555")
    push_new(legacy, "mt-poi-b", recipient_phone="139****5678")  # masked: cannot match
    resp = legacy.http.get(
        "/api/admin/orders",
        params={"phone": "86-139 1234 5678", "store_code": "SH0102", "status": "", "size": 50},
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert MT_TOKEN not in resp.text
    assert [row["order_no"] for row in data["items"]] == [
        c["order_no"],
        b["order_no"],
        a["order_no"],
    ]
    assert data["total"] == 3 and (data["page"], data["size"]) == (1, 50)
    page2 = legacy.http.get(
        "/api/admin/orders", params={"phone": "13912345678", "size": 2, "page": 2}
    ).json()["data"]
    assert [row["order_no"] for row in page2["items"]] == [a["order_no"]]
    dated = legacy.http.get(
        "/api/admin/orders",
        params={"phone": "13912345678", "date_from": "2025-12-02", "channel": 1},
    ).json()["data"]
    assert dated["total"] == 0  # the pushes carry ctime 2025-12-01 12:00
    for params, word in (({"phone": "139"}, "phone"), ({"date_to": "2025/12/01"}, "date_to")):
        resp = legacy.http.get("/api/admin/orders", params=params)
        assert resp.status_code == 400 and word in resp.json()["msg"]


def test_admin_product_upsert_inserts_then_updates(legacy):
    body = {
        "erp_code": "P0100",
        "name": "水煮鱼",
        "category_id": 1,
        "category_name": "热菜",
        "price": 58.0,
        "status": 1,
        "skus": [
            {
                "sku_code": "P0100-L",
                "spec_name": "大份",
                "price": 58.0,
                "box_num": 1,
                "box_price": 2.0,
                "mt_app_food_code": "mt-fish",
                "ele_item_id": "ele-fish",
            },
        ],
    }
    resp = legacy.http.post("/api/admin/products/upsert", json=body)
    assert resp.status_code == 200, resp.text
    first = resp.json()["data"]
    assert first["action"] == "INSERT" and first["skus"] == 1
    body["name"], body["price"] = "水煮鱼(新)", 61.5
    body["skus"][0]["price"] = 61.5
    body["skus"].append({"sku_code": "P0100-S", "spec_name": "小份", "price": 39.9})
    second = legacy.http.post("/api/admin/products/upsert", json=body).json()["data"]
    assert second == {"product_id": first["product_id"], "action": "UPDATE", "skus": 2}
    with legacy.engine.connect() as conn:
        products = conn.execute(
            sa.select(t_product.c.name, t_product.c.price).where(t_product.c.erp_code == "P0100")
        ).all()
        skus = conn.execute(
            sa.select(t_product_sku.c.sku_code, t_product_sku.c.price)
            .where(t_product_sku.c.product_id == first["product_id"])
            .order_by(t_product_sku.c.sku_code)
        ).all()
        log = (
            conn.execute(
                sa.select(t_erp_sync_log.c.action)
                .where(t_erp_sync_log.c.erp_code == "P0100")
                .order_by(t_erp_sync_log.c.id)
            )
            .scalars()
            .all()
        )
    assert [(n, float(p)) for n, p in products] == [("水煮鱼(新)", 61.5)]
    assert [tuple(s) for s in skus] == [("P0100-L", 61.5), ("P0100-S", 39.9)]
    assert log == ["INSERT", "UPDATE"]
    menu = legacy.http.get(f"/api/mp/stores/{legacy.ids['store_a']}/menu").json()["data"]
    names = [p["name"] for c in menu["categories"] for p in c["products"]]
    assert "水煮鱼(新)" in names
    before = snapshot(legacy.engine)
    resp = legacy.http.post("/api/admin/products/upsert", json={**body, "price": -1})
    assert resp.status_code == 400 and "price" in resp.json()["msg"]
    assert snapshot(legacy.engine) == before


def test_concurrent_imports_of_a_new_product_insert_it_once(legacy):
    import threading

    body = {
        "erp_code": "P0200",
        "name": "冰粉",
        "price": 6.0,
        "skus": [{"sku_code": "P0200-R", "spec_name": "常规", "price": 6.0}],
    }
    barrier = threading.Barrier(4)
    actions: list[str] = []

    def upsert():
        barrier.wait()
        resp = legacy.http.post("/api/admin/products/upsert", json=body)
        actions.append(resp.json()["data"]["action"])

    threads = [threading.Thread(target=upsert) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(actions) == ["INSERT", "UPDATE", "UPDATE", "UPDATE"]
    with legacy.engine.connect() as conn:
        ids = (
            conn.execute(sa.select(t_product.c.id).where(t_product.c.erp_code == "P0200"))
            .scalars()
            .all()
        )
        skus = conn.execute(
            sa.select(sa.func.count())
            .select_from(t_product_sku)
            .where(t_product_sku.c.sku_code == "P0200-R")
        ).scalar_one()
    assert len(ids) == 1 and skus == 1
