"""`zhongtai serve platform` as a real process: one-process layout, --split, CenterClients."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from zhongtai.errors import UpstreamError
from zhongtai.platform.center import available_centers
from zhongtai.platform.clients import CenterCallError, CenterClients
from zhongtai.serving import ServiceProcess, free_port

SQLITE = pytest.mark.parametrize("engine_name", ["sqlite"])  # serving is engine-agnostic


class Platform(ServiceProcess):
    """``zhongtai serve platform``; a failed start shows the processes' log."""

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        try:
            return super().start(timeout)
        except Exception as exc:
            log = self.log_dir / "platform.log"
            text = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
            raise AssertionError(f"{exc}\n--- platform.log ---\n{text}") from exc


def serve(center_urls, tmp_path, *extra: str) -> ServiceProcess:
    env = {f"ZHONGTAI_DATABASES_{n.upper()}": url for n, url in center_urls.items()}
    return Platform(
        "platform",
        port=free_port(),
        env=env,
        workspace=tmp_path,
        log_dir=tmp_path / "logs",
        extra_args=list(extra),
    )


async def exercise(urls: dict[str, str]) -> None:
    async with CenterClients(urls) as clients:
        store = await clients["store"].post("/stores", json={"store_code": "C1", "name": "c"})
        assert (await clients["store"].get(f"/stores/{store['id']}"))["store_code"] == "C1"
        shadow = await clients.dry_run()["store"].patch(
            f"/stores/{store['id']}", json={"name": "d"}
        )
        assert shadow["name"] == "d"
        assert (await clients["store"].get(f"/stores/{store['id']}"))["name"] == "c"
        with pytest.raises(CenterCallError) as err:
            await clients["store"].get("/stores/424242")
        assert (err.value.status, err.value.code) == (404, "STORE_NOT_FOUND")


@SQLITE
def test_one_process_layout_upgrades_and_serves_every_center(center_urls, tmp_path):
    with serve(center_urls, tmp_path) as proc:
        health = httpx.get(f"{proc.url}/healthz").json()
        assert health["layout"] == "one-process"
        assert health["centers"] == {n: f"{proc.url}/centers/{n}" for n in available_centers()}
        for name in available_centers():
            assert httpx.get(f"{proc.url}/centers/{name}/healthz").json()["center"] == name
        asyncio.run(exercise(health["centers"]))


@SQLITE
def test_split_layout_runs_each_center_in_its_own_process(center_urls, tmp_path):
    with serve(center_urls, tmp_path, "--split") as proc:
        health = httpx.get(f"{proc.url}/healthz").json()
        urls = health["centers"]
        assert health["layout"] == "split" and set(urls) == set(available_centers())
        assert len({u.rsplit(":", 1)[1] for u in urls.values()}) == len(urls)  # own ports
        asyncio.run(exercise(urls))  # straight to the centers
        via = {n: f"{proc.url}/centers/{n}" for n in urls}
        asyncio.run(_via_parent(via))  # through the parent's forwarders
    # stopping the platform stops its centers
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alive = [u for u in urls.values() if _answers(u)]
        if not alive:
            break
        time.sleep(0.2)
    assert alive == []


async def _via_parent(via: dict[str, str]) -> None:
    async with CenterClients(via) as clients:
        store = await clients["store"].post("/stores", json={"store_code": "V1", "name": "v"})
        dry = await clients.dry_run()["store"].delete(f"/stores/{store['id']}")
        assert dry["deleted_at"] is not None
        assert (await clients["store"].get(f"/stores/{store['id']}"))["deleted_at"] is None


def _answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/healthz", timeout=1)
        return True
    except httpx.HTTPError:
        return False


def test_a_stopped_platform_is_reported_as_upstream_error():
    async def call() -> None:
        async with CenterClients({"store": f"http://127.0.0.1:{free_port()}"}) as clients:
            await clients["store"].get("/stores/1")

    with pytest.raises(UpstreamError, match="store center did not answer"):
        asyncio.run(call())
