"""The error family the CLI catches once.

Every error says what went wrong, with which value, and what to do next (``hint``).
Adapters translate third-party errors into these with ``raise ... from``.
"""

from __future__ import annotations


class ZhongtaiError(Exception):
    """Base of every error zhongtai reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(ZhongtaiError):
    """A setting is missing, malformed or contradicts another."""

    exit_code = 2


class DatabaseError(ZhongtaiError):
    """A database could not be reached or used; carries the masked URL."""

    def __init__(self, message: str, *, url: str, hint: str | None = None) -> None:
        super().__init__(f"{message} [{url}]", hint=hint)
        self.url = url


class UpstreamError(ZhongtaiError):
    """An HTTP upstream (legacy, platform, channel API) did not answer as expected."""

    def __init__(self, message: str, *, target: str, hint: str | None = None) -> None:
        super().__init__(f"{message} [{target}]", hint=hint)
        self.target = target


class ServeError(ZhongtaiError):
    """A server process could not start or stop (port taken, child died)."""
