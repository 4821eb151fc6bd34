"""Structural response comparison by field path (pure), with a per-route policy.

Two replies are compared on their status, the headers in the policy's allow-list and their
bodies. JSON bodies are walked field by field and each difference is reported at a flattened
path such as ``data.items[].price`` (array elements share the ``[]`` segment, so counters are
per field, as Diffy keeps them). Status and headers appear as ``<status>`` and
``<header:content-type>``; a body that is not JSON is compared whole as ``<body>``.

Path patterns in a policy are dotted segments, each a shell-style glob (``*`` alone matches any
one segment, ``*_amount`` any segment ending so); an ``ignore`` pattern also covers everything
below the matched path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class ComparePolicy:
    ignore: tuple[str, ...] = ()
    unordered: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    money_tolerance: float = 0.0
    headers: tuple[str, ...] = ("content-type",)

    def as_dict(self) -> dict:
        return {
            "ignore": list(self.ignore),
            "unordered": list(self.unordered),
            "money": list(self.money),
            "money_tolerance": self.money_tolerance,
            "headers": list(self.headers),
        }


def parse_policy(data: Mapping) -> ComparePolicy:
    """Build a policy from a mapping (a TOML table); ValueError names the bad entry."""
    known = {"ignore", "unordered", "money", "money_tolerance", "headers"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown compare setting(s) {sorted(unknown)}; known: {sorted(known)}")
    lists = {}
    for name in ("ignore", "unordered", "money", "headers"):
        value = data.get(name, list(getattr(ComparePolicy, name)))
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"compare.{name} must be a list of strings, got {value!r}")
        lists[name] = tuple(v.lower() if name == "headers" else v for v in value)
    tolerance = data.get("money_tolerance", 0.0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise ValueError(f"compare.money_tolerance must be a number >= 0, got {tolerance!r}")
    return ComparePolicy(money_tolerance=float(tolerance), **lists)


@dataclass(frozen=True)
class Difference:
    path: str
    kind: str  # value | type | missing | extra | size
    left: object = None
    right: object = None


@dataclass(frozen=True)
class Reply:
    """One side's answer: status, headers (any case) and the decoded body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def _segments(path: str) -> tuple[str, ...]:
    return tuple(s.removesuffix("[]") for s in path.split(".") if s)


def _match(pat: tuple[str, ...], segs: tuple[str, ...], prefix: bool) -> bool:
    if len(segs) < len(pat) or (not prefix and len(segs) != len(pat)):
        return False
    return all(fnmatchcase(s, p) for p, s in zip(pat, segs, strict=False))


def matches(pattern: str, path: str, *, prefix: bool = False) -> bool:
    """Does ``pattern`` match ``path`` (or, with ``prefix``, an ancestor of it)?"""
    return _match(_segments(pattern), _segments(path), prefix)


class _Compiled:
    """A policy's patterns with answers memoised per path: JSON shapes repeat, so a shadow
    comparison mostly looks answers up instead of matching globs again."""

    LIMIT = 20_000  # paths remembered per policy

    def __init__(self, policy: ComparePolicy) -> None:
        self.policy = policy
        self.ignore = [_segments(p) for p in policy.ignore]
        self.unordered = [_segments(p) for p in policy.unordered]
        self.money = [_segments(p) for p in policy.money]
        self._memo: dict[tuple[str, str], bool] = {}

    def _ask(self, kind: str, path: str) -> bool:
        key = (kind, path)
        hit = self._memo.get(key)
        if hit is None:
            segs = _segments(path)
            if kind == "ignore":
                hit = any(_match(p, segs, True) for p in self.ignore)
            elif kind == "below":  # could an ignore pattern hit something under path?
                hit = any(
                    len(p) > len(segs) and _match(p[: len(segs)], segs, False) for p in self.ignore
                )
            else:
                hit = any(_match(p, segs, False) for p in getattr(self, kind))
            if len(self._memo) < self.LIMIT:
                self._memo[key] = hit
        return hit


@lru_cache(maxsize=256)
def _compiled(policy: ComparePolicy) -> _Compiled:
    return _Compiled(policy)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Walker:
    def __init__(self, policy: ComparePolicy, *, shortcut: bool = False) -> None:
        self.policy = policy
        self.c = _compiled(policy)
        # Skipping equal subtrees with ``==`` is exact only without booleans (True == 1).
        self.shortcut = shortcut
        self.out: list[Difference] = []

    def canonical(self, value: object, path: str) -> str:
        """A stable text for sorting unordered arrays, blind to ignored fields."""
        return json.dumps(self._strip(value, path), sort_keys=True, default=str)

    def _strip(self, value: object, path: str) -> object:
        if not self.c._ask("below", path):
            return value
        if isinstance(value, dict):
            return {
                k: self._strip(v, _join(path, k))
                for k, v in value.items()
                if not self.c._ask("ignore", _join(path, k))
            }
        if isinstance(value, list):
            return [self._strip(v, path + "[]") for v in value]
        return value

    def walk(self, a: object, b: object, path: str) -> None:
        if self.c._ask("ignore", path):
            return
        if self.shortcut and type(a) is type(b) and isinstance(a, (dict, list)) and a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                sub = _join(path, key)
                if self.c._ask("ignore", sub):
                    continue
                if key not in b:
                    self.out.append(Difference(sub, "missing", _short(a[key]), None))
                elif key not in a:
                    self.out.append(Difference(sub, "extra", None, _short(b[key])))
                else:
                    self.walk(a[key], b[key], sub)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                self.out.append(Difference(path or "<root>", "size", len(a), len(b)))
                return
            item = path + "[]"
            if self.c._ask("unordered", path):
                a = sorted(a, key=lambda v: self.canonical(v, item))
                b = sorted(b, key=lambda v: self.canonical(v, item))
            for x, y in zip(a, b, strict=True):
                self.walk(x, y, item)
        elif _is_number(a) and _is_number(b):
            if self.c._ask("money", path):
                if math.fabs(a - b) > self.policy.money_tolerance + 1e-9:
                    self.out.append(Difference(path, "value", a, b))
            elif a != b:
                self.out.append(Difference(path, "value", a, b))
        elif type(a) is not type(b):
            self.out.append(Difference(path or "<root>", "type", _short(a), _short(b)))
        elif a != b:
            self.out.append(Difference(path or "<root>", "value", _short(a), _short(b)))


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _short(v: object) -> object:
    if isinstance(v, _SCALARS):
        return v if not isinstance(v, str) or len(v) <= 200 else v[:200] + "…"
    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:200] + "…"


def diff_json(
    a: object, b: object, policy: ComparePolicy, *, shortcut: bool = False
) -> list[Difference]:
    """Every difference between two parsed JSON documents under ``policy``.

    ``shortcut`` skips subtrees that are equal by ``==``; pass it only when neither document
    holds a boolean (Python's ``True == 1`` would hide a type difference).
    """
    walker = _Walker(policy, shortcut=shortcut)
    walker.walk(a, b, "")
    return walker.out


def _parse_json(body: bytes) -> tuple[bool, object]:
    try:
        return True, json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False, None


def compare_replies(left: Reply, right: Reply, policy: ComparePolicy) -> list[Difference]:
    """Differences between two replies: status, allow-listed headers, then the body."""
    out: list[Difference] = []
    if left.status != right.status:
        out.append(Difference("<status>", "value", left.status, right.status))
    lh = {k.lower(): v for k, v in left.headers.items()}
    rh = {k.lower(): v for k, v in right.headers.items()}
    for name in policy.headers:
        if lh.get(name) != rh.get(name):
            out.append(Difference(f"<header:{name}>", "value", lh.get(name), rh.get(name)))
    if left.body == right.body:  # the common case once the platform is right: no parsing
        return out
    ok_l, doc_l = _parse_json(left.body)
    ok_r, doc_r = _parse_json(right.body)
    if ok_l and ok_r:
        bools = any(t in body for body in (left.body, right.body) for t in (b"true", b"false"))
        out.extend(diff_json(doc_l, doc_r, policy, shortcut=not bools))
    elif left.body != right.body:
        out.append(
            Difference("<body>", "value", _short(_text(left.body)), _short(_text(right.body)))
        )
    return out


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")
