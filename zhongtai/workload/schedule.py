"""When requests arrive and which client sends each one (pure).

The generator is open-loop: arrivals follow a Poisson process at the requested rate whatever
the target does, so a slow target builds a queue instead of quietly slowing the load (the
coordinated-omission trap). Each arrival is given to one client kind drawn from the mix.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

# Share of arrivals per client kind. Follow-ups (payment notifies, status pushes, POS steps)
# are taken from these shares too, so the overall rate stays the one asked for.
MIX: dict[str, float] = {
    "meituan": 0.17,  # Meituan pushes: new orders, status changes, refunds, re-pushes
    "eleme": 0.13,  # Eleme pushes, likewise
    "mp": 0.34,  # mini-program / App: stores, menus, orders, WeChat notifies, queries
    "pos": 0.26,  # store POS: pull, ack with a ticket, making -> ready -> completed
    "pull": 0.04,  # compensation pulls, some after a deliberately lost push
    "admin": 0.06,  # admin order search
}
CLIENTS = tuple(MIX)


def arrival_offsets(rps: float, duration: float, rng: random.Random) -> list[float]:
    """Seconds from the start at which requests are due: a Poisson process of rate ``rps``."""
    if rps <= 0 or duration <= 0:
        raise ValueError(f"rate {rps!r}/s and duration {duration!r}s must both be positive")
    offsets: list[float] = []
    t = rng.expovariate(rps)
    while t < duration:
        offsets.append(t)
        t += rng.expovariate(rps)
    return offsets


def effective_mix(mix: Mapping[str, float], *, without: set[str] | frozenset = frozenset()):
    """The mix minus the clients that cannot run, renormalised to sum to 1."""
    kept = {k: w for k, w in mix.items() if k not in without and w > 0}
    if not kept:
        raise ValueError(f"no client kind left to run (removed {sorted(without)})")
    total = sum(kept.values())
    return {k: w / total for k, w in kept.items()}


def assign_clients(count: int, mix: Mapping[str, float], rng: random.Random) -> list[str]:
    """The client kind of each of ``count`` arrivals, drawn from ``mix``."""
    kinds = list(mix)
    return rng.choices(kinds, weights=[mix[k] for k in kinds], k=count)
