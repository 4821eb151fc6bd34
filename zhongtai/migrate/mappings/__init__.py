"""The reference mappings of the legacy O2O monolith onto the five centers, and their registry.

One module per legacy table group → center; each exposes ``MAPPINGS`` (in dependency order).
``zhongtai migrate backfill`` runs them in the order of :data:`MODULES`, so parents (stores,
products, members) land before the rows that refer to them (orders, payments).
"""

from __future__ import annotations

import importlib

from zhongtai.errors import ConfigError
from zhongtai.migrate.mapping import Mapping

MODULES = ("stores", "products", "members", "orders", "payments")
PACKAGE = __name__


def all_mappings() -> dict[str, Mapping]:
    """Every reference mapping by name, in backfill order."""
    found: dict[str, Mapping] = {}
    for module in MODULES:
        for mapping in importlib.import_module(f"{PACKAGE}.{module}").MAPPINGS:
            found[mapping.name] = mapping
    return found


def resolve(names: list[str] | tuple[str, ...] | None) -> list[Mapping]:
    """The named mappings in backfill order (all of them when ``names`` is empty).

    A group name (``stores``, ``products``, ``members``, ``orders``, ``payments``) selects every
    mapping of that group, even where one mapping shares the group's name; any other name
    selects one mapping (``skus``, ``channel_pushes``). Unknown names raise ConfigError listing
    the known ones, before anything runs.
    """
    known = all_mappings()
    if not names:
        return list(known.values())
    wanted: set[str] = set()
    unknown = []
    for name in names:
        if name in MODULES:
            wanted.update(m.name for m in importlib.import_module(f"{PACKAGE}.{name}").MAPPINGS)
        elif name in known:
            wanted.add(name)
        else:
            unknown.append(name)
    if unknown:
        raise ConfigError(
            f"unknown mapping(s): {', '.join(unknown)}",
            hint=f"choose from: {', '.join(known)} (or a group: {', '.join(MODULES)})",
        )
    return [m for name, m in known.items() if name in wanted]


def locate(mapping: Mapping) -> tuple[str, str]:
    """(module, name) by which a worker process finds ``mapping`` again."""
    module = mapping.transform.__module__
    mod = importlib.import_module(module)
    if not any(m.name == mapping.name for m in getattr(mod, "MAPPINGS", ())):
        raise ConfigError(
            f"mapping {mapping.name!r} is not listed in {module}.MAPPINGS",
            hint="define a mapping in the module of its transform and list it in MAPPINGS",
        )
    return module, mapping.name


def load(module: str, name: str) -> Mapping:
    for m in importlib.import_module(module).MAPPINGS:
        if m.name == name:
            return m
    raise ConfigError(f"mapping {name!r} not found in {module}")
