"""One transaction per request, retried on deadlocks, lock timeouts and stale rows.

A retried function runs again from the start on a fresh transaction, so it re-reads what it
decided on; a failed attempt has been rolled back and changed nothing.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from zhongtai.legacy.envelope import ILLEGAL_TRANSITION, LegacyError

logger = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 5
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock (PostgreSQL)
_RETRY_MYSQL_CODES = {1205, 1213}  # lock wait timeout, deadlock (MariaDB/MySQL)


class StaleOrder(Exception):
    """The order row changed between reading and writing it; the transaction is retried."""

    def __init__(self, order_no: str) -> None:
        super().__init__(order_no)
        self.order_no = order_no


def retryable(exc: DBAPIError) -> bool:
    """Whether a database error is a transient conflict worth running the transaction again."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _RETRY_MYSQL_CODES:
        return True
    return "database is locked" in str(orig)


def run_tx(engine: Engine, work: Callable[[Connection], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work(conn)`` in one transaction; commit on return, roll back on any exception."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except StaleOrder as exc:
            if attempt == attempts:
                raise LegacyError(
                    ILLEGAL_TRANSITION,
                    f"order {exc.order_no} is being changed by other requests; retry",
                ) from None
        except DBAPIError as exc:
            if attempt == attempts or not retryable(exc):
                raise
            logger.debug("retrying a transaction after %s", type(exc.orig).__name__)
        time.sleep(random.uniform(0, 0.005 * 2**attempt))  # jitter so the rivals separate
    raise AssertionError("unreachable")
