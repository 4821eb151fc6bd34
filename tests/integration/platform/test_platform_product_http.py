"""The product center over real HTTP (uvicorn on loopback), on every engine."""

from __future__ import annotations

import httpx
import pytest

KUNGPAO = {
    "erp_code": "P0101",
    "name": "宫保鸡丁",
    "category_id": 1,
    "category_name": "热菜",
    "unit": "份",
    "skus": [
        {
            "sku_code": "P0101-L",
            "spec": "大份",
            "list_price": 2800,
            "box_qty": 1,
            "box_price": 100,
            "channel_codes": [{"channel": "MEITUAN", "food_code": "mt101L"}],
        },
        {
            "sku_code": "P0101-S",
            "spec": "小份",
            "list_price": 1800,
            "channel_codes": [{"channel": "ELEME", "food_code": "e101", "channel_sku_id": "es1"}],
        },
    ],
}
RICE = {
    "erp_code": "P0102",
    "name": "米饭",
    "category_id": 2,
    "category_name": "主食",
    "skus": [{"sku_code": "P0102", "list_price": 200}],
}


@pytest.fixture(scope="module")
def api(shared_platform):
    with httpx.Client(base_url=f"{shared_platform.url}/centers/product", timeout=30) as client:
        r = client.post("/erp/upsert", json={"batch_id": "B1", "items": [KUNGPAO, RICE]})
        assert r.status_code == 200, r.text
        client.first_batch = r.json()
        yield client


def sku_ids(api, erp_code: str) -> dict[str, int]:
    return {s["sku_code"]: s["id"] for s in api.get(f"/spus/by-erp-code/{erp_code}").json()["skus"]}


def test_erp_upsert_is_idempotent_by_batch_id(api):
    assert [(i["erp_code"], i["action"], i["skus"]) for i in api.first_batch["items"]] == [
        ("P0101", "INSERT", 2),
        ("P0102", "INSERT", 1),
    ]
    again = api.post("/erp/upsert", json={"batch_id": "B1", "items": [KUNGPAO, RICE]}).json()
    assert again == {**api.first_batch, "replayed": True}
    reused = api.post("/erp/upsert", json={"batch_id": "B1", "items": [RICE]})
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "BATCH_ID_REUSED"


def test_menu_applies_store_overrides(api):
    ids = sku_ids(api, "P0101")
    assert api.put(f"/stores/12/skus/{ids['P0101-L']}", json={"price": 2500}).status_code == 200
    assert api.put(f"/stores/12/skus/{ids['P0101-S']}", json={"sold_out": True}).json()["sold_out"]
    rice = sku_ids(api, "P0102")["P0102"]
    assert api.put(f"/stores/12/skus/{rice}", json={"on_sale": False}).status_code == 200
    menu = api.get("/stores/12/menu").json()
    assert [c["name"] for c in menu["categories"]] == ["热菜"]  # rice is off sale here
    skus = menu["categories"][0]["products"][0]["skus"]
    assert [(s["sku_code"], s["price"], s["sold_out"]) for s in skus] == [
        ("P0101-L", 2500, False),
        ("P0101-S", 1800, True),
    ]
    other = api.get("/stores/13/menu").json()
    assert [c["name"] for c in other["categories"]] == ["热菜", "主食"]
    views = api.get("/stores/12/skus", params={"ids": f"{rice},{ids['P0101-L']},424242"}).json()
    assert [(v["sku_code"], v["available"]) for v in views["items"]] == [
        ("P0102", False),
        ("P0101-L", True),
    ]
    assert views["missing"] == [424242]


def test_resolve_channel_codes_and_store_specific_mappings(api):
    ids = sku_ids(api, "P0101")
    body = {
        "channel": "MEITUAN",
        "store_id": 14,
        "items": [{"channel_food_code": "mt101L"}, {"channel_food_code": "unknown"}],
    }
    found = api.post("/channel-mappings/resolve", json=body).json()["items"]
    assert found[0]["sku"]["sku_id"] == ids["P0101-L"] and found[1] == {
        "channel_food_code": "unknown",
        "channel_sku_id": None,
        "mapped": False,
        "sku": None,
    }
    mapping = {"channel": "MEITUAN", "channel_food_code": "mt101L", "store_id": 14}
    put = api.put("/channel-mappings", json={**mapping, "sku_id": ids["P0101-S"]})
    assert put.json()["key"] == "MEITUAN|14|mt101L|*"
    here = api.post("/channel-mappings/resolve", json=body).json()["items"][0]["sku"]["sku_id"]
    assert here == ids["P0101-S"]
    assert api.post("/channel-mappings/delete", json=mapping).json()["removed"]
    assert api.post("/channel-mappings/delete", json=mapping).status_code == 404
    eleme = {"channel": "ELEME", "items": [{"channel_food_code": "e101", "channel_sku_id": "es1"}]}
    assert api.post("/channel-mappings/resolve", json=eleme).json()["items"][0]["mapped"]


def test_erp_update_and_delete(api):
    item = {**RICE, "name": "香米饭", "skus": [{"sku_code": "P0102", "list_price": 250}]}
    result = api.post("/erp/upsert", json={"batch_id": "B2", "items": [item]}).json()
    assert result["items"][0]["action"] == "UPDATE"
    spu = api.get("/spus/by-erp-code/P0102").json()
    assert spu["name"] == "香米饭" and spu["skus"][0]["list_price"] == 250
    assert spu["last_batch_id"] == "B2"
    assert api.delete(f"/spus/{spu['id']}").status_code == 200
    assert api.get(f"/spus/{spu['id']}").status_code == 404
    revived = api.post("/erp/upsert", json={"batch_id": "B3", "items": [item]}).json()
    assert revived["items"][0]["spu_id"] == spu["id"]  # the ERP brings it back, same id
    assert api.get(f"/spus/{spu['id']}").json()["deleted_at"] is None


def _item(**kw) -> dict:
    return {
        "erp_code": "P0900",
        "name": "测试",
        "skus": [{"sku_code": "P0900", "list_price": 100}],
        **kw,
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        (
            "POST",
            "/erp/upsert",
            {"batch_id": "X1", "items": [_item(skus=[{"sku_code": "P0900", "list_price": 12.5}])]},
            400,
            "INVALID_REQUEST",
        ),
        (
            "POST",
            "/erp/upsert",
            {"batch_id": "X1", "items": [_item(skus=[{"sku_code": "P0900", "list_price": -1}])]},
            400,
            "INVALID_REQUEST",
        ),
        (
            "POST",
            "/erp/upsert",
            {"batch_id": "X1", "items": [_item(category_id=99)]},
            400,
            "CATEGORY_NOT_FOUND",
        ),
        (
            "POST",
            "/erp/upsert",
            {"batch_id": "X1", "items": [_item(skus=[{"sku_code": "P0101-L", "list_price": 1}])]},
            409,
            "SKU_CODE_TAKEN",
        ),
        ("POST", "/erp/upsert", {"batch_id": "X1", "items": []}, 400, "INVALID_INPUT"),
        ("POST", "/erp/upsert", {"batch_id": "X 1", "items": [_item()]}, 400, "INVALID_INPUT"),
        ("PUT", "/stores/12/skus/424242", {"price": 1}, 404, "SKU_NOT_FOUND"),
        ("PUT", "/stores/12/skus/1", {"sold_out": None}, 400, "INVALID_INPUT"),
        ("GET", "/stores/12/skus?ids=a,b", None, 400, "INVALID_INPUT"),
        ("GET", "/spus/by-erp-code/NOPE", None, 404, "SPU_NOT_FOUND"),
        (
            "PUT",
            "/channel-mappings",
            {"channel": "MEITUAN", "channel_food_code": "z", "sku_id": 424242},
            404,
            "SKU_NOT_FOUND",
        ),
        (
            "POST",
            "/channel-mappings/resolve",
            {"channel": "BAIDU", "items": [{"channel_food_code": "z"}]},
            400,
            "INVALID_REQUEST",
        ),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(api, method, path, body, status, code):
    before = api.get("/stores/12/menu").json(), api.get("/stores/13/menu").json()
    r = api.request(method, path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]
    assert (api.get("/stores/12/menu").json(), api.get("/stores/13/menu").json()) == before
    assert api.get("/spus/by-erp-code/P0900").status_code == 404
