"""The store center over real HTTP (uvicorn on loopback), on every engine."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.platform.platform_support import FIXED_NOW

SH0012 = {
    "store_code": "SH0012",
    "name": "人民广场店",
    "legacy_id": 12,
    "city": "上海",
    "address": "黄浦区人民大道 1 号",
    "phone": "+86 21-1234-5678",
    "geo": {"lng": 121.475, "lat": 31.232},
    "business_hours": "10:00-14:00,17:00-22:00",
    "channel_bindings": [
        {"channel": "MEITUAN", "channel_store_id": "mt_poi_12", "credential_ref": "vault://mt/12"},
        {"channel": "ELEME", "channel_store_id": "170012", "external_ref": "open_12"},
    ],
    "pos_binding": {"pos_store_code": "SH0012", "pos_vendor": "FREEMUD"},
}


@pytest.fixture(scope="module")
def store_api(shared_platform):
    with httpx.Client(base_url=f"{shared_platform.url}/centers/store", timeout=30) as client:
        created = client.post("/stores", json=SH0012)
        assert created.status_code == 201, created.text
        yield client


def test_created_store_is_normalised(store_api):
    body = store_api.get("/stores/12").json()
    assert body["phone"] == {
        "e164": "+862112345678",
        "extension": None,
        "masked": False,
        "text": "+86 21-1234-5678",  # as written: what a store list shows
    }
    assert body["geo"] == {"lng": 121.475, "lat": 31.232}  # DOUBLE, not FLOAT, on MariaDB
    assert body["business_hours"][1] == {"open": "17:00", "close": "22:00"}
    assert body["created_at"] == FIXED_NOW.isoformat()
    assert [b["channel"] for b in body["channel_bindings"]] == ["ELEME", "MEITUAN"]
    assert body["pos_binding"] == {"pos_store_code": "SH0012", "pos_vendor": "FREEMUD"}


@pytest.mark.parametrize(
    "query",
    [
        "legacy_id=12",
        "store_code=SH0012",
        "channel=MEITUAN&channel_store_id=mt_poi_12",
        "channel=ELEME&channel_store_id=170012",
    ],
)
def test_lookup_by_legacy_keys(store_api, query):
    r = store_api.get(f"/stores/lookup?{query}")
    assert r.status_code == 200 and r.json()["id"] == 12


def test_list_update_bind_and_delete(store_api):
    old = store_api.post(
        "/stores",
        json={
            "store_code": "BJ0077",
            "name": "旧店",
            "legacy_id": 77,
            "channel_bindings": [{"channel": "MEITUAN", "channel_store_id": "mt77"}],
        },
    )
    new = store_api.post("/stores", json={"store_code": "BJ0001", "name": "国贸店", "city": "北京"})
    new_id = new.json()["id"]
    assert new_id > 77 and old.json()["id"] == 77
    listed = store_api.get("/stores", params={"city": "北京"}).json()["items"]
    assert [s["id"] for s in listed] == [new_id]
    patched = store_api.patch("/stores/77", json={"name": "旧店二", "status": "CLOSED"})
    assert patched.json()["name"] == "旧店二" and patched.json()["status"] == "CLOSED"
    taken = store_api.put(f"/stores/{new_id}/channels/MEITUAN", json={"channel_store_id": "mt77"})
    assert taken.status_code == 409 and taken.json()["error"]["details"] == {"store_id": 77}
    assert store_api.delete("/stores/77/channels/MEITUAN").status_code == 200
    moved = store_api.put(f"/stores/{new_id}/channels/MEITUAN", json={"channel_store_id": "mt77"})
    assert moved.status_code == 200
    assert store_api.put(
        "/stores/77/pos", json={"pos_store_code": "P77", "pos_vendor": "X"}
    ).json()["pos_binding"] == {"pos_store_code": "P77", "pos_vendor": "X"}
    assert store_api.delete("/stores/77/pos").json()["pos_binding"] is None
    assert store_api.delete("/stores/77").json()["deleted_at"] == FIXED_NOW.isoformat()
    assert store_api.get("/stores/77").status_code == 404
    assert store_api.get("/stores/77", params={"include_deleted": True}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/stores", {"name": "x"}, 400, "INVALID_REQUEST"),
        ("POST", "/stores", {"store_code": "X 1", "name": "x"}, 400, "INVALID_INPUT"),
        ("POST", "/stores", {"store_code": "X1", "name": "x", "phone": "12"}, 400, "INVALID_PHONE"),
        ("POST", "/stores", {**SH0012, "legacy_id": 13}, 409, "STORE_CODE_TAKEN"),
        ("POST", "/stores", {**SH0012, "store_code": "X2"}, 409, "STORE_EXISTS"),
        ("PATCH", "/stores/12", {"name": None}, 400, "INVALID_INPUT"),
        ("PATCH", "/stores/999", {"name": "x"}, 404, "STORE_NOT_FOUND"),
        (
            "PUT",
            "/stores/12/channels/MEITUAN",
            {"channel_store_id": "m", "credential_ref": "tok"},
            400,
            "CREDENTIAL_NOT_A_REFERENCE",
        ),
        ("PUT", "/stores/12/channels/BAIDU", {"channel_store_id": "b"}, 400, "INVALID_REQUEST"),
        ("GET", "/stores/lookup?store_code=NOPE", None, 404, "STORE_NOT_FOUND"),
        ("GET", "/stores/lookup", None, 400, "INVALID_LOOKUP"),
        ("POST", "/stores", "not json", 400, "INVALID_REQUEST"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(store_api, method, path, body, status, code):
    before = store_api.get("/stores", params={"include_deleted": True}).json()
    if isinstance(body, str):
        r = store_api.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
    else:
        r = store_api.request(method, path, json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"]
    assert store_api.get("/stores", params={"include_deleted": True}).json() == before
