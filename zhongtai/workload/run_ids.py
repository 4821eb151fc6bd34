"""Identifiers a traffic run invents: channel order ids, phones, tickets (pure).

They must never collide with an earlier run against the same database (a re-used Meituan
order id would be taken for a re-push and silently ignored), so each embeds a salt taken
from the run's start time in milliseconds, plus a counter.
"""

from __future__ import annotations

import itertools
import secrets


class RunIds:
    def __init__(self, salt_ms: int) -> None:
        self.salt = salt_ms % 10**11  # 11 digits: unique for three years of runs
        self._counter = itertools.count(1)
        self._day_seq: dict[str, itertools.count] = {}

    @property
    def run(self) -> str:
        return f"r{self.salt:011d}"

    def _next(self) -> int:
        return next(self._counter)

    def meituan_order_id(self) -> str:
        """19 digits, above 2^53 like Meituan's own ids."""
        return f"3{self.salt:011d}{self._next():07d}"

    def eleme_order_id(self) -> str:
        return f"8{self.salt:011d}{self._next():07d}"

    def refund_id(self) -> str:
        return f"7{self.salt:011d}{self._next():07d}"

    def privacy_phone(self) -> str:
        """A Meituan privacy number, ``184xxxxxxxx_nnnn``, unique within the run."""
        n = self._next()
        return f"184{(self.salt * 7919 + n) % 10**8:08d}_{n % 10**4:04d}"

    def mobile(self) -> str:
        n = self._next()
        return f"139{(self.salt * 104729 + n) % 10**8:08d}"

    def day_seq(self, store_code: str) -> int:
        return next(self._day_seq.setdefault(store_code, itertools.count(1)))

    def ticket(self) -> str:
        """A POS receipt number."""
        return f"T{self.salt % 10**4:04d}{self._next():06d}"

    def pickup_code(self) -> str:
        return f"{1000 + self._next() % 9000}"

    def transaction_id(self) -> str:
        """A WeChat Pay transaction id (28 digits)."""
        return f"42000{self.salt:011d}{self._next():012d}"

    def request_id(self) -> str:
        return secrets.token_hex(16)

    def nonce(self) -> str:
        return secrets.token_hex(16)
