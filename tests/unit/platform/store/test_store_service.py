"""Store services against the in-memory unit of work (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhongtai.platform.errors import Conflict, InvalidInput, NotFound
from zhongtai.platform.ids import PLATFORM_ID_BASE
from zhongtai.platform.store import service
from zhongtai.platform.store.fakes import FakeStoreUnitOfWork
from zhongtai.platform.store.model import Channel, ChannelBinding, PosBinding

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def uow():
    uow = FakeStoreUnitOfWork(clock=lambda: T0)
    service.create_store(
        uow,
        store_code="SH0012",
        name="人民广场店",
        legacy_id=12,
        city="上海",
        channel_bindings=[ChannelBinding(Channel.MEITUAN, "mt12", "vault://mt/12")],
    )
    return uow


def test_a_migrated_store_keeps_its_legacy_id(uow):
    store = service.get_store(uow, 12)
    assert (store.id, store.legacy_id, store.created_at) == (12, 12, T0)


def test_a_platform_born_store_gets_an_allocated_id(uow):
    store = service.create_store(uow, store_code="SH0099", name="新店")
    assert store.id == PLATFORM_ID_BASE and store.legacy_id is None


@pytest.mark.parametrize(
    "key",
    [
        {"legacy_id": 12},
        {"store_code": "SH0012"},
        {"store_code": "ＳＨ００１２"},
        {"channel": Channel.MEITUAN, "channel_store_id": "mt12"},
    ],
)
def test_lookup_by_each_legacy_key(uow, key):
    assert service.find_store(uow, **key).id == 12


@pytest.mark.parametrize(
    "key",
    [{}, {"legacy_id": 12, "store_code": "SH0012"}, {"channel_store_id": "mt12"}],
)
def test_lookup_needs_exactly_one_key(uow, key):
    with pytest.raises(InvalidInput):
        service.find_store(uow, **key)


def test_duplicate_code_and_id_are_refused_and_change_nothing(uow):
    before = dict(uow.db["store"])
    with pytest.raises(Conflict) as err:
        service.create_store(uow, store_code="SH0012", name="x")
    assert err.value.code == "STORE_CODE_TAKEN" and err.value.details == {"store_id": 12}
    with pytest.raises(Conflict):
        service.create_store(uow, store_code="SH0013", name="x", legacy_id=12)
    assert uow.db["store"] == before
    assert uow.db.get("id_counter", {}) == {}  # a failed create consumed no id


def test_a_channel_store_id_binds_one_store_only(uow):
    other = service.create_store(uow, store_code="SH0013", name="x")
    with pytest.raises(Conflict) as err:
        service.bind_channel(uow, other.id, ChannelBinding(Channel.MEITUAN, "mt12"))
    assert err.value.code == "CHANNEL_STORE_TAKEN"
    service.unbind_channel(uow, 12, Channel.MEITUAN)
    service.bind_channel(uow, other.id, ChannelBinding(Channel.MEITUAN, "mt12"))
    assert service.find_store(uow, channel=Channel.MEITUAN, channel_store_id="mt12").id == other.id


def test_pos_binding_and_profile_update(uow):
    service.set_pos_binding(uow, 12, PosBinding("P-12", "FREEMUD"))
    store = service.update_store(uow, 12, name="人民广场旗舰店")
    assert store.pos_binding == PosBinding("P-12", "FREEMUD")
    assert service.get_store(uow, 12).name == "人民广场旗舰店"


def test_deleted_stores_disappear_from_lookups_and_lists(uow):
    service.delete_store(uow, 12)
    with pytest.raises(NotFound):
        service.get_store(uow, 12)
    with pytest.raises(NotFound):
        service.find_store(uow, store_code="SH0012")
    assert service.get_store(uow, 12, include_deleted=True).is_deleted
    assert service.list_stores(uow) == []
    assert len(service.list_stores(uow, include_deleted=True)) == 1
    # the code and the channel store id are free again
    service.create_store(
        uow,
        store_code="SH0012",
        name="重开",
        channel_bindings=[ChannelBinding(Channel.MEITUAN, "mt12")],
    )


def test_dry_run_returns_the_real_answer_and_keeps_nothing(uow):
    before = {k: dict(v) for k, v in uow.db.items()}
    dry = FakeStoreUnitOfWork(dry_run=True, clock=lambda: T0)
    dry.db = uow.db
    created = service.create_store(dry, store_code="SH0100", name="影子店")
    assert {k: dict(v) for k, v in uow.db.items()} == before
    real = service.create_store(uow, store_code="SH0100", name="影子店")
    assert real == created  # same id, same everything
