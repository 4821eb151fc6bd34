"""A stand-in for the platform gateway in the proxy's integration tests (a real HTTP process).

It answers the legacy contract by asking the real legacy app (so a healthy twin agrees with
legacy, as the real gateway must), honours the shadow marker — a request carrying
``X-Zhongtai-Shadow: dry-run`` that writes is *not* passed on, and gets a dry-run answer — and
records every request it receives so tests can see exactly what the proxy sent. Faults can be
switched on to make it fail (status), disagree (mutate a JSON field) or be slow.

Switch the integration tests to the real platform gateway (``zhongtai serve platform``) once
it serves the legacy contract; only the recording and fault endpoints are test-only.

Run: ``python twin.py --port P --legacy http://127.0.0.1:L``
"""

from __future__ import annotations

import argparse
import asyncio
import json

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response

READS = {"GET", "HEAD", "OPTIONS"}


def create_app(legacy_url: str) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    seen: list[dict] = []
    fault: dict = {}
    client = httpx.AsyncClient(base_url=legacy_url, timeout=10)

    @app.get("/_twin/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/_twin/requests")
    async def requests() -> list[dict]:
        return seen

    @app.delete("/_twin/requests")
    async def forget() -> dict:
        seen.clear()
        return {"cleared": True}

    @app.post("/_twin/fault")
    async def set_fault(request: Request) -> dict:
        fault.clear()
        fault.update(await request.json())
        return fault

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    async def contract(request: Request, path: str) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        seen.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
            }
        )
        if fault.get("delay_ms"):
            await asyncio.sleep(fault["delay_ms"] / 1000)
        if fault.get("status"):
            return Response(b"twin fault", status_code=fault["status"])
        dry_run = headers.get("x-zhongtai-shadow") == "dry-run"
        if dry_run and request.method not in READS:
            data = {"code": 0, "msg": "ok", "data": {"dry_run": True}}
            return Response(json.dumps(data), media_type="application/json")
        forward = {
            k: v
            for k, v in headers.items()
            if k not in ("host", "content-length", "x-zhongtai-shadow")
        }
        resp = await client.request(
            request.method,
            request.url.path,
            params=request.url.query,
            content=body,
            headers=forward,
        )
        content = resp.content
        if fault.get("mutate") and resp.headers.get("content-type", "").startswith(
            "application/json"
        ):
            doc = resp.json()
            doc[fault["mutate"]] = "twin-was-here"
            content = json.dumps(doc, ensure_ascii=False).encode()
        keep = {k: v for k, v in resp.headers.items() if k.lower() == "content-type"}
        return Response(content, status_code=resp.status_code, headers=keep)

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--legacy", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.legacy), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
