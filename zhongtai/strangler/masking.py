"""Examples kept for reviewers, with secrets masked and size bounded (pure)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode

SECRET_FIELDS = frozenset(
    {
        "sig",
        "sign",
        "signature",
        "paysign",
        "token",
        "access_token",
        "password",
        "secret",
        "app_secret",
        "appsecret",
        "api_key",
        "authorization",
    }
)
MASK = "****"
MAX_TEXT = 4096


def _mask_json(value: object) -> object:
    if isinstance(value, dict):
        return {k: MASK if k.lower() in SECRET_FIELDS else _mask_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(v) for v in value]
    return value


def mask_body(body: bytes, content_type: str = "", limit: int = MAX_TEXT) -> str:
    """The body as text with secret fields masked (JSON, form or XML), cut at ``limit``."""
    text = body.decode("utf-8", "replace")
    ctype = content_type.lower()
    try:
        text = json.dumps(_mask_json(json.loads(text)), ensure_ascii=False)
    except ValueError:
        if "x-www-form-urlencoded" in ctype:
            pairs = parse_qsl(text, keep_blank_values=True)
            text = urlencode([(k, MASK if k.lower() in SECRET_FIELDS else v) for k, v in pairs])
        elif text.lstrip().startswith("<"):
            for name in SECRET_FIELDS:
                text = re.sub(
                    rf"(<{name}>).*?(</{name}>)", rf"\g<1>{MASK}\g<2>", text, flags=re.S | re.I
                )
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more chars)"


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers safe to store: credentials and cookies masked."""
    hidden = {"authorization", "cookie", "set-cookie", "proxy-authorization"}
    return {
        k: MASK if k.lower() in hidden or k.lower() in SECRET_FIELDS else v
        for k, v in headers.items()
    }
