"""Addon: keep this proxy's store key directory in step with the state database.

Every ``proxy.reload_ms`` it reads ``strangler_meta.stores_version`` and swaps in the
directory when a refresh moved it — like the route table, within a second and without a
restart. About once a second it writes the channel orders this process learned and reads
those the other processes learned, so a Meituan refund reaching another worker still finds
its store. Learned orders older than :data:`RETENTION` are pruned. Database work runs in a
thread; the loop thread only swaps references and fills dicts, so requests never wait on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from zhongtai.strangler.runtime import Runtime
from zhongtai.strangler.storekeys import MAX_LEARNED, StoreKeys
from zhongtai.strangler.storekeys_db import StoreKeyDB

logger = logging.getLogger(__name__)
RETENTION = timedelta(days=14)  # refunds and late status pushes come within days, not weeks
LOOK_BACK = timedelta(seconds=30)  # ids committed out of order become visible within this
EXCHANGE_EVERY = 1.0
PRUNE_EVERY = 300.0
MAX_PENDING = 50_000  # learned orders held while the state database cannot be written


def load_store_keys(db: StoreKeyDB, limit: int = MAX_LEARNED) -> tuple[StoreKeys, int]:
    """The directory and the learned orders as stored now; and the last learned id read."""
    keys = StoreKeys(db.load_directory(), limit)
    rows, last_id = db.load_learned(retention=RETENTION, limit=limit)
    keys.absorb(rows)
    return keys, last_id


class StoreKeySync:
    def __init__(self, rt: Runtime, db: StoreKeyDB, last_id: int = 0) -> None:
        self.rt = rt
        self.db = db
        self.last_id = last_id
        self.task: asyncio.Task | None = None
        self._last_exchange = 0.0
        self._last_prune = time.monotonic()

    def running(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def done(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        try:
            await self.exchange()
        except Exception:
            logger.exception("final write of the learned channel orders failed")

    async def _loop(self) -> None:
        interval = max(self.rt.settings.reload_ms, 50) / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload()
                if time.monotonic() - self._last_exchange >= EXCHANGE_EVERY:
                    self._last_exchange = time.monotonic()
                    await self.exchange()
                if time.monotonic() - self._last_prune >= PRUNE_EVERY:
                    self._last_prune = time.monotonic()
                    await asyncio.to_thread(self.db.prune_learned, RETENTION)
            except Exception:  # the database may be briefly unavailable; keep proxying
                logger.exception("store key directory sync")

    async def reload(self) -> bool:
        """Swap in the stored directory if its version moved; True when it did."""
        keys = self.rt.store_keys
        version = await asyncio.to_thread(self.db.version)
        if version == keys.directory.version:
            return False
        keys.directory = await asyncio.to_thread(self.db.load_directory)
        logger.info(
            "store key directory reloaded at version %s (%d aliases)",
            keys.directory.version,
            len(keys.directory.aliases),
        )
        return True

    async def exchange(self) -> None:
        """Write the orders learned here; take in those learned by every process."""
        keys = self.rt.store_keys
        pending, keys.pending = keys.pending, []
        try:
            rows, self.last_id = await asyncio.to_thread(self._exchange, pending)
        except Exception:
            keys.pending = (pending + keys.pending)[-MAX_PENDING:]
            raise
        keys.absorb(rows)

    def _exchange(self, pending) -> tuple[list, int]:
        self.db.add_learned(pending, self.rt.instance)
        return self.db.learned_since(self.last_id, look_back=LOOK_BACK)
