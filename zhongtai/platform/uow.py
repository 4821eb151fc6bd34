"""Unit of work: owns one transaction, rolls back unless ``commit()`` is called.

Services use it the cosmicpython way::

    def rename_store(uow, store_id, name):
        with uow:
            store = uow.stores.get(store_id, for_update=True)
            store.rename(name, now=uow.now())
            uow.stores.save(store)
            uow.commit()
            return store

**Dry run (shadow writes).** A unit of work built with ``dry_run=True`` runs every statement
of the real execution inside its transaction, so constraint violations and the state machine
behave exactly as for real, but ``commit()`` only records that it *would* commit; the
transaction is rolled back when the ``with`` block ends. Reads after ``commit()`` still see
the work, so the response a service builds is the one a real execution would return. Ids come
from :mod:`zhongtai.platform.ids` inside the same transaction, so a rolled-back dry run
consumes nothing and returns the id the real call will get.

``SqlUnitOfWork`` holds a SQLAlchemy ``Connection``; ``InMemoryUnitOfWork`` is its twin for
unit tests: it snapshots a dict-of-dicts "database" and restores it on rollback, so fakes obey
the same commit/rollback/dry-run rules.
"""

from __future__ import annotations

import abc
import copy
import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the platform stores nothing else)."""
    return datetime.now(UTC)


class UnitOfWork(abc.ABC):
    """One transaction's worth of work. Subclasses open repositories in ``_begin``."""

    def __init__(self, *, dry_run: bool = False, clock: Clock = utc_now) -> None:
        self.dry_run = dry_run
        self._clock = clock
        self.would_commit = False  # set by commit() in dry-run mode, for tests and logs

    def __enter__(self) -> UnitOfWork:
        self.would_commit = False
        self._begin()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self._rollback()  # a no-op after a real commit
        finally:
            self._end()

    def commit(self) -> None:
        """Make the work durable; in dry-run mode only remember that it would have been."""
        if self.dry_run:
            self.would_commit = True
            return
        self._commit()

    def rollback(self) -> None:
        self._rollback()

    def now(self) -> datetime:
        """The unit of work's clock (timezone-aware UTC); injected so tests can fix it."""
        return self._clock()

    @abc.abstractmethod
    def _begin(self) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def _rollback(self) -> None: ...

    def _end(self) -> None:  # noqa: B027 - optional hook
        """Release resources after the ``with`` block."""


class SqlUnitOfWork(UnitOfWork):
    """A unit of work over one connection of ``engine``; subclasses implement ``_open``.

    ``write=True`` marks a unit of work that will write: on SQLite it starts the transaction
    with ``BEGIN IMMEDIATE`` so a read-modify-write sequence holds the write lock from its
    first read (pysqlite otherwise reads outside any transaction). PostgreSQL and MariaDB
    rely on ``SELECT ... FOR UPDATE`` in the repositories.

    On SQLite, writers of one engine in this process also queue on a process lock before
    ``BEGIN IMMEDIATE``: SQLite's busy handler makes a waiting writer *sleep* (1, 2, 5 … up
    to 100 ms) instead of waking it when the lock is free, so under concurrent writes
    (every center of the one-process platform serving the gateway) writers convoy and the
    database idles. A queued thread is woken the moment the previous writer ends; writers of
    other processes still meet the busy timeout as before.
    """

    def __init__(
        self, engine: Engine, *, write: bool = True, dry_run: bool = False, clock: Clock = utc_now
    ) -> None:
        super().__init__(dry_run=dry_run, clock=clock)
        self.engine = engine
        self.write = write
        self.connection: Connection | None = None
        self._writer: threading.RLock | None = None

    def _begin(self) -> None:
        sqlite_writer = self.write and self.engine.dialect.name == "sqlite"
        if sqlite_writer:
            self._writer = _sqlite_writer_lock(self.engine)
            self._writer.acquire()
        try:
            self.connection = self.engine.connect()
            self.connection.begin()
            if sqlite_writer:
                self.connection.exec_driver_sql("BEGIN IMMEDIATE")
            self._open(self.connection)
        except BaseException:
            self._end()  # __exit__ does not run when __enter__ fails
            raise

    @abc.abstractmethod
    def _open(self, connection: Connection) -> None:
        """Create this center's repositories (and id allocator) on ``connection``."""

    def _commit(self) -> None:
        assert self.connection is not None, "commit() outside `with uow:`"
        self.connection.commit()

    def _rollback(self) -> None:
        if self.connection is not None and self.connection.in_transaction():
            self.connection.rollback()

    def _end(self) -> None:
        try:
            if self.connection is not None:
                self.connection.close()
                self.connection = None
        finally:
            if self._writer is not None:
                self._writer.release()
                self._writer = None


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITER_LOCKS_GUARD = threading.Lock()


def _sqlite_writer_lock(engine: Engine) -> threading.RLock:
    """The lock this process's writers of ``engine`` queue on (see SqlUnitOfWork)."""
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(engine)
        if lock is None:
            lock = _WRITER_LOCKS[engine] = threading.RLock()
        return lock


class InMemoryUnitOfWork(UnitOfWork):
    """The fakes' unit of work: ``self.db`` maps table names to dicts, kept across uses.

    ``_begin`` snapshots ``db``, ``_commit`` takes a new snapshot, ``_rollback`` restores the
    last one in place (so repositories holding references to the inner dicts stay valid).
    """

    def __init__(self, *, dry_run: bool = False, clock: Clock = utc_now) -> None:
        super().__init__(dry_run=dry_run, clock=clock)
        self.db: dict[str, dict] = {}
        self._snapshot: dict[str, dict] = {}
        self.commits = 0

    def table(self, name: str) -> dict:
        """The in-memory table ``name`` (created empty on first use)."""
        if name not in self.db:
            self.db[name] = {}
            self._snapshot.setdefault(name, {})
        return self.db[name]

    def _begin(self) -> None:
        self._snapshot = copy.deepcopy(self.db)
        self._open()

    @abc.abstractmethod
    def _open(self) -> None:
        """Create the fake repositories over ``self.table(...)``."""

    def _commit(self) -> None:
        self._snapshot = copy.deepcopy(self.db)
        self.commits += 1

    def _rollback(self) -> None:
        for name, rows in self.db.items():
            rows.clear()
            rows.update(copy.deepcopy(self._snapshot.get(name, {})))
