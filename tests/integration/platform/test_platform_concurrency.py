"""Concurrent writes through HTTP: no lost updates, no duplicates, no 500s (every engine)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest


@pytest.fixture(scope="module")
def client(shared_platform):
    with httpx.Client(base_url=f"{shared_platform.url}/centers", timeout=60) as c:
        yield c


def run_all(calls, workers: int = 8) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_concurrent_debits_never_overdraw(client):
    member = client.post("/member/members", json={"name": "并发"}).json()["id"]
    credit = {"request_id": f"c-{member}", "amount": 500, "reason": "充值"}
    assert client.post(f"/member/members/{member}/stored-value/transactions", json=credit)

    def debit(i: int):
        body = {"request_id": f"d-{member}-{i}", "amount": -100, "reason": "消费"}
        return lambda: client.post(f"/member/members/{member}/stored-value/transactions", json=body)

    answers = run_all([debit(i) for i in range(10)])
    codes = [r.status_code for r in answers]
    assert set(codes) <= {201, 409}, [r.text for r in answers if r.status_code not in (201, 409)]
    balance = client.get(f"/member/members/{member}/stored-value").json()["balance"]
    assert balance == 500 - 100 * codes.count(201) and balance >= 0
    assert codes.count(201) >= 1


def test_concurrent_creates_of_one_product_make_one_product(client):
    item = {
        "erp_code": "P7777",
        "name": "并发菜",
        "skus": [{"sku_code": "P7777", "list_price": 100}],
    }

    def upsert(i: int):
        return lambda: client.post(
            "/product/erp/upsert", json={"batch_id": f"C{i}", "items": [item]}
        )

    answers = run_all([upsert(i) for i in range(6)])
    ok = [r for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code != 200]
    assert ok and all(r.json()["error"]["code"] == "WRITE_CONFLICT" for r in refused), [
        r.text for r in refused
    ]
    spu_ids = {r.json()["items"][0]["spu_id"] for r in ok}
    assert len(spu_ids) == 1
    assert client.get("/product/spus/by-erp-code/P7777").json()["id"] in spu_ids


def test_concurrent_resolves_of_one_identity_make_one_member(client):
    body = {"identities": [{"kind": "ELEME_USER", "value": "race-1"}]}
    answers = run_all([lambda: client.post("/member/members/resolve", json=body)] * 6)
    ok = [r for r in answers if r.status_code in (200, 201)]
    assert all(r.json()["error"]["code"] == "WRITE_CONFLICT" for r in answers if r not in ok)
    assert len({r.json()["member"]["id"] for r in ok}) == 1
    found = client.get("/member/members/lookup", params={"kind": "ELEME_USER", "value": "race-1"})
    assert found.status_code == 200
