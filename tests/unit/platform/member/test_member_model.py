"""Member model rules: identities, merges, stored value (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from zhongtai.platform.errors import Conflict, InvalidInput
from zhongtai.platform.member.model import (
    Gender,
    Identity,
    IdentityKind,
    Member,
    StoredValueAccount,
    phone_identity,
)
from zhongtai.platform.phone import Phone

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = datetime(2025, 1, 2, tzinfo=UTC)
PHONE = IdentityKind.PHONE


@pytest.mark.parametrize("text", ["13800138000", "+86 138-0013-8000", "86-13800138000"])
def test_phone_identities_are_e164_whatever_the_format(text):
    assert Identity(PHONE, text) == Identity("PHONE", "+8613800138000")


@pytest.mark.parametrize("text", ["138****8000", "18449039731_7333"])
def test_masked_and_privacy_numbers_do_not_identify(text):
    with pytest.raises(InvalidInput) as err:
        Identity(PHONE, text)
    assert err.value.code == "PHONE_NOT_IDENTIFYING"
    assert phone_identity(Phone("+86138****8000", masked=True)) is None


@pytest.mark.parametrize(("kind", "value"), [("WX_OPENID", "o 1"), ("WX_OPENID", ""), ("QQ", "1")])
def test_bad_identities_are_refused(kind, value):
    with pytest.raises(InvalidInput):
        Identity(kind, value)


def member(member_id: int, *identities: Identity, **kw) -> Member:
    return Member(member_id, T0, T0, identities=set(identities), **kw)


def test_changing_the_phone_moves_the_phone_identity():
    m = member(1, Identity(PHONE, "13800138000"), phone=Phone("+8613800138000"))
    m.update(T1, phone=Phone("+8613900139000"))
    assert m.identities == {Identity(PHONE, "13900139000")}
    m.update(T1, phone=Phone("+86139****9000", masked=True))
    assert m.identities == set() and m.phone.masked


def test_absorb_moves_everything_and_tombstones_the_other():
    openid = Identity(IdentityKind.WX_OPENID, "o-1")
    phone = Identity(PHONE, "13800138000")
    a = member(1, openid, name="小王", points=10)
    b = member(
        2,
        phone,
        phone=Phone("+8613800138000"),
        points=5,
        gender=Gender.MALE,
        birthday=date(1990, 5, 1),
        level=3,
    )
    a.absorb(b, T1)
    assert a.identities == {openid, phone} and a.points == 15 and a.level == 3
    assert (a.phone, a.gender, a.birthday) == (
        Phone("+8613800138000"),
        Gender.MALE,
        date(1990, 5, 1),
    )
    assert (b.merged_into_id, b.deleted_at, b.identities, b.points) == (1, T1, set(), 0)
    with pytest.raises(Conflict) as err:
        b.update(T1, name="x")
    assert err.value.details == {"merged_into": 1}
    with pytest.raises(InvalidInput):
        a.absorb(a, T1)


def test_stored_value_never_goes_negative():
    account = StoredValueAccount(1, T0)
    assert account.post(1000, T1) == 1000
    assert account.post(-400, T1) == 600
    with pytest.raises(Conflict) as err:
        account.post(-601, T1)
    assert err.value.code == "INSUFFICIENT_BALANCE" and account.balance == 600
    for bad in (0, 1.5, True):
        with pytest.raises(InvalidInput):
            account.post(bad, T1)
