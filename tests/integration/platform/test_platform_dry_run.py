"""Shadow dry-run: every write kind of the store, product and member centers, sent with
``X-Zhongtai-Shadow: dry-run``, answers exactly what the real call answers and leaves every
center database byte-identical (full table dumps, sequences/AUTO_INCREMENT, SQLite file bytes).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.integration.platform.platform_support import dump_database, sqlite_file_bytes
from zhongtai.platform.center import available_centers
from zhongtai.platform.shadow import DRY_RUN_RESPONSE_HEADER, SHADOW_HEADER

DRY = {SHADOW_HEADER: "dry-run"}
STORE = {
    "store_code": "SH0012",
    "name": "人民广场店",
    "legacy_id": 12,
    "phone": "021-12345678",
    "channel_bindings": [{"channel": "MEITUAN", "channel_store_id": "mt12"}],
}
KUNGPAO = {
    "erp_code": "P0101",
    "name": "宫保鸡丁",
    "category_id": 1,
    "category_name": "热菜",
    "skus": [
        {
            "sku_code": "P0101-L",
            "list_price": 2800,
            "channel_codes": [{"channel": "MEITUAN", "food_code": "mt101"}],
        }
    ],
}


def seed(client: httpx.Client) -> dict:
    """Real writes the dry runs will work against; returns the ids they need."""
    ok = [
        client.post("/centers/store/stores", json=STORE),
        client.post("/centers/product/erp/upsert", json={"batch_id": "B1", "items": [KUNGPAO]}),
        client.post(
            "/centers/member/members",
            json={
                "legacy_id": 7,
                "name": "小王",
                "identities": [{"kind": "WX_OPENID", "value": "o7"}],
            },
        ),
        client.post(
            "/centers/member/members",
            json={"legacy_id": 8, "identities": [{"kind": "PHONE", "value": "13800138000"}]},
        ),
        client.post(
            "/centers/member/members/8/stored-value/transactions",
            json={"request_id": "t1", "amount": 900, "reason": "充值"},
        ),
    ]
    assert all(r.status_code in (200, 201) for r in ok), [r.text for r in ok]
    spu = client.get("/centers/product/spus/by-erp-code/P0101").json()
    return {"spu": spu["id"], "sku": spu["skus"][0]["id"]}


def operations(ids: dict) -> list[tuple[str, str, dict | None]]:
    """Every kind of write the three centers offer (some of them refused on purpose)."""
    sku, spu = ids["sku"], ids["spu"]
    rice = {"erp_code": "P0102", "name": "米饭", "skus": [{"sku_code": "P0102", "list_price": 200}]}
    mapping = {"channel": "ELEME", "channel_food_code": "e101", "store_id": 12}
    return [
        ("POST", "/centers/store/stores", {"store_code": "BJ0001", "name": "国贸店"}),
        ("POST", "/centers/store/stores", {"store_code": "SH0012", "name": "dup"}),  # 409
        ("PATCH", "/centers/store/stores/12", {"name": "人民广场旗舰店", "status": "CLOSED"}),
        ("PUT", "/centers/store/stores/12/channels/ELEME", {"channel_store_id": "e12"}),
        ("DELETE", "/centers/store/stores/12/channels/MEITUAN", None),
        ("PUT", "/centers/store/stores/12/pos", {"pos_store_code": "P12", "pos_vendor": "FM"}),
        ("DELETE", "/centers/store/stores/12/pos", None),
        (
            "POST",
            "/centers/product/erp/upsert",
            {"batch_id": "B2", "items": [rice, {**KUNGPAO, "name": "宫保鸡丁(辣)"}]},
        ),
        ("POST", "/centers/product/erp/upsert", {"batch_id": "B1", "items": [KUNGPAO]}),  # replay
        ("PUT", "/centers/product/categories/5", {"name": "饮品", "sort": 3}),
        ("PUT", f"/centers/product/stores/12/skus/{sku}", {"price": 2500, "sold_out": True}),
        ("PUT", "/centers/product/channel-mappings", {**mapping, "sku_id": sku}),
        ("POST", "/centers/product/channel-mappings/delete", mapping),
        ("POST", "/centers/member/members", {"name": "新会员", "phone": "13900139000"}),
        (
            "POST",
            "/centers/member/members/resolve",
            {"identities": [{"kind": "MEITUAN_USER", "value": "mt-1"}], "profile": {"name": "m"}},
        ),
        (
            "POST",
            "/centers/member/members/7/identities",
            {"identities": [{"kind": "WX_UNIONID", "value": "u7"}]},
        ),
        ("PATCH", "/centers/member/members/7", {"name": "王先生", "phone": "13700137000"}),
        (
            "POST",
            "/centers/member/members/8/stored-value/transactions",
            {"request_id": "t2", "amount": -300, "reason": "消费"},
        ),
        (
            "POST",
            "/centers/member/members/8/stored-value/transactions",
            {"request_id": "t3", "amount": -5000, "reason": "消费"},
        ),  # 409 insufficient
        ("POST", "/centers/member/members/7/merge", {"source_member_id": 8}),
        ("DELETE", f"/centers/product/spus/{spu}", None),
        ("DELETE", "/centers/store/stores/12", None),
    ]


def snapshot(settings, names=None) -> dict:
    names = names or available_centers()
    state = {n: dump_database(settings.database(n)) for n in names}
    if settings.database(names[0]).startswith("sqlite"):
        state["@bytes"] = {n: sqlite_file_bytes(settings.database(n)) for n in names}
    return state


def test_dry_runs_answer_for_real_and_change_no_byte(platform_server, platform_settings):
    with httpx.Client(base_url=platform_server.url, timeout=60) as client:
        ops = operations(seed(client))
        before = snapshot(platform_settings)

        # A concurrent burst of every kind of shadowed write at once.
        def shadow(op):
            method, path, body = op
            return client.request(method, path, json=body, headers=DRY)

        with ThreadPoolExecutor(max_workers=8) as pool:
            burst = list(pool.map(shadow, ops))
        assert all(r.headers.get(DRY_RUN_RESPONSE_HEADER) == "rolled-back" for r in burst)
        assert all(r.status_code < 500 for r in burst), [r.text for r in burst]
        assert snapshot(platform_settings) == before

        # One by one: the dry run's answer is the real call's answer, byte for byte.
        statuses = []
        for method, path, body in ops:
            center = [path.split("/")[2]]
            center_state = snapshot(platform_settings, center)
            dry = client.request(method, path, json=body, headers=DRY)
            assert snapshot(platform_settings, center) == center_state, f"dry {method} {path} wrote"
            real = client.request(method, path, json=body)
            assert DRY_RUN_RESPONSE_HEADER not in real.headers
            assert (dry.status_code, dry.content) == (real.status_code, real.content), (
                f"{method} {path}: dry {dry.status_code} {dry.text} != real {real.text}"
            )
            statuses.append(real.status_code)
        assert statuses.count(409) == 2 and all(s in (200, 201, 409) for s in statuses)
        assert snapshot(platform_settings) != before  # the real calls did write
