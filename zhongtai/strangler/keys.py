"""Sticky-key extraction (pure): which business key a request belongs to.

A route names one or more key specs, tried in order; the first that yields a value wins.
A spec is ``SOURCE:NAME``, optionally followed by ``~ REGEX`` whose single group is the key:

* ``path:store_id``     a path template parameter
* ``query:store_code``  a query-string parameter
* ``json:shopId``       a JSON body field (dots walk into objects: ``json:data.store``)
* ``form:app_poi_code`` a form-urlencoded body field
* ``xml:out_trade_no``  a flat XML body element (WeChat Pay notifies)
* ``header:X-Store``    a request header
* ``path:order_no ~ order_no``  the store code embedded in an order number; ``order_no`` is an
  alias for :data:`zhongtai.legacy.order_no.STORE_IN_ORDER_NO`, any other text is a regex.

A spec may end in ``as KIND``: which store identifier it yields (``form:app_poi_code as
meituan_poi``; kinds in :mod:`zhongtai.strangler.storekeys`). :func:`find_key` then resolves it
through the store key directory to the canonical store code; specs without a kind are hashed
as they are. A JSON path may walk into a field that holds a JSON string (``json:message.orderId``
for Eleme, whose ``message`` is JSON inside JSON).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from zhongtai.legacy.order_no import STORE_IN_ORDER_NO
from zhongtai.strangler.storekeys import KINDS, ORDER_KINDS

SOURCES = ("path", "query", "json", "form", "xml", "header")
REGEX_ALIASES = {"order_no": STORE_IN_ORDER_NO}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_KIND = re.compile(r"^(?P<spec>.*?)\s+as\s+(?P<kind>[a-z_]+)\s*$", re.S)


@dataclass(frozen=True)
class KeySpec:
    source: str
    name: str
    pattern: re.Pattern | None = None
    text: str = ""
    kind: str | None = None  # the store identifier it yields (storekeys.KINDS), or None

    def __str__(self) -> str:
        return self.text or f"{self.source}:{self.name}"


def parse_key_spec(text: str) -> KeySpec:
    """Parse ``SOURCE:NAME [~ REGEX] [as KIND]``; ValueError names the bad spec and the choices."""
    if not isinstance(text, str) or ":" not in text:
        raise ValueError(f"key spec {text!r} must look like SOURCE:NAME, e.g. 'path:store_id'")
    kind = None
    m = _KIND.match(text)
    if m:
        kind = m.group("kind")
        if kind not in KINDS:
            raise ValueError(
                f"key spec {text!r}: unknown store key kind {kind!r}; use one of {KINDS}"
            )
    head, _, regex = (m.group("spec") if m else text).partition("~")
    source, _, name = head.strip().partition(":")
    source, name = source.strip().lower(), name.strip()
    if source not in SOURCES:
        raise ValueError(f"key spec {text!r}: unknown source {source!r}; use one of {SOURCES}")
    if not _NAME.match(name):
        raise ValueError(f"key spec {text!r}: {name!r} is not a field or parameter name")
    pattern = None
    if regex.strip():
        raw = REGEX_ALIASES.get(regex.strip(), regex.strip())
        try:
            pattern = re.compile(raw)
        except re.error as exc:
            raise ValueError(f"key spec {text!r}: bad regex {raw!r} ({exc})") from None
        if pattern.groups != 1:
            raise ValueError(f"key spec {text!r}: regex {raw!r} needs exactly one group")
    return KeySpec(source, name, pattern, text.strip(), kind)


@dataclass
class RequestView:
    """What key extraction may look at; the body is parsed lazily, at most once."""

    params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    content_type: str = ""
    _json: object = field(default=None, repr=False)
    _form: dict | None = field(default=None, repr=False)

    def json_body(self) -> object:
        if self._json is None:
            try:
                self._json = json.loads(self.body) if self.body else {}
            except (ValueError, UnicodeDecodeError):
                self._json = {}
        return self._json

    def form_body(self) -> dict:
        if self._form is None:
            try:
                parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                parsed = {}
            self._form = {k: v[0] for k, v in parsed.items()}
        return self._form


def _raw_value(spec: KeySpec, req: RequestView) -> object:
    if spec.source == "path":
        return req.params.get(spec.name)
    if spec.source == "query":
        return req.query.get(spec.name)
    if spec.source == "header":
        lowered = {k.lower(): v for k, v in req.headers.items()}
        return lowered.get(spec.name.lower())
    if spec.source == "form":
        return req.form_body().get(spec.name)
    if spec.source == "xml":
        m = re.search(
            rf"<{re.escape(spec.name)}>\s*(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?\s*</{re.escape(spec.name)}>",
            req.body.decode("utf-8", "replace"),
            re.S,
        )
        return m.group(1) if m else None
    value = req.json_body()
    for part in spec.name.split("."):
        if isinstance(value, str) and value.startswith("{"):
            value = _json_object(value)  # a JSON string inside the body (Eleme's message)
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _json_object(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text(spec: KeySpec, req: RequestView) -> str | None:
    value = _raw_value(spec, req)
    if value is None or isinstance(value, (dict, list)) or value == "":
        return None
    text = str(value).strip()
    if spec.pattern is not None:
        m = spec.pattern.search(text)
        if not m:
            return None
        text = m.group(1)
    return text or None


def extract_key(specs: tuple[KeySpec, ...], req: RequestView) -> str | None:
    """The first non-empty key the specs yield, as sent (no directory), or None."""
    for spec in specs:
        text = _text(spec, req)
        if text:
            return text
    return None


@dataclass(frozen=True)
class KeyHit:
    """What :func:`find_key` found: the bucketing key and where it came from."""

    key: str | None  # None: only an unknown channel order id was found
    spec: KeySpec
    raw: str  # the value as the request carried it
    known: bool  # False: the directory does not know it (raw fallback or no key)


Resolver = Callable[[str, str], tuple[str | None, bool]]


def find_key(specs: tuple[KeySpec, ...], req: RequestView, resolve: Resolver) -> KeyHit | None:
    """The first spec that yields a key, resolved through ``resolve(kind, value)``.

    A spec with a kind gives the directory's key for its value (unknown store aliases give the
    raw value, ``known`` False); a channel order id the directory does not know gives no key,
    so the next spec is tried, and if none gives one the miss comes back (``key`` None) for
    counting. Specs without a kind give their value as it is.
    """
    miss = None
    for spec in specs:
        text = _text(spec, req)
        if not text:
            continue
        if spec.kind is None:
            return KeyHit(text, spec, text, True)
        key, known = resolve(spec.kind, text)
        if key is not None:
            return KeyHit(key, spec, text, known)
        miss = miss or KeyHit(None, spec, text, False)
    return miss


def order_ids(specs: tuple[KeySpec, ...], req: RequestView) -> list[tuple[str, str]]:
    """(kind, channel order id) of every order-kind spec the request carries (for learning)."""
    out = []
    for spec in specs:
        if spec.kind in ORDER_KINDS:
            text = _text(spec, req)
            if text:
                out.append((spec.kind, text))
    return out
