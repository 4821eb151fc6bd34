"""Reading request bodies and their fields (pure): strict form, JSON, WeChat XML.

Everything here raises ``LegacyError`` 40001 with a message that names the field, the value
received and what was expected, so every client family gets the same wording.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from zhongtai.legacy.envelope import bad_request

FORM_TYPE = "application/x-www-form-urlencoded"


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """A strict form-urlencoded body as a dict (a repeated key keeps its last value)."""
    if not (content_type or "").lower().startswith(FORM_TYPE):
        raise bad_request(
            f"expected Content-Type {FORM_TYPE}, got {content_type or 'none'}; "
            "send the push as a form"
        )
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"body is not a valid form-urlencoded UTF-8 form: {exc}") from None
    return dict(pairs)


def parse_json_object(text: str | bytes, what: str = "body") -> dict[str, Any]:
    """A JSON object; anything else (bad JSON, a list, a number) is a 40001."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"{what} is not valid JSON ({exc}); send a JSON object") from None
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def parse_xml(body: bytes) -> dict[str, str]:
    """A WeChat Pay ``<xml><field>value</field>...</xml>`` body as a flat dict."""
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise bad_request(f"body is not well-formed XML ({exc}); send WeChat Pay XML") from None
    if root.tag != "xml":
        raise bad_request(f"XML root element is <{root.tag}>, expected <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


class Fields:
    """Typed access to the fields of one payload; ``where`` names it in error messages."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def _missing(self, name: str) -> Exception:
        return bad_request(f"{self.where}: field {name!r} is required")

    def _bad(self, name: str, value: Any, expected: str) -> Exception:
        return bad_request(f"{self.where}: field {name!r} must be {expected}, got {_show(value)}")

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        return None if value == "" else value

    def text(
        self,
        name: str,
        *,
        required: bool = False,
        max_len: int = 255,
        default: str | None = None,
        clip: bool = False,
    ) -> str | None:
        """A string field; ``clip`` cuts free text to ``max_len`` as the VARCHAR column would."""
        value = self.raw(name)
        if value is None:
            if required:
                raise self._missing(name)
            return default
        if isinstance(value, bool | dict | list):
            raise self._bad(name, value, "a string")
        text = str(value)
        if len(text) > max_len:
            if clip:
                return text[:max_len]
            raise self._bad(name, value, f"at most {max_len} characters")
        return text

    def digits(self, name: str, *, max_len: int = 32) -> str:
        """A required id made of digits (platform order ids exceed 2^53, so keep text)."""
        text = self.text(name, required=True, max_len=max_len)
        assert text is not None
        if not text.isdigit():
            raise self._bad(name, text, "digits only")
        return text

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise self._missing(name)
            return default
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value)
        except (TypeError, ValueError):
            raise self._bad(name, value, "an integer") from None
        if (low is not None and number < low) or (high is not None and number > high):
            raise self._bad(name, value, f"an integer in {low}..{high}")
        return number

    def number(self, name: str, *, required: bool = False, default: float | None = None):
        value = self.raw(name)
        if value is None:
            if required:
                raise self._missing(name)
            return default
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise self._bad(name, value, "a number") from None
        if not math.isfinite(number):
            raise self._bad(name, value, "a finite number")
        return number

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true"}:
            return True
        if text in {"0", "false"}:
            return False
        raise self._bad(name, value, "true or false")

    def json_list(self, name: str) -> list:
        """A list that arrives either as a JSON string (form pushes) or as a JSON list."""
        value = self.raw(name)
        if value is None:
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise self._bad(name, value, f"a JSON list ({exc})") from None
        if not isinstance(value, list):
            raise self._bad(name, value, "a JSON list")
        return value

    def json_object(self, name: str) -> dict:
        value = self.raw(name)
        if value is None:
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise self._bad(name, value, f"a JSON object ({exc})") from None
        if not isinstance(value, dict):
            raise self._bad(name, value, "a JSON object")
        return value

    def sub(self, value: Any, where: str) -> Fields:
        """Fields of a nested object (an item of ``detail``), checked to be an object."""
        if not isinstance(value, dict):
            raise bad_request(f"{where} must be a JSON object, got {_show(value)}")
        return Fields(value, where)


def query_int(
    name: str, value: str | None, *, default: int | None, low: int, high: int
) -> int | None:
    """An optional integer query parameter; an empty value (``?status=``) means absent."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"query parameter {name!r} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise bad_request(f"query parameter {name!r} must be in {low}..{high}, got {number}")
    return number


def query_date(name: str, value: str | None) -> str | None:
    """An optional ``yyyy-MM-dd`` query parameter."""
    if value is None or value == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise bad_request(
            f"query parameter {name!r} must be a date like 2025-12-01, got {value!r}"
        ) from None


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable sentence from pydantic/FastAPI validation errors (the first few)."""
    parts = []
    for err in errors[:5]:
        if err.get("type") == "json_invalid":
            why = err.get("ctx", {}).get("error", "")
            return f"body is not valid JSON ({why}); send a JSON object"
        loc = [str(part) for part in err.get("loc", ()) if part != "body"]
        field = ".".join(loc) or "body"
        if err.get("type") == "missing" and field == "body":
            return "a JSON body is required; send a JSON object"
        if field == "body" and isinstance(err.get("input"), bytes | str):
            return "body must be a JSON object sent with Content-Type: application/json"
        msg = err.get("msg", "invalid")
        if err.get("type") != "missing" and "input" in err:
            msg += f" (got {_show(err['input'])})"
        parts.append(f"{field}: {msg}")
    return "invalid request: " + "; ".join(parts) + " (see docs/legacy-api.md)"
