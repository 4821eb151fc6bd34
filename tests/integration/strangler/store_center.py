"""A real platform store center on loopback (its own SQLite database), for the directory tests.

Imported by module path (``from tests.integration.strangler.store_center import ...``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.integration.platform.platform_support import ThreadedServer
from zhongtai.config import load_settings


def store_body(store_id: int, code: str, *, mt: str | None, ele: str | None) -> dict:
    """The store center's create body for a store migrated from legacy id ``store_id``."""
    bindings = []
    if mt:
        bindings.append({"channel": "MEITUAN", "channel_store_id": mt})
    if ele:
        bindings.append({"channel": "ELEME", "channel_store_id": ele, "external_ref": f"o{ele}"})
    return {
        "store_code": code,
        "name": f"门店{code}",
        "legacy_id": store_id,
        "channel_bindings": bindings,
    }


@contextmanager
def serve_store_center(workspace: Path, stores: Sequence[dict] = ()) -> Iterator[ThreadedServer]:
    """The store center app alone, upgraded to head, holding ``stores`` (create bodies)."""
    from zhongtai.platform.http import create_center_app
    from zhongtai.platform.migrations import upgrade_center

    workspace.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workspace / 'store_center.db'}"
    settings = load_settings(workspace, env={"ZHONGTAI_DATABASES_STORE": url}, cwd=workspace)
    upgrade_center(settings, "store")
    app = create_center_app(settings, "store")
    with ThreadedServer(app) as server:
        for body in stores:
            created = httpx.post(f"{server.url}/stores", json=body, timeout=30)
            assert created.status_code == 201, created.text
        yield server
