"""``zhongtai serve legacy`` as a child process: it starts, creates its schema and answers."""

from __future__ import annotations

import httpx

from zhongtai.serving import ServiceProcess, free_port


def test_serve_legacy_answers_health_and_the_contract(tmp_path):
    env = {"ZHONGTAI_DATABASES_LEGACY": f"sqlite:///{tmp_path / 'legacy.db'}"}
    with ServiceProcess("legacy", port=free_port(), workspace=tmp_path, env=env) as svc:
        assert httpx.get(f"{svc.url}/healthz").json() == {"status": "ok"}
        resp = httpx.post(f"{svc.url}/api/pos/orders/pull", json={"store_code": "SH0001"})
        assert resp.status_code == 404 and resp.json()["code"] == 40401
    assert (tmp_path / "legacy.db").exists()
