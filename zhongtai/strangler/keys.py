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
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from zhongtai.legacy.order_no import STORE_IN_ORDER_NO

SOURCES = ("path", "query", "json", "form", "xml", "header")
REGEX_ALIASES = {"order_no": STORE_IN_ORDER_NO}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class KeySpec:
    source: str
    name: str
    pattern: re.Pattern | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"{self.source}:{self.name}"


def parse_key_spec(text: str) -> KeySpec:
    """Parse ``SOURCE:NAME [~ REGEX]``; ValueError names the bad spec and the choices."""
    if not isinstance(text, str) or ":" not in text:
        raise ValueError(f"key spec {text!r} must look like SOURCE:NAME, e.g. 'path:store_id'")
    head, _, regex = text.partition("~")
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
    return KeySpec(source, name, pattern, text.strip())


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
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def extract_key(specs: tuple[KeySpec, ...], req: RequestView) -> str | None:
    """The first non-empty key the specs yield, or None when the request carries none."""
    for spec in specs:
        value = _raw_value(spec, req)
        if value is None or isinstance(value, (dict, list)) or value == "":
            continue
        text = str(value).strip()
        if spec.pattern is not None:
            m = spec.pattern.search(text)
            if not m:
                continue
            text = m.group(1)
        if text:
            return text
    return None
