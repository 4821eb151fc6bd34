"""Where the store key directory comes from: the platform store center's HTTP API.

``GET {store center}/stores`` lists every live store with its id, legacy id, store code and
channel bindings (Meituan app_poi_code, Eleme shopId and openId). The strangler knows
upstreams, never databases, so this is the only way in; legacy's public ``GET /api/mp/stores``
lacks the channel ids and lists open stores only, so it cannot fill the directory.
"""

from __future__ import annotations

import httpx

from zhongtai.config import Settings, mask_url
from zhongtai.errors import UpstreamError

TIMEOUT = 30.0
HINT = "is the platform running (zhongtai serve platform)? or pass --from URL of a store center"


def default_store_center(settings: Settings) -> str:
    """The store center mounted in the platform app: ``{platform}/centers/store``."""
    return settings.url_for("platform") + "/centers/store"


def fetch_stores(base_url: str, *, transport: httpx.BaseTransport | None = None) -> list[dict]:
    """Every live store of the store center at ``base_url`` (its ``GET /stores`` items)."""
    url = base_url.rstrip("/") + "/stores"
    shown = mask_url(url)
    try:
        with httpx.Client(timeout=TIMEOUT, transport=transport) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        raise UpstreamError(
            f"the store center did not answer ({type(exc).__name__})", target=shown, hint=HINT
        ) from exc
    if response.status_code != 200:
        raise UpstreamError(
            f"the store center answered HTTP {response.status_code} to GET /stores",
            target=shown,
            hint=HINT,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UpstreamError(
            "the answer to GET /stores is not a store list ({'items': [...]})",
            target=shown,
            hint="point --from at a store center: the platform's /centers/store",
        )
    return items
