"""The member center's HTTP API (``/centers/member`` or its own port with --split).

What the application layer needs: ``GET /members/{id}`` (legacy member ids are kept),
``GET /members/lookup?kind=WX_OPENID&value=...`` (or ``kind=PHONE&value=<any format>``),
``POST /members/resolve`` (login/registration: find or create by identities).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.http import iso, parse_or_invalid, unit_of_work
from zhongtai.platform.member import service
from zhongtai.platform.member.model import Gender, Identity, IdentityKind, Member
from zhongtai.platform.member.uow import SqlMemberUnitOfWork
from zhongtai.platform.phone import parse_phone

router = APIRouter(tags=["member"])
Uow = Annotated[SqlMemberUnitOfWork, Depends(unit_of_work)]
NOT_NULL = ("gender", "level", "points")


class IdentityIn(BaseModel):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=128)

    def identity(self) -> Identity:
        return Identity(self.kind, self.value)


class ProfilePatch(BaseModel):
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=64, description="any format; stored as E.164")
    gender: Gender | None = None
    birthday: date | None = None
    level: int | None = Field(None, ge=0, le=100)
    points: int | None = Field(None, ge=0)

    def changes(self) -> dict:
        out = {}
        for key in self.model_fields_set & set(ProfilePatch.model_fields):
            value = getattr(self, key)
            if value is None and key in NOT_NULL:
                raise InvalidInput(f"{key} cannot be null", hint=f"send a {key} or leave it out")
            if key == "phone" and value is not None:
                value = parse_or_invalid(
                    parse_phone, value, code="INVALID_PHONE", hint="send e.g. 13800138000"
                )
            out[key] = value
        return out


class MemberIn(ProfilePatch):
    legacy_id: int | None = Field(None, ge=1, description="keep the legacy t_member.id as id")
    tenant_id: int = Field(1, ge=1)
    register_store_id: int | None = Field(None, ge=1)
    source_channel: str | None = Field(None, max_length=16)
    identities: list[IdentityIn] = []

    def profile(self) -> dict:
        profile = {k: v for k, v in self.changes().items() if v is not None}
        profile.update(
            tenant_id=self.tenant_id,
            register_store_id=self.register_store_id,
            source_channel=self.source_channel,
        )
        return profile


class IdentitiesIn(BaseModel):
    identities: list[IdentityIn] = Field(min_length=1, max_length=20)


class ResolveIn(IdentitiesIn):
    profile: MemberIn | None = None


class MergeIn(BaseModel):
    source_member_id: int = Field(ge=1)


class PostingIn(BaseModel):
    request_id: str = Field(min_length=1, max_length=64, description="idempotency key")
    amount: int = Field(description="fen; positive credits, negative debits")
    reason: str = Field("", max_length=64)


def member_json(m: Member) -> dict:
    """The member as JSON: profile, identities, timestamps in UTC ISO 8601."""
    return {
        "id": m.id,
        "tenant_id": m.tenant_id,
        "name": m.name,
        "phone": {"e164": m.phone.e164, "extension": m.phone.extension, "masked": m.phone.masked}
        if m.phone
        else None,
        "gender": m.gender.value,
        "birthday": m.birthday.isoformat() if m.birthday else None,
        "level": m.level,
        "points": m.points,
        "register_store_id": m.register_store_id,
        "source_channel": m.source_channel,
        "identities": [{"kind": i.kind.value, "value": i.value} for i in sorted(m.identities)],
        "merged_into_id": m.merged_into_id,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
        "deleted_at": iso(m.deleted_at),
    }


@router.post("/members", status_code=201)
def create_member(body: MemberIn, uow: Uow) -> dict:
    """Register a member (``legacy_id`` keeps a legacy id); 409 if an identity is taken."""
    member = service.create_member(
        uow,
        member_id=body.legacy_id,
        identities=[i.identity() for i in body.identities],
        **body.profile(),
    )
    return member_json(member)


@router.get("/members/lookup")
def lookup_member(kind: IdentityKind, value: str, uow: Uow) -> dict:
    """The member holding identity ``kind``/``value`` (phones in any format)."""
    return member_json(service.find_member(uow, Identity(kind, value)))


@router.post("/members/resolve")
def resolve_member(body: ResolveIn, uow: Uow, response: Response) -> dict:
    """Find the member behind the identities or register one (201 when created)."""
    profile = body.profile.profile() if body.profile else {}
    member, created = service.resolve_member(
        uow, [i.identity() for i in body.identities], **profile
    )
    response.status_code = 201 if created else 200
    return {"created": created, "member": member_json(member)}


@router.get("/members/{member_id}")
def get_member(member_id: int, uow: Uow) -> dict:
    """One member; a merged id answers 404 ``MEMBER_MERGED`` naming the survivor."""
    return member_json(service.get_member(uow, member_id))


@router.patch("/members/{member_id}")
def update_member(member_id: int, body: ProfilePatch, uow: Uow) -> dict:
    """Change profile fields; a new phone moves the PHONE identity."""
    return member_json(service.update_member(uow, member_id, **body.changes()))


@router.post("/members/{member_id}/identities")
def attach_identities(member_id: int, body: IdentitiesIn, uow: Uow) -> dict:
    """Attach identities to the member; one held by another member is 409."""
    identities = [i.identity() for i in body.identities]
    return member_json(service.attach_identities(uow, member_id, identities))


@router.post("/members/{member_id}/merge")
def merge_members(member_id: int, body: MergeIn, uow: Uow) -> dict:
    """Merge ``source_member_id`` into this member (identities, points, stored value)."""
    return member_json(service.merge_members(uow, member_id, body.source_member_id))


@router.get("/members/{member_id}/stored-value")
def get_stored_value(member_id: int, uow: Uow) -> dict:
    """The member's stored-value balance in fen."""
    account = service.get_account(uow, member_id)
    return {"member_id": account.member_id, "balance": account.balance}


@router.post("/members/{member_id}/stored-value/transactions")
def post_stored_value(member_id: int, body: PostingIn, uow: Uow, response: Response) -> dict:
    """Credit or debit stored value, idempotent by ``request_id`` (200 on replay)."""
    txn, replayed = service.post_stored_value(
        uow, member_id, body.request_id, body.amount, body.reason
    )
    response.status_code = 200 if replayed else 201
    return {**vars(txn), "created_at": iso(txn.created_at), "replayed": replayed}
