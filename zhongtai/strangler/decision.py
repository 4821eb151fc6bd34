"""Where one request goes, and whether it is shadowed (pure).

``choose_side`` applies the route's stage: legacy and shadow answer from legacy, platform from
the platform, canary by the sticky bucket of the request's key; a signed ``X-Zhongtai-Side``
wins over all of them. ``plan_shadow`` says when a legacy-served request is copied to the
platform: reads after the primary answered (so the client never waits for it), writes
*alongside* the primary — the dry-run copy leaves before legacy commits, so both sides judge
the same state instead of the platform seeing legacy's write arrive through data sync first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from zhongtai.strangler.bucketing import on_platform
from zhongtai.strangler.routes import READ_METHODS, Route
from zhongtai.strangler.stages import Stage

AFTER = "after"
ALONGSIDE = "alongside"


def choose_side(route: Route, key: str | None, forced: str | None = None) -> str:
    """``legacy`` or ``platform`` for a request of ``route`` carrying ``key``."""
    if forced in ("legacy", "platform"):
        return forced
    if route.stage in (Stage.PLATFORM, Stage.RETIRED):
        return "platform"
    if route.stage is Stage.CANARY:
        if key is None:
            return route.unkeyed
        return (
            "platform"
            if on_platform(route.group, route.salt, key, route.percent or 0)
            else "legacy"
        )
    return "legacy"


def plan_shadow(route: Route, method: str, side: str) -> str | None:
    """``after``, ``alongside`` or None: when to send the platform a dry-run copy."""
    if side != "legacy" or route.stage not in (Stage.SHADOW, Stage.CANARY):
        return None
    if method.upper() in READ_METHODS:
        return AFTER
    return ALONGSIDE if route.shadow_writes else None


def want_aa(route: Route, method: str, shadow: str | None, default_rate: float, rng=random) -> bool:
    """Sample this read for an A/A pair (legacy twice) to measure field noise?"""
    if shadow != AFTER or method.upper() not in READ_METHODS:
        return False
    rate = default_rate if route.aa_rate is None else route.aa_rate
    return rate > 0 and rng.random() < rate


@dataclass
class Decision:
    """What the router decided for one flow; kept in ``flow.metadata``."""

    route: Route
    params: dict[str, str] = field(default_factory=dict)
    key: str | None = None
    side: str = "legacy"  # legacy | platform | proxy (answered by the proxy itself)
    forced: bool = False
    shadow: str | None = None
    aa: bool = False
    fell_back: bool = False
    teach: list[tuple[str, str, str]] = field(default_factory=list)  # learn once answered
    primary: object = None  # asyncio.Future of the primary Reply, for shadows sent alongside
