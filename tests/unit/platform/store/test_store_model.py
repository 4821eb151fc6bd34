"""The store model's rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from zhongtai.platform.errors import Conflict, InvalidInput
from zhongtai.platform.store.model import (
    BusinessHours,
    Channel,
    ChannelBinding,
    Geo,
    Interval,
    PosBinding,
    Store,
    StoreStatus,
    normalize_code,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = datetime(2025, 1, 2, tzinfo=UTC)


def store(**kw) -> Store:
    return Store(
        **{
            "id": 12,
            "store_code": "SH0012",
            "name": "人民广场店",
            "created_at": T0,
            "updated_at": T0,
            **kw,
        }
    )


def test_legacy_business_hours_string_parses_and_round_trips():
    hours = BusinessHours.parse("10:00-14:00, 17:00-22:00")
    assert hours.to_json() == [
        {"open": "10:00", "close": "14:00"},
        {"open": "17:00", "close": "22:00"},
    ]
    assert hours.legacy_text() == "10:00-14:00,17:00-22:00"
    assert BusinessHours.from_json(hours.to_json()) == hours
    assert hours.is_open_at(time(11, 30)) and not hours.is_open_at(time(15, 0))


def test_hours_past_midnight():
    hours = BusinessHours((Interval("22:00", "02:00"),))
    assert hours.is_open_at(time(23, 0)) and hours.is_open_at(time(1, 59))
    assert not hours.is_open_at(time(2, 0))


@pytest.mark.parametrize("text", ["10:00", "25:00-26:00", "10:00-10:00", "9:00-12:00"])
def test_bad_hours_are_refused(text):
    with pytest.raises(InvalidInput):
        BusinessHours.parse(text)


def test_codes_lose_full_width_characters_and_spaces():
    assert normalize_code(" ＳＨ００１２ ", "store_code") == "SH0012"
    with pytest.raises(InvalidInput, match="store_code"):
        normalize_code("SH 0012", "store_code")


def test_a_secret_is_not_accepted_as_credential_ref():
    with pytest.raises(InvalidInput) as err:
        ChannelBinding(Channel.MEITUAN, "mt1", credential_ref="f3a9c1d2e4b5")
    assert err.value.code == "CREDENTIAL_NOT_A_REFERENCE"
    assert "f3a9c1d2e4b5" not in str(err.value)  # the would-be secret is not echoed
    assert ChannelBinding(Channel.MEITUAN, "mt1", credential_ref="vault://o2o/mt/1")


def test_geo_range_is_checked():
    with pytest.raises(InvalidInput, match="out of range"):
        Geo(lng=31.2, lat=121.5)  # swapped, as some legacy rows are


def test_update_revalidates_and_touches():
    s = store()
    s.update(T1, name=" 新店 ", status=StoreStatus.CLOSED)
    assert (s.name, s.status, s.updated_at) == ("新店", StoreStatus.CLOSED, T1)
    with pytest.raises(InvalidInput):
        s.update(T1, name="")
    with pytest.raises(InvalidInput, match="legacy_id"):
        s.update(T1, legacy_id=5)


def test_bind_unbind_and_delete():
    s = store()
    s.bind_channel(ChannelBinding(Channel.ELEME, "e1", external_ref="open1"), T1)
    s.set_pos_binding(PosBinding("POS12", "FREEMUD"), T1)
    assert s.channel_bindings[Channel.ELEME].external_ref == "open1"
    with pytest.raises(Conflict):
        s.unbind_channel(Channel.MEITUAN, T1)
    s.delete(T1)
    assert s.is_deleted and s.channel_bindings == {}
    with pytest.raises(Conflict) as err:
        s.update(T1, name="x")
    assert err.value.code == "STORE_DELETED"


def test_the_phone_text_is_kept_as_written_and_follows_its_phone():
    from zhongtai.platform.phone import parse_phone

    s = store(phone=parse_phone("021-12345678"), phone_text="021-12345678转8 ")
    assert s.phone_text == "021-12345678转8 "  # verbatim, as the legacy list shows it
    s.update(T1, phone_text="021-1234 5678")  # a new way of writing the same number
    assert s.phone_text == "021-1234 5678" and s.phone.e164 == "+862112345678"
    s.update(T1, phone=parse_phone("13800138000"))  # the old text named the old number
    assert s.phone_text is None and s.phone.e164 == "+8613800138000"
    assert store(phone=None, phone_text="021-12345678").phone_text is None  # no number, no text
    assert store(phone=parse_phone("13800138000"), phone_text="  ").phone_text is None
    with pytest.raises(InvalidInput, match="longer than 64"):
        store(phone=parse_phone("13800138000"), phone_text="1" * 65)
