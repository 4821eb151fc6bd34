"""Member services against the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.ids import PLATFORM_ID_BASE
from zhongtai.platform.member import service
from zhongtai.platform.member.fakes import FakeMemberUnitOfWork
from zhongtai.platform.member.model import Identity, IdentityKind
from zhongtai.platform.phone import Phone

T0 = datetime(2025, 1, 1, tzinfo=UTC)
OPENID = Identity(IdentityKind.WX_OPENID, "o-7")
UNIONID = Identity(IdentityKind.WX_UNIONID, "u-7")
PHONE = Identity(IdentityKind.PHONE, "13800138000")
MEITUAN = Identity(IdentityKind.MEITUAN_USER, "mt-55")


@pytest.fixture
def uow():
    uow = FakeMemberUnitOfWork(clock=lambda: T0)
    service.create_member(uow, member_id=7, name="小王", identities=[OPENID])
    return uow


def snapshot(uow):
    return {k: dict(v) for k, v in uow.db.items()}


def test_legacy_member_keeps_its_id_and_is_found_by_identity(uow):
    assert service.get_member(uow, 7).name == "小王"
    assert service.find_member(uow, Identity(IdentityKind.WX_OPENID, " o-7 ")).id == 7


def test_phone_on_the_profile_becomes_an_identity(uow):
    m = service.create_member(uow, phone=Phone("+8613800138000"))
    assert m.id == PLATFORM_ID_BASE
    assert service.find_member(uow, Identity(IdentityKind.PHONE, "138 0013 8000")).id == m.id


def test_an_identity_belongs_to_one_member(uow):
    before = snapshot(uow)
    with pytest.raises(Conflict) as err:
        service.create_member(uow, identities=[OPENID, MEITUAN])
    assert err.value.code == "IDENTITY_TAKEN" and err.value.details["member_id"] == 7
    assert snapshot(uow) == before


def test_resolve_finds_attaches_or_creates(uow):
    m, created = service.resolve_member(uow, [OPENID, UNIONID])
    assert (m.id, created) == (7, False) and UNIONID in service.get_member(uow, 7).identities
    new, created = service.resolve_member(uow, [MEITUAN], name="美团用户")
    assert created and new.name == "美团用户"
    with pytest.raises(Conflict) as err:
        service.resolve_member(uow, [UNIONID, MEITUAN])
    assert err.value.details == {"member_ids": [7, new.id]}
    with pytest.raises(InvalidInput):
        service.resolve_member(uow, [])


def test_merge_moves_identities_points_and_balance(uow):
    other = service.create_member(uow, identities=[PHONE], points=20)
    service.post_stored_value(uow, other.id, "topup-1", 5000, "充值")
    service.post_stored_value(uow, 7, "topup-2", 100, "充值")
    merged = service.merge_members(uow, 7, other.id)
    assert merged.identities == {OPENID, PHONE} and merged.points == 20
    assert service.get_account(uow, 7).balance == 5100
    with pytest.raises(NotFound) as err:
        service.get_member(uow, other.id)
    assert err.value.code == "MEMBER_MERGED" and err.value.details == {"merged_into": 7}
    assert service.find_member(uow, PHONE).id == 7
    txns = uow.db["stored_value_txn"]
    assert {k: t.amount for k, t in txns.items() if k.startswith("merge:")} == {
        f"merge:{other.id}>7:out": -5000,
        f"merge:{other.id}>7:in": 5000,
    }


def test_stored_value_is_idempotent_by_request_id(uow):
    txn, replayed = service.post_stored_value(uow, 7, "r1", 300, "充值")
    again, replayed_again = service.post_stored_value(uow, 7, "r1", 300, "充值")
    assert (replayed, replayed_again, again) == (False, True, txn)
    assert service.get_account(uow, 7).balance == 300
    with pytest.raises(Conflict) as err:
        service.post_stored_value(uow, 7, "r1", 999, "充值")
    assert err.value.code == "REQUEST_ID_REUSED"
    before = snapshot(uow)
    with pytest.raises(Conflict):
        service.post_stored_value(uow, 7, "r2", -301, "消费")
    assert snapshot(uow) == before


def test_update_profile_and_unknown_member(uow):
    m = service.update_member(uow, 7, name="王先生", phone=Phone("+8613800138000"))
    assert PHONE in m.identities
    with pytest.raises(NotFound):
        service.update_member(uow, 8, name="x")


def test_dry_run_resolve_creates_nothing_and_answers_like_the_real_call(uow):
    dry = FakeMemberUnitOfWork(dry_run=True, clock=lambda: T0)
    dry.db = uow.db
    before = snapshot(uow)
    shadow, created = service.resolve_member(dry, [MEITUAN], name="影子")
    assert created and snapshot(uow) == before
    real, _ = service.resolve_member(uow, [MEITUAN], name="影子")
    assert real == shadow
