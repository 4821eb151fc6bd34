"""The store key directory (pure): every identifier a store goes by → its canonical store code.

Clients name a store in different ways: the mini-program by the legacy store id, the POS and
order numbers by the store code, Meituan by ``app_poi_code``, Eleme by ``shopId`` (or its
``openId``). A route's key spec says which kind of identifier it extracts (``json:shopId as
eleme_shop``); the proxy resolves it here to the store code before bucketing, so one store
lands on the same side on every route of a group.

Two sources fill it:

* the **directory** — store aliases loaded by ``zhongtai route stores refresh`` from the
  platform store center's HTTP API, replaced wholesale on every refresh;
* **learned channel orders** — ``meituan_order`` / ``eleme_order`` ids seen by the proxy next to
  a store identifier (a new-order push carries both), so that a later push carrying only the
  channel order id (a Meituan refund) buckets with its store. Bounded in memory and retention.

Resolution: a store alias the directory knows gives its store code; an unknown one falls back to
its raw value (hashed as before, and counted so operators see it); an unknown channel order id
gives nothing (the spec is skipped: hashing an order id would scatter one store's orders).
Nothing here does I/O; :mod:`.storekeys_db` persists, :mod:`.storekeys_sync` reloads.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STORE_CODE = "store_code"  # canonical: the POS/ERP store code, e.g. SH0012
STORE_ID = "store_id"  # the store id clients see (legacy t_store.id, kept by the store center)
MEITUAN_POI = "meituan_poi"  # Meituan app_poi_code
ELEME_SHOP = "eleme_shop"  # Eleme shopId
ELEME_OPEN = "eleme_open"  # Eleme openId (the store's external id on Eleme)
MEITUAN_ORDER = "meituan_order"  # Meituan order_id, learned from the traffic
ELEME_ORDER = "eleme_order"  # Eleme orderId, learned from the traffic

STORE_KINDS = (STORE_CODE, STORE_ID, MEITUAN_POI, ELEME_SHOP, ELEME_OPEN)
ORDER_KINDS = (MEITUAN_ORDER, ELEME_ORDER)
KINDS = STORE_KINDS + ORDER_KINDS
MAX_VALUE = 64  # longest alias value kept (the state table's column)
MAX_LEARNED = 200_000  # learned channel orders held in memory per proxy process
CHANNEL_KINDS = {"MEITUAN": (MEITUAN_POI, None), "ELEME": (ELEME_SHOP, ELEME_OPEN)}


class DirectoryError(ValueError):
    """The store list cannot make a directory (two stores claim one alias, a store lacks a code)."""


@dataclass(frozen=True)
class StoreDirectory:
    """Aliases from the last refresh; immutable, swapped whole when the version moves."""

    aliases: Mapping[tuple[str, str], str] = field(default_factory=dict)
    version: int = 0

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.aliases.values())

    def counts(self) -> dict[str, int]:
        """Aliases per kind."""
        out = dict.fromkeys(STORE_KINDS, 0)
        for kind, _ in self.aliases:
            out[kind] = out.get(kind, 0) + 1
        return out


def aliases_from_stores(stores: Iterable[Mapping]) -> dict[tuple[str, str], str]:
    """(kind, value) → store code from store-center store JSON (``GET /stores`` items).

    Each store gives its code, its id (and legacy id), and one alias per channel binding:
    Meituan's ``channel_store_id`` (app_poi_code), Eleme's ``channel_store_id`` (shopId) and
    ``external_ref`` (openId). Two stores claiming one alias raise :class:`DirectoryError`
    naming both: routing on a guess would split a store's writes.
    """
    out: dict[tuple[str, str], str] = {}

    def claim(kind: str, value: object, code: str) -> None:
        if value is None or value == "":
            return
        text = str(value).strip()
        if not text or len(text) > MAX_VALUE:
            return
        holder = out.setdefault((kind, text), code)
        if holder != code:
            raise DirectoryError(
                f"{kind} {text!r} belongs to two stores, {holder} and {code}; "
                "fix the store center's data before refreshing"
            )

    for store in stores:
        code = str(store.get("store_code") or "").strip()
        if not code or len(code) > MAX_VALUE:
            raise DirectoryError(f"store {store.get('id')!r} has no usable store_code: {code!r}")
        claim(STORE_CODE, code, code)
        claim(STORE_ID, store.get("id"), code)
        claim(STORE_ID, store.get("legacy_id"), code)
        for binding in store.get("channel_bindings") or []:
            kinds = CHANNEL_KINDS.get(str(binding.get("channel", "")).upper())
            if kinds is None:
                continue
            claim(kinds[0], binding.get("channel_store_id"), code)
            if kinds[1]:
                claim(kinds[1], binding.get("external_ref"), code)
    return out


@dataclass(frozen=True)
class DirectoryDiff:
    added: int
    removed: int
    moved: tuple[tuple[str, str, str, str], ...]  # (kind, value, old code, new code)

    def as_dict(self, limit: int = 50) -> dict:
        """Counts, and the first ``limit`` moved aliases."""
        return {
            "added": self.added,
            "removed": self.removed,
            "moved_count": len(self.moved),
            "moved": [
                dict(zip(("kind", "value", "from", "to"), m, strict=True))
                for m in self.moved[:limit]
            ],
        }


def diff_aliases(
    old: Mapping[tuple[str, str], str], new: Mapping[tuple[str, str], str]
) -> DirectoryDiff:
    """What a refresh changes; a *moved* alias sends its traffic to another store's bucket."""
    moved = tuple(
        sorted((k[0], k[1], old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k])
    )
    return DirectoryDiff(len(new.keys() - old.keys()), len(old.keys() - new.keys()), moved)


class LearnedOrders:
    """Channel order id → the key its store was bucketed by; oldest forgotten past ``limit``."""

    def __init__(self, limit: int = MAX_LEARNED) -> None:
        self.limit = limit
        self._keys: OrderedDict[tuple[str, str], str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, kind: str, value: str) -> str | None:
        return self._keys.get((kind, value))

    def put(self, kind: str, value: str, key: str) -> bool:
        """Remember (kind, value) → key; True when this changed what is known."""
        if self._keys.get((kind, value)) == key:
            return False
        self._keys[(kind, value)] = key
        self._keys.move_to_end((kind, value))
        while len(self._keys) > self.limit:
            self._keys.popitem(last=False)
        return True


class StoreKeys:
    """What one proxy process resolves keys with: the directory and the learned orders.

    Read on every keyed request (dict lookups only); the sync addon swaps ``directory`` and
    feeds ``orders`` from the state database, and drains ``pending`` (orders learned here).
    """

    def __init__(self, directory: StoreDirectory | None = None, limit: int = MAX_LEARNED) -> None:
        self.directory = directory or StoreDirectory()
        self.orders = LearnedOrders(limit)
        self.pending: list[tuple[str, str, str]] = []  # (kind, value, key) not yet written

    def resolve(self, kind: str, value: str) -> tuple[str | None, bool]:
        """(bucketing key, known) for an identifier of ``kind``.

        Store kinds: the canonical store code when known, else the raw value (known False).
        Order kinds: the learned key, else None (the caller tries its next spec).
        """
        if kind in ORDER_KINDS:
            key = self.orders.get(kind, value)
            return key, key is not None
        if kind == STORE_CODE:
            return value, (kind, value) in self.directory.aliases
        code = self.directory.aliases.get((kind, value))
        return (code, True) if code is not None else (value, False)

    def learn(self, kind: str, value: str, key: str) -> None:
        """Remember that channel order ``value`` belongs with ``key``; queued for the database."""
        if kind not in ORDER_KINDS or not value or len(value) > MAX_VALUE or len(key) > MAX_VALUE:
            return
        if self.orders.put(kind, value, key):
            self.pending.append((kind, value, key))

    def absorb(self, rows: Iterable[tuple[str, str, str]]) -> int:
        """Orders other processes learned (from the database); returns how many were new."""
        return sum(self.orders.put(kind, value, key) for kind, value, key in rows)
