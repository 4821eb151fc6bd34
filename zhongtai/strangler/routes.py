"""The route table (pure): ordered method + path-template rules, and a default to legacy.

A route definition is a mapping (one ``[[route]]`` table of ``routes.toml``, or the JSON the
state database keeps); its stage, percentage and revision are runtime state kept beside it.
Every parser raises ``ValueError`` naming the route and the bad value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from zhongtai.strangler.comparison import ComparePolicy, parse_policy
from zhongtai.strangler.gates import Gates, parse_gates
from zhongtai.strangler.keys import KeySpec, parse_key_spec
from zhongtai.strangler.stages import Stage, check_percent, parse_stage

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "*"}
_ROUTE_NAME = re.compile(r"^[a-z][a-z0-9_.\-]*$")
_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_FIELDS = {
    "name",
    "method",
    "path",
    "group",
    "salt",
    "key",
    "unkeyed",
    "fallback",
    "shadow_writes",
    "aa_rate",
    "compare",
    "gates",
    "stage",
    "percent",
}


@dataclass(frozen=True)
class PathTemplate:
    text: str
    regex: re.Pattern
    params: tuple[str, ...]

    def match(self, path: str) -> dict[str, str] | None:
        m = self.regex.match(path)
        return {k: unquote(v) for k, v in m.groupdict().items()} if m else None


def compile_template(text: str) -> PathTemplate:
    """Compile ``/api/mp/orders/{order_no}``: ``{name}`` is one whole path segment."""
    if not isinstance(text, str) or not text.startswith("/"):
        raise ValueError(f"path template {text!r} must start with '/'")
    parts, params = [], []
    for segment in text.split("/")[1:]:
        m = _PARAM.match(segment)
        if m:
            if m.group(1) in params:
                raise ValueError(f"path template {text!r} repeats parameter {m.group(1)!r}")
            params.append(m.group(1))
            parts.append(f"(?P<{m.group(1)}>[^/]+)")
        elif "{" in segment or "}" in segment:
            raise ValueError(
                f"path template {text!r}: segment {segment!r} must be literal or a whole {{name}}"
            )
        else:
            parts.append(re.escape(segment))
    return PathTemplate(text, re.compile("^/" + "/".join(parts) + "$"), tuple(params))


@dataclass(frozen=True)
class Route:
    name: str
    methods: frozenset[str]
    template: PathTemplate
    group: str
    salt: str
    keys: tuple[KeySpec, ...] = ()
    unkeyed: str = "legacy"  # side for requests that carry no key during canary
    fallback: bool = True  # a failed platform read in canary is retried on legacy
    shadow_writes: bool = True  # writes are shadowed (the platform runs them in dry-run)
    aa_rate: float | None = None  # share of shadowed reads also sent to legacy twice (None:
    # the proxy.aa_percent setting)
    compare: ComparePolicy = field(default_factory=ComparePolicy)
    gates: Gates = field(default_factory=Gates)
    stage: Stage = Stage.LEGACY
    percent: float | None = None
    revision: int = 0
    definition: Mapping = field(default_factory=dict, compare=False, repr=False)

    def allows(self, method: str) -> bool:
        return "*" in self.methods or method.upper() in self.methods

    def with_state(self, stage: Stage | str, percent: float | None, revision: int) -> Route:
        return replace(self, stage=Stage(stage), percent=percent, revision=revision)

    @property
    def label(self) -> str:
        return f"{self.stage.value} {self.percent:g}%" if self.percent else self.stage.value


def _methods(name: str, value: object) -> frozenset[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise ValueError(f"route {name!r}: method must be a string or a list, got {value!r}")
    methods = frozenset(str(m).upper() for m in items)
    if methods - _METHODS:
        raise ValueError(f"route {name!r}: unknown method(s) {sorted(methods - _METHODS)}")
    return methods


def resolve(data: Mapping, defaults: Mapping | None = None) -> dict:
    """A self-contained definition: ``data`` with ``defaults`` filling what it leaves out."""
    defaults = defaults or {}
    out = {k: v for k, v in defaults.items() if k not in ("compare", "gates")}
    out.update(data)
    for table in ("compare", "gates"):
        merged = {**dict(defaults.get(table, {})), **dict(data.get(table, {}))}
        if merged:
            out[table] = merged
    return out


def parse_route(data: Mapping, defaults: Mapping | None = None) -> Route:
    """One route from its definition, with ``defaults`` filling what it leaves out."""
    name = data.get("name")
    if not isinstance(name, str) or not _ROUTE_NAME.match(name):
        raise ValueError(f"route name {name!r} must be lower-case letters, digits, '.', '_', '-'")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValueError(f"route {name!r}: unknown field(s) {sorted(unknown)}")
    data = resolve(data, defaults)

    def pick(key: str, default: object) -> object:
        return data.get(key, default)

    try:
        template = compile_template(data.get("path"))
        raw_keys = pick("key", [])
        raw_keys = [raw_keys] if isinstance(raw_keys, str) else list(raw_keys)
        keys = tuple(parse_key_spec(k) for k in raw_keys)
        for spec in keys:
            if spec.source == "path" and spec.name not in template.params:
                raise ValueError(f"key {spec} names no parameter of {template.text!r}")
        compare = parse_policy(data.get("compare", {}))
        gates = parse_gates(data.get("gates", {}))
        stage = parse_stage(pick("stage", "legacy"))
        percent = check_percent(stage, data.get("percent"))
    except ValueError as exc:
        raise ValueError(f"route {name!r}: {exc}") from None
    unkeyed = pick("unkeyed", "legacy")
    if unkeyed not in ("legacy", "platform"):
        raise ValueError(f"route {name!r}: unkeyed must be 'legacy' or 'platform', not {unkeyed!r}")
    aa_rate = pick("aa_rate", None)
    if aa_rate is not None and (
        isinstance(aa_rate, bool) or not isinstance(aa_rate, (int, float)) or not 0 <= aa_rate <= 1
    ):
        raise ValueError(f"route {name!r}: aa_rate must be between 0 and 1, got {aa_rate!r}")
    flags = {}
    for flag in ("fallback", "shadow_writes"):
        flags[flag] = pick(flag, True)
        if not isinstance(flags[flag], bool):
            raise ValueError(f"route {name!r}: {flag} must be true or false")
    return Route(
        name=name,
        methods=_methods(name, data.get("method", "*")),
        template=template,
        group=str(pick("group", name)),
        salt=str(pick("salt", "zhongtai")),
        keys=keys,
        unkeyed=unkeyed,
        aa_rate=None if aa_rate is None else float(aa_rate),
        compare=compare,
        gates=gates,
        stage=stage,
        percent=percent,
        definition=dict(data),
        **flags,
    )


DEFAULT_ROUTE = Route(
    name="default",
    methods=frozenset({"*"}),
    template=compile_template("/"),
    group="default",
    salt="",
    fallback=False,
    shadow_writes=False,
)


@dataclass(frozen=True)
class Match:
    route: Route
    params: dict[str, str]


class RouteTable:
    """Routes in order; the first whose method and template match wins, else the default."""

    def __init__(self, routes: Sequence[Route], version: int = 0) -> None:
        names = [r.name for r in routes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes or "default" in names:
            raise ValueError(f"route names must be unique and not 'default': {dupes or 'default'}")
        self.routes = tuple(routes)
        self.version = version
        self._by_name = {r.name: r for r in routes}

    def match(self, method: str, path: str) -> Match:
        path = path.split("?", 1)[0]
        for route in self.routes:
            if route.allows(method):
                params = route.template.match(path)
                if params is not None:
                    return Match(route, params)
        return Match(DEFAULT_ROUTE, {})

    def get(self, name: str) -> Route:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(name) from None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name


def parse_table(doc: Mapping) -> list[Route]:
    """Routes from a parsed ``routes.toml``: a ``[defaults]`` table and ``[[route]]`` tables."""
    unknown = set(doc) - {"defaults", "route"}
    if unknown:
        raise ValueError(f"unknown top-level key(s) {sorted(unknown)}; use [defaults], [[route]]")
    defaults = doc.get("defaults", {})
    bad = set(defaults) - (_FIELDS - {"name", "method", "path", "stage", "percent"})
    if bad:
        raise ValueError(f"unknown field(s) in [defaults]: {sorted(bad)}")
    routes = [parse_route(r, defaults) for r in doc.get("route", [])]
    RouteTable(routes)  # checks names
    return routes
