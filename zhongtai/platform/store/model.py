"""门店中心 store center: the pure model (no SQLAlchemy, no FastAPI).

A :class:`Store` is the aggregate: the store row plus its channel bindings (one per takeout
channel, keyed by the channel's own store id: Meituan ``app_poi_code``, Eleme ``shopId``) and
its POS binding. Credentials never live here: a binding carries ``credential_ref``, a
reference into a secret store (``vault://...``, ``env://VAR``), and a value that does not look
like a reference is refused, so a token cannot slip in by mistake.

Ids: a store migrated from legacy keeps its legacy ``t_store.id`` as ``id`` and records it in
``legacy_id`` (non-null means "came from legacy"); stores born on the platform get an id from
:mod:`zhongtai.platform.ids` and ``legacy_id`` NULL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from enum import StrEnum

from zhongtai.platform.errors import Conflict, InvalidInput
from zhongtai.platform.phone import Phone

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CREDENTIAL_REF = re.compile(r"^[a-z][a-z0-9+.-]*://\S{1,200}$")


class StoreStatus(StrEnum):
    OPEN = "OPEN"  # 营业
    CLOSED = "CLOSED"  # 停业
    PREPARING = "PREPARING"  # 筹建


class Channel(StrEnum):
    MEITUAN = "MEITUAN"
    ELEME = "ELEME"


def normalize_code(value: str, what: str) -> str:
    """Codes arrive with full-width characters and spaces (a legacy quirk): NFKC and strip."""
    code = unicodedata.normalize("NFKC", value or "").strip()
    if not _CODE.match(code):
        raise InvalidInput(
            f"{what} {value!r} is not a code of 1-32 letters, digits, '-' or '_'",
            hint=f"send {what} like SH0012",
        )
    return code


@dataclass(frozen=True)
class Interval:
    """One opening interval, local time ``HH:MM``; ``close < open`` runs past midnight."""

    open: str
    close: str

    def __post_init__(self) -> None:
        for value in (self.open, self.close):
            if not _HHMM.match(value):
                raise InvalidInput(
                    f"business hours time {value!r} is not HH:MM", hint="e.g. 10:00-14:00"
                )
        if self.open == self.close:
            raise InvalidInput(f"business hours interval {self.open}-{self.close} is empty")

    def contains(self, moment: time) -> bool:
        now = moment.strftime("%H:%M")
        if self.open < self.close:
            return self.open <= now < self.close
        return now >= self.open or now < self.close


@dataclass(frozen=True)
class BusinessHours:
    """Daily opening intervals (stored as JSON ``[{"open": "10:00", "close": "14:00"}]``)."""

    intervals: tuple[Interval, ...] = ()

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """Parse the legacy string ``"10:00-14:00,17:00-22:00"``."""
        intervals = []
        for part in (text or "").replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if "-" not in part:
                raise InvalidInput(f"business hours {part!r} is not HH:MM-HH:MM")
            start, end = (p.strip() for p in part.split("-", 1))
            intervals.append(Interval(start, end))
        return cls(tuple(intervals))

    @classmethod
    def from_json(cls, data: list[dict]) -> BusinessHours:
        return cls(tuple(Interval(d["open"], d["close"]) for d in data or []))

    def to_json(self) -> list[dict]:
        return [{"open": i.open, "close": i.close} for i in self.intervals]

    def legacy_text(self) -> str:
        return ",".join(f"{i.open}-{i.close}" for i in self.intervals)

    def is_open_at(self, moment: time) -> bool:
        return any(i.contains(moment) for i in self.intervals)


@dataclass(frozen=True)
class Geo:
    """A GCJ-02 coordinate (the one Chinese map APIs use)."""

    lng: float
    lat: float

    def __post_init__(self) -> None:
        if not (-180 <= self.lng <= 180 and -90 <= self.lat <= 90):
            raise InvalidInput(
                f"coordinate lng={self.lng}, lat={self.lat} is out of range",
                hint="lng is -180..180 and lat -90..90; legacy rows sometimes swap them",
            )


@dataclass(frozen=True)
class ChannelBinding:
    channel: Channel
    channel_store_id: str  # Meituan app_poi_code / Eleme shopId
    credential_ref: str | None = None  # vault://..., never the token
    external_ref: str | None = None  # Eleme openId: the store's id as bound on the channel

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "channel_store_id", normalize_code(self.channel_store_id, "channel_store_id")
        )
        if self.credential_ref is not None and not _CREDENTIAL_REF.match(self.credential_ref):
            raise InvalidInput(
                "credential_ref must be a reference into a secret store, not a secret",
                code="CREDENTIAL_NOT_A_REFERENCE",
                hint="store the token in your secret store and send e.g. vault://o2o/meituan/SH0012",
            )


@dataclass(frozen=True)
class PosBinding:
    pos_store_code: str
    pos_vendor: str

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "pos_store_code", normalize_code(self.pos_store_code, "pos_store_code")
        )
        if not self.pos_vendor.strip():
            raise InvalidInput("pos_vendor is empty", hint="name the POS vendor, e.g. FREEMUD")


@dataclass
class Store:
    id: int
    store_code: str
    name: str
    created_at: datetime
    updated_at: datetime
    tenant_id: int = 1
    city: str | None = None
    address: str | None = None
    phone: Phone | None = None
    # The phone as it was written ("021-12345678转8", two numbers in one field): shown as is
    # on store lists, while ``phone`` is what can be dialled. None: shown as ``phone``.
    phone_text: str | None = None
    geo: Geo | None = None
    status: StoreStatus = StoreStatus.OPEN
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    legacy_id: int | None = None
    deleted_at: datetime | None = None
    channel_bindings: dict[Channel, ChannelBinding] = field(default_factory=dict)
    pos_binding: PosBinding | None = None

    def __post_init__(self) -> None:
        self.store_code = normalize_code(self.store_code, "store_code")
        if not self.name or not self.name.strip():
            raise InvalidInput("store name is empty", hint="send a name such as 人民广场店")
        self.name = self.name.strip()
        text = self.phone_text  # verbatim: legacy lists show the field byte for byte
        self.phone_text = text if self.phone is not None and text and text.strip() else None
        if self.phone_text is not None and len(self.phone_text) > 64:
            raise InvalidInput(
                f"phone text {self.phone_text[:20]!r}… is longer than 64 characters",
                hint="send the number alone",
            )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def _touch(self, now: datetime) -> None:
        if self.is_deleted:
            raise Conflict(
                f"store {self.id} is deleted", code="STORE_DELETED", hint="create a new store"
            )
        self.updated_at = now

    def update(self, now: datetime, **changes) -> None:
        """Change profile fields (code, name, city, address, phone, geo, status, hours).

        A new ``phone`` without its ``phone_text`` drops the old text (it named the old number).
        """
        allowed = {"store_code", "name", "city", "address", "phone", "phone_text", "geo", "status"}
        unknown = set(changes) - allowed - {"business_hours"}
        if unknown:
            raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a store")
        self._touch(now)
        if "phone" in changes:
            changes.setdefault("phone_text", None)
        updated = replace(self, **changes)  # re-runs the checks in __post_init__
        self.__dict__.update(updated.__dict__)

    def bind_channel(self, binding: ChannelBinding, now: datetime) -> None:
        self._touch(now)
        self.channel_bindings[binding.channel] = binding

    def unbind_channel(self, channel: Channel, now: datetime) -> None:
        self._touch(now)
        if channel not in self.channel_bindings:
            raise Conflict(f"store {self.id} has no {channel} binding", code="BINDING_NOT_FOUND")
        del self.channel_bindings[channel]

    def set_pos_binding(self, binding: PosBinding | None, now: datetime) -> None:
        self._touch(now)
        self.pos_binding = binding

    def delete(self, now: datetime) -> None:
        """Soft delete: ``deleted_at`` is set and the channel bindings are released."""
        self._touch(now)
        self.deleted_at = now
        self.channel_bindings.clear()
