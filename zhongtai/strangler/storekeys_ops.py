"""What the CLI asks of the store key directory: refresh it, show it (plain data back).

``refresh_store_keys`` fetches the store list over HTTP first and builds the directory in
memory; only a complete, consistent directory is written (one transaction, version bumped,
refresh recorded), so a failed fetch or a conflicting alias changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from zhongtai.config import Settings, mask_url
from zhongtai.errors import ZhongtaiError
from zhongtai.strangler.decision import choose_side
from zhongtai.strangler.operations import open_state
from zhongtai.strangler.routes import Route
from zhongtai.strangler.stages import Stage
from zhongtai.strangler.state import operator_name
from zhongtai.strangler.storekeys import (
    STORE_KINDS,
    DirectoryError,
    StoreDirectory,
    aliases_from_stores,
    diff_aliases,
)
from zhongtai.strangler.storekeys_db import StoreKeyDB
from zhongtai.strangler.storekeys_source import default_store_center, fetch_stores

MAX_LISTED = 20  # store codes listed per route in the summary


class StoreKeyError(ZhongtaiError):
    """The store list cannot become the directory; nothing was written."""


def refresh_store_keys(
    settings: Settings,
    *,
    source: str | None = None,
    dry_run: bool = False,
    who: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> dict:
    """Load every store's aliases from the store center into the state database."""
    url = (source or default_store_center(settings)).rstrip("/")
    shown = mask_url(url)
    stores = fetch_stores(url, transport=transport)
    if not stores:
        raise StoreKeyError(
            f"the store center at {shown} lists no stores; the directory was left as it is",
            hint="backfill the stores first (zhongtai migrate backfill), or pass --from URL",
        )
    try:
        aliases = aliases_from_stores(stores)
    except DirectoryError as exc:
        raise StoreKeyError(f"{exc} (from {shown}); the directory was left as it is") from None
    counts = StoreDirectory(aliases).counts()
    with open_state(settings) as (store, _):
        db = StoreKeyDB(store.engine)
        db.create()
        changes = diff_aliases(db.load_directory().aliases, aliases).as_dict()
        version = None
        if not dry_run:
            version = db.replace(
                aliases,
                who=who or operator_name(),
                source=shown,
                stores=len(stores),
                counts=counts,
                changes=changes,
            )
    return {
        "source": shown,
        "stores": len(stores),
        "aliases": counts,
        "changes": changes,
        "version": version,
        "dry_run": dry_run,
    }


def on_platform_by_route(routes: Iterable[Route], codes: Iterable[str]) -> list[dict]:
    """For each store-keyed route past shadow: which stores it sends to the platform now."""
    codes = sorted(codes)
    out = []
    for route in routes:
        keyed = any(spec.kind in STORE_KINDS for spec in route.keys)
        if not keyed or route.stage not in (Stage.CANARY, Stage.PLATFORM, Stage.RETIRED):
            continue
        moved = [c for c in codes if choose_side(route, c) == "platform"]
        out.append(
            {
                "route": route.name,
                "group": route.group,
                "stage": route.label,
                "stores_on_platform": len(moved),
                "stores": len(codes),
                "codes": moved[:MAX_LISTED],
            }
        )
    return out


def store_keys_summary(settings: Settings) -> dict:
    """The directory as stored: version, last refresh, aliases per kind, learned orders, and
    which stores each store-keyed route sends to the platform."""
    with open_state(settings) as (store, _):
        db = StoreKeyDB(store.engine)
        db.create()
        directory = db.load_directory()
        summary = {
            "version": directory.version,
            "stores": len(directory.codes),
            "aliases": directory.counts(),
            "learned_orders": db.learned_count(),
            "last_refresh": db.last_refresh(),
        }
        routes = store.load_table().routes
    summary["routes"] = on_platform_by_route(routes, directory.codes)
    return summary
