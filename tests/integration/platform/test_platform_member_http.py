"""The member center over real HTTP (uvicorn on loopback), on every engine."""

from __future__ import annotations

import httpx
import pytest

WANG = {
    "legacy_id": 7,
    "name": "小王😀",  # 4-byte UTF-8: the legacy lost these under utf8; utf8mb4 keeps them
    "phone": "138-0013-8000",
    "gender": "MALE",
    "birthday": "1990-05-01",
    "level": 2,
    "points": 30,
    "register_store_id": 12,
    "source_channel": "MINI_PROGRAM",
    "identities": [{"kind": "WX_OPENID", "value": "o-7"}, {"kind": "WX_UNIONID", "value": "u-7"}],
}


@pytest.fixture(scope="module")
def api(shared_platform):
    with httpx.Client(base_url=f"{shared_platform.url}/centers/member", timeout=30) as client:
        r = client.post("/members", json=WANG)
        assert r.status_code == 201, r.text
        yield client


def test_member_with_identities(api):
    m = api.get("/members/7").json()
    assert m["name"] == "小王😀" and m["birthday"] == "1990-05-01"
    assert m["phone"] == {"e164": "+8613800138000", "extension": None, "masked": False}
    assert m["identities"] == [
        {"kind": "PHONE", "value": "+8613800138000"},
        {"kind": "WX_OPENID", "value": "o-7"},
        {"kind": "WX_UNIONID", "value": "u-7"},
    ]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("WX_OPENID", "o-7"), ("PHONE", "13800138000"), ("PHONE", "+86 138 0013 8000")],
)
def test_lookup_by_identity(api, kind, value):
    r = api.get("/members/lookup", params={"kind": kind, "value": value})
    assert r.status_code == 200 and r.json()["id"] == 7


def test_resolve_creates_once_then_finds(api):
    body = {
        "identities": [{"kind": "MEITUAN_USER", "value": "mt-9"}],
        "profile": {"name": "美团用户", "phone": "138****1234"},
    }
    first = api.post("/members/resolve", json=body)
    assert first.status_code == 201 and first.json()["created"]
    member = first.json()["member"]
    assert member["phone"]["masked"] and member["identities"] == [
        {"kind": "MEITUAN_USER", "value": "mt-9"}
    ]  # a masked phone identifies nobody
    second = api.post("/members/resolve", json=body)
    assert second.status_code == 200 and second.json()["member"]["id"] == member["id"]


def test_merge_and_stored_value(api):
    dup = api.post("/members", json={"identities": [{"kind": "ELEME_USER", "value": "e-7"}]}).json()
    topup = {"request_id": "topup-dup", "amount": 5000, "reason": "充值"}
    assert (
        api.post(f"/members/{dup['id']}/stored-value/transactions", json=topup).status_code == 201
    )
    replay = api.post(f"/members/{dup['id']}/stored-value/transactions", json=topup)
    assert replay.status_code == 200 and replay.json()["replayed"]
    merged = api.post("/members/7/merge", json={"source_member_id": dup["id"]}).json()
    assert {"kind": "ELEME_USER", "value": "e-7"} in merged["identities"]
    assert api.get("/members/7/stored-value").json() == {"member_id": 7, "balance": 5000}
    gone = api.get(f"/members/{dup['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["details"] == {"merged_into": 7}
    spend = {"request_id": "pay-1", "amount": -6000, "reason": "消费"}
    short = api.post("/members/7/stored-value/transactions", json=spend)
    assert short.status_code == 409 and short.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert api.get("/members/7/stored-value").json()["balance"] == 5000


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        (
            "POST",
            "/members",
            {"identities": [{"kind": "WX_OPENID", "value": "o-7"}]},
            409,
            "IDENTITY_TAKEN",
        ),
        ("POST", "/members", {"legacy_id": 7}, 409, "MEMBER_EXISTS"),
        ("POST", "/members", {"phone": "12345"}, 400, "INVALID_PHONE"),
        ("POST", "/members", {"birthday": "1990-13-01"}, 400, "INVALID_REQUEST"),
        (
            "POST",
            "/members",
            {"identities": [{"kind": "QQ", "value": "1"}]},
            400,
            "INVALID_REQUEST",
        ),
        (
            "POST",
            "/members/7/identities",
            {"identities": [{"kind": "PHONE", "value": "18449039731_7333"}]},
            400,
            "PHONE_NOT_IDENTIFYING",
        ),
        ("PATCH", "/members/7", {"gender": None}, 400, "INVALID_INPUT"),
        ("GET", "/members/424242", None, 404, "MEMBER_NOT_FOUND"),
        ("GET", "/members/lookup?kind=WX_OPENID&value=nobody", None, 404, "MEMBER_NOT_FOUND"),
        ("POST", "/members/7/merge", {"source_member_id": 7}, 400, "INVALID_INPUT"),
        (
            "POST",
            "/members/7/stored-value/transactions",
            {"request_id": "z", "amount": 1.5},
            400,
            "INVALID_REQUEST",
        ),
        (
            "POST",
            "/members/7/stored-value/transactions",
            {"request_id": "z", "amount": 0},
            400,
            "INVALID_INPUT",
        ),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(api, method, path, body, status, code):
    before = api.get("/members/7").json(), api.get("/members/7/stored-value").json()
    r = api.request(method, path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]
    assert (api.get("/members/7").json(), api.get("/members/7/stored-value").json()) == before
