"""会员中心 member center: the pure model (no SQLAlchemy, no FastAPI).

The readers' question "one wide user table, or identity tables?" is answered with **one
member plus identities**: a :class:`Member` owns any number of :class:`Identity` values
(WeChat openid/unionid, phone, Meituan user, Eleme user), each ``(kind, value)`` belonging to
at most one member. The same person found twice (an openid-only row and a phone-only row) is
merged: the survivor absorbs the other's identities, points and stored value; the other row is
soft-deleted with ``merged_into_id`` pointing at the survivor.

A masked phone (``138****8000``) or a privacy number with an extension is kept as the
member's display phone but never becomes a PHONE identity: it does not identify anyone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from zhongtai.platform.errors import Conflict, InvalidInput
from zhongtai.platform.phone import Phone, parse_phone


class IdentityKind(StrEnum):
    WX_OPENID = "WX_OPENID"
    WX_UNIONID = "WX_UNIONID"
    PHONE = "PHONE"
    MEITUAN_USER = "MEITUAN_USER"
    ELEME_USER = "ELEME_USER"


class Gender(StrEnum):
    UNKNOWN = "UNKNOWN"
    MALE = "MALE"
    FEMALE = "FEMALE"


@dataclass(frozen=True, order=True)
class Identity:
    """``(kind, value)``; phones are normalised to E.164 so every format finds the member."""

    kind: IdentityKind
    value: str

    def __post_init__(self) -> None:
        try:
            kind = IdentityKind(self.kind)
        except ValueError:
            raise InvalidInput(
                f"identity kind {self.kind!r} is unknown",
                hint=f"one of: {', '.join(IdentityKind)}",
            ) from None
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "value", normalize_identity(kind, self.value))


def normalize_identity(kind: IdentityKind, value: str) -> str:
    """Canonical identity value: E.164 for phones, trimmed text otherwise."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if kind == IdentityKind.PHONE:
        try:
            phone = parse_phone(text)
        except ValueError as exc:
            raise InvalidInput(
                str(exc), code="INVALID_PHONE", hint="send e.g. 13800138000"
            ) from None
        if phone.masked or phone.extension:
            raise InvalidInput(
                f"phone {value!r} is masked or a privacy number; it cannot identify a member",
                code="PHONE_NOT_IDENTIFYING",
                hint="use the platform user id (MEITUAN_USER / ELEME_USER) instead",
            )
        return phone.e164
    if not text or len(text) > 128 or any(ch.isspace() for ch in text):
        raise InvalidInput(f"{kind} value {value!r} must be 1-128 characters without spaces")
    return text


def phone_identity(phone: Phone | None) -> Identity | None:
    """The PHONE identity a display phone gives, if it identifies anyone."""
    if phone is None or phone.masked or phone.extension:
        return None
    return Identity(IdentityKind.PHONE, phone.e164)


@dataclass
class Member:
    id: int
    created_at: datetime
    updated_at: datetime
    tenant_id: int = 1
    name: str | None = None
    phone: Phone | None = None
    gender: Gender = Gender.UNKNOWN
    birthday: date | None = None
    level: int = 1
    points: int = 0
    register_store_id: int | None = None
    source_channel: str | None = None  # MINI_PROGRAM, APP, MEITUAN, ELEME...
    merged_into_id: int | None = None
    deleted_at: datetime | None = None
    identities: set[Identity] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.gender = Gender(self.gender)
        if self.level < 0 or self.points < 0:
            raise InvalidInput(f"member {self.id}: level and points cannot be negative")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def _touch(self, now: datetime) -> None:
        if self.is_deleted:
            raise Conflict(
                f"member {self.id} is deleted"
                + (f" (merged into {self.merged_into_id})" if self.merged_into_id else ""),
                code="MEMBER_DELETED",
                details={"merged_into": self.merged_into_id},
            )
        self.updated_at = now

    def add_identity(self, identity: Identity, now: datetime) -> bool:
        """Attach an identity; False if the member already had it."""
        self._touch(now)
        if identity in self.identities:
            return False
        self.identities.add(identity)
        return True

    def update(self, now: datetime, **changes) -> None:
        allowed = {"name", "phone", "gender", "birthday", "level", "points"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a member")
        self._touch(now)
        if "phone" in changes:
            # the PHONE identity follows the display phone
            old, new = phone_identity(self.phone), phone_identity(changes["phone"])
            if old:
                self.identities.discard(old)
            if new:
                self.identities.add(new)
        for key, value in changes.items():
            setattr(self, key, value)
        self.__post_init__()

    def absorb(self, other: Member, now: datetime) -> None:
        """Merge ``other`` (the same person) into this member."""
        if other.id == self.id:
            raise InvalidInput(f"cannot merge member {self.id} into itself")
        other._touch(now)
        self._touch(now)
        self.identities |= other.identities
        self.points += other.points
        self.name = self.name or other.name
        self.phone = self.phone or other.phone
        self.birthday = self.birthday or other.birthday
        if self.gender == Gender.UNKNOWN:
            self.gender = other.gender
        self.level = max(self.level, other.level)
        other.identities = set()
        other.phone = None  # its PHONE identity (if any) now belongs to the survivor
        other.points = 0
        other.merged_into_id = self.id
        other.deleted_at = now


@dataclass
class StoredValueAccount:
    """储值 stored value in fen; it never goes below zero."""

    member_id: int
    updated_at: datetime
    balance: int = 0

    def post(self, amount: int, now: datetime) -> int:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise InvalidInput(f"amount {amount!r} must be a non-zero integer number of fen")
        if self.balance + amount < 0:
            raise Conflict(
                f"member {self.member_id} has {self.balance} fen; cannot take {-amount}",
                code="INSUFFICIENT_BALANCE",
                details={"balance": self.balance},
            )
        self.balance += amount
        self.updated_at = now
        return self.balance


@dataclass(frozen=True)
class StoredValueTxn:
    """One posting; ``request_id`` is the caller's idempotency key."""

    request_id: str
    member_id: int
    amount: int  # fen, + credit / - debit
    balance_after: int
    reason: str
    created_at: datetime
