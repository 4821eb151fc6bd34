"""Which stores' traffic is on the platform — the proxy's own decision, replayed (pure).

Which stores the proxy sends to the platform *now*, asked with the proxy's own code
(:func:`zhongtai.strangler.decision.choose_side`: stage, then the sticky canary bucket of the
key) over the routes keyed by a store. A store is on the platform when **any** such route
sends it there: then some of its writes may land there.

Reverse sync does not use this to decide what goes back — every write the platform committed
does, since a store rolled back a moment ago left writes there that legacy must get — but to
report the rows it writes back for stores no longer on the platform (the late writes of a
rollback).

Routes name their key by group (``routes.toml``): the store code (read out of order numbers),
the store id, the Meituan poi code, the Eleme shop id. :data:`STORE_KEY_GROUPS` says which
store attribute each group's key is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zhongtai.legacy.order_no import ORDER_NO
from zhongtai.strangler.decision import choose_side
from zhongtai.strangler.routes import Route

# route group → the StoreKeys attribute its sticky key holds
STORE_KEY_GROUPS: Mapping[str, str] = {
    "store_code": "code",
    "store_id": "id",
    "mt_poi": "mt_poi",
    "ele_shop": "ele_shop",
}


@dataclass(frozen=True)
class StoreKeys:
    """The keys one store is known by on the different routes."""

    id: int
    code: str
    mt_poi: str | None = None
    ele_shop: str | None = None


def store_code_in(order_no: str | None) -> str | None:
    """The store code an order number embeds, or None for numbers not made that way."""
    match = ORDER_NO.match(order_no or "")
    return match.group("store") if match else None


class Scope:
    """Decides, for a store, whether the routes send any of its traffic to the platform."""

    def __init__(
        self, routes: Iterable[Route], groups: Mapping[str, str] = STORE_KEY_GROUPS
    ) -> None:
        self.routes = [r for r in routes if r.group in groups]
        self.groups = dict(groups)

    def on_platform(self, store: StoreKeys) -> bool:
        for route in self.routes:
            key = getattr(store, self.groups[route.group])
            if key is not None and choose_side(route, str(key)) == "platform":
                return True
        return False

    def describe(self) -> str:
        moved = [r for r in self.routes if r.stage.value != "legacy"]
        described = ", ".join(f"{r.name} {r.label}" for r in moved)
        return described or "every store-keyed route on legacy"
