"""Addon: the proxy's control loop — hot reload, record flushing, gate enforcement.

Every ``proxy.reload_ms`` (default 500 ms) it reads the state database's version counter and
reloads the route table when it moved, so ``zhongtai route set`` takes effect in every running
proxy within a second, without a restart. About once a second it writes the buffered shadow
records and this process's figure snapshot, then judges every canary route's gates on the
figures of all processes and rolls back the ones that broke. Database work runs in a thread;
the loop thread only swaps references.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from zhongtai.strangler import gates
from zhongtai.strangler.figures import combine
from zhongtai.strangler.records import Records
from zhongtai.strangler.runtime import Runtime
from zhongtai.strangler.state import StateStore

logger = logging.getLogger(__name__)
FLUSH_EVERY = 1.0
MAX_PENDING = 50_000  # shadow records held while the state database cannot be written
PRUNE_EVERY = 300.0  # seconds between retention passes
STALE_SNAPSHOTS = timedelta(hours=6)


class Control:
    def __init__(self, rt: Runtime, store: StateStore, records: Records) -> None:
        self.rt = rt
        self.store = store
        self.records = records
        self.task: asyncio.Task | None = None
        self._last_flush = 0.0
        self._last_prune = time.monotonic()

    def running(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def done(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        try:
            await self.flush()
        except Exception:
            logger.exception("final flush of the proxy's records failed")

    async def _loop(self) -> None:
        interval = max(self.rt.settings.reload_ms, 50) / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload()
                if time.monotonic() - self._last_flush >= FLUSH_EVERY:
                    self._last_flush = time.monotonic()
                    await self.flush(enforce=True)
                if time.monotonic() - self._last_prune >= PRUNE_EVERY:
                    self._last_prune = time.monotonic()
                    await asyncio.to_thread(self.prune)
            except Exception:  # the database may be briefly unavailable; keep proxying
                logger.exception("proxy control loop")

    async def reload(self) -> bool:
        """Swap in the stored route table if its version moved; True when it did."""
        version = await asyncio.to_thread(self.store.version)
        if version == self.rt.table.version:
            return False
        table = await asyncio.to_thread(self.store.load_table)
        self.rt.table = table
        logger.info("route table reloaded at version %s", table.version)
        return True

    async def flush(self, *, enforce: bool = False) -> None:
        """Write pending records and the snapshot; optionally enforce gates."""
        pending, self.rt.pending = self.rt.pending, []
        book = self.rt.book.to_dict()  # serialised on the loop thread, never shared
        table = self.rt.table
        try:
            rolled = await asyncio.to_thread(self._write, pending, book, table, enforce)
        except Exception:
            # Keep the records for the next pass, within bounds, if the database is away.
            self.rt.pending = (pending + self.rt.pending)[-MAX_PENDING:]
            raise
        if rolled:
            await self.reload()

    def prune(self) -> None:
        """Forget old shadow records and the snapshots of processes long gone."""
        self.records.prune_snapshots(STALE_SNAPSHOTS)
        hours = self.rt.settings.shadow_retention_hours
        if hours > 0:
            self.records.prune_shadow_records(timedelta(hours=hours))

    def _write(self, pending, book, table, enforce: bool) -> list[str]:
        self.records.add_shadow_records(pending)
        self.records.save_snapshot(self.rt.instance, book)
        if not enforce:
            return []
        revisions = {r.name: r.revision for r in table.routes}
        figures = combine(self.records.snapshots(), revisions)
        who = f"zhongtai-proxy {self.rt.instance} (automatic)"
        return gates.enforce(self.store, table, figures, who=who)
