"""Errors a center raises from its model and services; the HTTP edge maps them to statuses.

Pure (no FastAPI): the model raises ``InvalidInput`` / ``NotFound`` / ``Conflict`` with a
machine ``code`` (``STORE_NOT_FOUND``), a message naming the bad value, a hint saying what to
do, and optional ``details`` for callers that branch on data (e.g. the member an identity
already belongs to).
"""

from __future__ import annotations

from typing import Any

from zhongtai.errors import ZhongtaiError


class CenterError(ZhongtaiError):
    """Base of the errors a center reports to its callers."""

    status = 400
    default_code = "INVALID_INPUT"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code or self.default_code
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of an error response: ``{"error": {code, message, hint, details}}``."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "hint": self.hint,
                "details": self.details,
            }
        }


class InvalidInput(CenterError):
    """A value is missing, malformed or breaks a rule; nothing was changed."""

    status = 400
    default_code = "INVALID_INPUT"


class NotFound(CenterError):
    """The addressed entity does not exist (or is soft-deleted)."""

    status = 404
    default_code = "NOT_FOUND"


class Conflict(CenterError):
    """The request contradicts the current state (duplicate key, rule of the state machine)."""

    status = 409
    default_code = "CONFLICT"
