"""Forward sync on SQLite → SQLite and MariaDB → PostgreSQL: legacy changes reach the centers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.migrate.sync_support import diff_centers
from zhongtai.config import load_settings
from zhongtai.db import create_engine
from zhongtai.errors import DatabaseError
from zhongtai.legacy import schema as ls
from zhongtai.legacy.catalog import priced_skus
from zhongtai.legacy.placing import Line, Placement, place_order
from zhongtai.legacy.stores import OPEN, require_store
from zhongtai.migrate import origin, source
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.capture import CaptureError, install_capture
from zhongtai.migrate.changelog import change_log
from zhongtai.migrate.mapping import build_group
from zhongtai.migrate.mappings.members import MEMBER_GROUP
from zhongtai.migrate.mappings.people import resolve_people
from zhongtai.migrate.ripples import DERIVED
from zhongtai.migrate.status import migrate_status
from zhongtai.migrate.sync import ForwardSyncer, run_sync
from zhongtai.migrate.syncloop import run
from zhongtai.platform.member import tables as mt
from zhongtai.platform.payment import tables as pt


def _lags(settings) -> dict[str, float | None]:
    return {s.name: s.sync_lag_seconds for s in migrate_status(settings)}


def _copy_order(env, source_id: int, order_no: str, **changes) -> int:
    """Insert a copy of legacy order ``source_id`` (with its items); returns the new id."""
    o, i = ls.t_order, ls.t_order_item
    row = dict(env.legacy(sa.select(o).where(o.c.id == source_id))[0]._mapping)
    new_id = env.legacy(sa.select(sa.func.max(o.c.id)))[0][0] + 1
    items = [dict(r._mapping) for r in env.legacy(sa.select(i).where(i.c.order_id == source_id))]
    env.legacy(sa.insert(o).values({**row, "id": new_id, "order_no": order_no,
                                    "channel_order_id": None, **changes}))  # fmt: skip
    for item in items:
        item.pop("id")
        env.legacy(sa.insert(i).values({**item, "order_id": new_id}))
    return new_id


def _saved_log(env) -> list[dict]:
    return [dict(r._mapping) for r in env.legacy(sa.select(change_log).order_by(change_log.c.id))]


def _member_rows(env, *ids: int) -> list[tuple]:
    engine = create_engine(env.url("member"))
    m = mt.member.c
    try:
        with engine.connect() as conn:
            query = sa.select(m.id, m.merged_into_id, m.points).where(m.id.in_(ids))
            return sorted(tuple(r) for r in conn.execute(query))
    finally:
        engine.dispose()


def test_changes_arrive_replays_change_nothing_and_bad_rows_are_quarantined(migrate_env):
    settings = migrate_env.settings
    install_capture(settings)
    backfill(settings, chunk_size=100)
    o, i, m, p = ls.t_order, ls.t_order_item, ls.t_member, ls.t_payment
    new_order = _copy_order(migrate_env, 3, "3251201ZZ000100001", remark="new")
    migrate_env.legacy(sa.update(o).where(o.c.id.between(10, 14)).values(status=6))
    migrate_env.legacy(sa.update(m).where(m.c.id == 4).values(nickname="改名", points=7))
    migrate_env.legacy(sa.update(m).where(m.c.id == 5).values(is_deleted=1))  # soft delete
    migrate_env.legacy(sa.delete(i).where(i.c.order_id == 20))  # child delete: re-sync order 20
    paid = migrate_env.legacy(sa.select(sa.func.min(p.c.id)))[0][0]
    migrate_env.legacy(sa.delete(p).where(p.c.id == paid))  # hard delete
    lags = _lags(settings)
    assert lags["orders"] > 0 and lags["members"] > 0 and lags["stores"] == 0.0

    saved = _saved_log(migrate_env)
    report = run_sync(settings, batch=7)  # several batches
    assert report.backlog.count == 0 and report.changes == len(saved)
    assert report.applied["orders"] >= 7 and report.applied["payments"] == 1
    diff = diff_centers(settings)
    assert diff.clean, diff.summary()
    first = migrate_env.dump()
    assert [r for r in first["order.orders"] if r[0] == new_order]
    assert not [r for r in first["order.order_items"] if r[0] == 20]
    assert not [r for r in first["payment.payments"] if r[0] == paid]
    assert set(_lags(settings).values()) == {0.0}

    # The same changes once more (a crash after applying, before consuming): no difference.
    migrate_env.legacy(sa.insert(change_log), saved)
    again = run_sync(settings, batch=50)
    assert again.changes == len(saved) and sum(again.applied.values()) > 0
    assert migrate_env.dump() == first

    # A row that stops mapping is quarantined (its center rows go), and released when fixed.
    migrate_env.legacy(sa.update(o).where(o.c.id == 8).values(order_type=9))
    report = run_sync(settings)
    assert report.quarantined["orders"] == 1
    assert not [r for r in migrate_env.dump()["order.orders"] if r[0] == 8]
    reasons = {s.name: s.reasons for s in migrate_status(settings)}["orders"]
    assert any(reason == "bad_value" and "order_type" in example for reason, _, example in reasons)
    migrate_env.legacy(sa.update(o).where(o.c.id == 8).values(order_type=1))
    assert not run_sync(settings).quarantined
    assert [r for r in migrate_env.dump()["order.orders"] if r[0] == 8]
    diff = diff_centers(settings, ["orders"])
    assert diff.clean, diff.summary()


def test_changes_wait_for_their_mappings_backfill(migrate_env):
    settings = migrate_env.settings
    install_capture(settings)
    o = ls.t_order
    migrate_env.legacy(sa.update(o).where(o.c.id == 6).values(remark="before backfill"))
    early = run_sync(settings)
    assert early.deferred["orders"] == 1 and not early.applied
    assert migrate_env.dump()["order.orders"] == []  # nothing written ahead of the backfill
    assert _lags(settings)["orders"] > 0  # waiting keys count as lag

    backfill(settings, ["stores", "products", "members"], chunk_size=100)
    migrate_env.legacy(sa.update(o).where(o.c.id == 7).values(remark="during backfill"))
    middle = run_sync(settings)
    assert middle.deferred["orders"] >= 1 and "orders" not in middle.applied

    backfill(settings, chunk_size=100)
    late = run_sync(settings)
    assert late.applied["orders"] >= 2  # the waiting keys, now that the backfill is done
    assert late.changes == 0
    diff = diff_centers(settings)
    assert diff.clean, diff.summary()
    assert _lags(settings)["orders"] == 0.0


def test_a_person_merge_caused_by_a_new_order_reaches_both_member_rows(migrate_env):
    settings = migrate_env.settings
    install_capture(settings)
    backfill(settings, chunk_size=100)
    m = ls.t_member
    top = migrate_env.legacy(sa.select(sa.func.max(m.c.id)))[0][0]
    with_phone, phoneless = top + 1, top + 2
    migrate_env.legacy(
        sa.insert(m),
        [
            {"id": with_phone, "mobile": "13912345678", "nickname": "甲", "points": 0,
             "balance": 1.5, "create_time": "2025-11-01 10:00:00"},
            {"id": phoneless, "mobile": None, "nickname": "乙", "points": 30, "balance": 2.25,
             "create_time": "2025-11-02 10:00:00"},
        ],
    )  # fmt: skip
    # Following with a long --refresh: the merge is seen at the next rebuild of the people
    # resolution, which flush() (the end of --follow) forces.
    syncer = ForwardSyncer(settings, refresh_every=3_600)
    try:
        run(syncer)
        # The phoneless member orders with the other member's phone: one person now.
        _copy_order(migrate_env, 3, "3251201ZZ000100002", member_id=phoneless,
                    recipient_phone="139-1234-5678", channel=3)  # fmt: skip
        lazy = run(syncer)
        assert lazy.applied["orders"] == 1 and not lazy.rippled
        assert _member_rows(migrate_env, with_phone, phoneless)[1][1] is None  # not yet
        report = syncer.flush()
    finally:
        syncer.close()
    assert report.rippled["members"] >= 2
    diff = diff_centers(settings, ["members", "platform_customers", "orders"])
    assert diff.clean, diff.summary()
    rows = _member_rows(migrate_env, with_phone, phoneless)
    assert rows == [(with_phone, None, 30), (phoneless, with_phone, 0)]
    # Sync derives the merge group from the people resolution instead of rescanning: same.
    engine = create_engine(migrate_env.url("legacy"))
    try:
        with engine.connect() as conn:
            scanned = source.scan_group(conn, MEMBER_GROUP)
            derived = build_group(DERIVED["member_people"][1](resolve_people(conn)), MEMBER_GROUP)
    finally:
        engine.dispose()
    assert derived == scanned and phoneless in scanned.key_of


def test_missing_capture_or_bad_urls_fail_before_anything_is_written(migrate_env, tmp_path):
    settings = migrate_env.settings
    before = migrate_env.dump()
    with pytest.raises(CaptureError, match="capture install"):
        run_sync(settings)
    assert not [t for t in migrate_env.state_tables() if t.startswith("migrate_sync")]
    bad = dict(migrate_env.env, ZHONGTAI_DATABASES_LEGACY="nonsense://")
    with pytest.raises(DatabaseError, match="legacy"):
        install_capture(load_settings(tmp_path / "a", env=bad))
    unreachable = dict(
        migrate_env.env, ZHONGTAI_DATABASES_ORDER="postgresql+psycopg://postgres@127.0.0.1:1/x"
    )
    install_capture(settings)
    with pytest.raises(DatabaseError, match="cannot connect"):
        run_sync(load_settings(tmp_path / "b", env=unreachable))
    assert not [t for t in migrate_env.state_tables() if t.startswith("migrate_sync")]
    assert migrate_env.dump() == before
    engine = create_engine(migrate_env.url("legacy"))
    try:
        assert sa.inspect(engine).has_table("zt_change_log")
    finally:
        engine.dispose()


def _add_phoneless_members(env, nickname: str, count: int = 1) -> list[int]:
    """Legacy members with only a WeChat openid (``o-zt-<id>``), after the highest id."""
    m = ls.t_member
    top = env.legacy(sa.select(sa.func.max(m.c.id)))[0][0]
    ids = [top + n for n in range(1, count + 1)]
    env.legacy(
        sa.insert(m),
        [{"id": i, "mobile": None, "openid": f"o-zt-{i}", "nickname": nickname, "points": 0,
          "balance": 0, "create_time": "2025-11-02 10:00:00"} for i in ids],
    )  # fmt: skip
    return ids


def _identities(env, member_id: int) -> set[tuple[str, str]]:
    engine = create_engine(env.url("member"))
    i = mt.member_identity.c
    try:
        with engine.connect() as conn:
            query = sa.select(i.kind, i.value).where(i.member_id == member_id)
            return {tuple(r) for r in conn.execute(query)}
    finally:
        engine.dispose()


def test_a_phoneless_member_s_first_phone_on_an_order_becomes_its_phone_identity(migrate_env):
    """Also when the order is an echo (placed on the platform, written back by reverse sync):
    no mapping re-syncs it, but the people it changes still ripple to the member."""
    settings = migrate_env.settings
    install_capture(settings)
    backfill(settings, chunk_size=100)
    o = ls.t_order
    here, echoed = _add_phoneless_members(migrate_env, "丙", 2)
    syncer = ForwardSyncer(settings)
    try:
        run(syncer)
        assert _identities(migrate_env, here) == {("WX_OPENID", f"o-zt-{here}")}
        # A mini-program order of that member brings a phone nobody else has.
        _copy_order(migrate_env, 3, "3251201ZZ000100003", member_id=here,
                    recipient_phone="137 1234 5670", channel=3)  # fmt: skip
        row = dict(migrate_env.legacy(sa.select(o).where(o.c.id == 3))[0]._mapping)
        row.update(id=migrate_env.legacy(sa.select(sa.func.max(o.c.id)))[0][0] + 1,
                   order_no="3251201ZZ000100004", channel_order_id=None, member_id=echoed,
                   recipient_phone="13712345671", channel=3)  # fmt: skip
        engine = create_engine(migrate_env.url("legacy"))
        try:
            with origin.transaction(engine, origin.REVERSE) as conn:
                conn.execute(sa.insert(o).values(row))
        finally:
            engine.dispose()
        report = run(syncer)
        syncer.flush()
    finally:
        syncer.close()
    assert report.rippled["members"] >= 2
    assert _identities(migrate_env, here) == {
        ("WX_OPENID", f"o-zt-{here}"),
        ("PHONE", "+8613712345670"),
    }
    assert _identities(migrate_env, echoed) == {
        ("WX_OPENID", f"o-zt-{echoed}"),
        ("PHONE", "+8613712345671"),
    }
    diff = diff_centers(settings, ["members", "platform_customers"])
    assert diff.clean, diff.summary()


def _place_mini_program_order(env, member_id: int, phone: str) -> str:
    """Place a pickup order of ``member_id`` with ``phone`` through legacy's own placing code."""
    engine = create_engine(env.url("legacy"))
    try:
        with engine.begin() as conn:
            s = ls.t_store.c
            store_id = conn.execute(
                sa.select(s.id).where(s.status == OPEN, s.is_deleted == 0).order_by(s.id)
            ).scalar()
            store = require_store(conn, "id", store_id)
            skus = priced_skus(
                conn, store, conn.execute(sa.select(ls.t_product_sku.c.id)).scalars()
            )
            sku = next(k for k in skus.values() if k["on_sale"] and not k["sold_out"])
            line = Line(sku["sku_id"], 1)
            placed = place_order(
                conn, Placement(store_id, member_id, 3, 2, (line,), recipient_phone=phone)
            )
    finally:
        engine.dispose()
    return placed["order_no"]


def test_a_phone_on_an_order_placed_before_a_sync_run_started_reaches_the_member(migrate_env):
    """A fresh ``migrate sync --once`` whose people resolution already holds the new phone:
    the orders waiting in the log still ripple to the members they touch."""
    settings = migrate_env.settings
    (phoneless,) = _add_phoneless_members(migrate_env, "戊")
    install_capture(settings)
    backfill(settings, chunk_size=100)
    assert _identities(migrate_env, phoneless) == {("WX_OPENID", f"o-zt-{phoneless}")}
    _place_mini_program_order(migrate_env, phoneless, "13712345672")
    report = run_sync(settings)
    assert report.applied["orders"] == 1 and report.rippled["members"] >= 1
    assert _identities(migrate_env, phoneless) == {
        ("WX_OPENID", f"o-zt-{phoneless}"),
        ("PHONE", "+8613712345672"),
    }
    diff = diff_centers(settings, ["members", "platform_customers", "orders"])
    assert diff.clean, diff.summary()


def test_a_platform_customer_who_turns_out_to_be_a_legacy_member_leaves_no_member_behind(
    migrate_env,
):
    settings = migrate_env.settings
    install_capture(settings)
    backfill(settings, chunk_size=100)
    o = ls.t_order
    meituan = migrate_env.legacy(sa.select(o.c.id).where(o.c.channel == 1).order_by(o.c.id))[0][0]
    (phoneless,) = _add_phoneless_members(migrate_env, "丁")
    syncer = ForwardSyncer(settings)
    try:
        # A new Meituan customer: a member of its own on the platform.
        _copy_order(migrate_env, meituan, "1251201ZZ000100001", member_id=None,
                    platform_user_id="zt-user-1", recipient_phone="13712340000",
                    channel=1, channel_order_id="99887766")  # fmt: skip
        run(syncer)
        # The legacy member orders with that customer's phone: one person, the legacy member.
        _copy_order(migrate_env, 3, "3251201ZZ000100005", member_id=phoneless,
                    recipient_phone="13712340000", channel=3)  # fmt: skip
        run(syncer)
        syncer.flush()
    finally:
        syncer.close()
    assert ("MEITUAN_USER", "zt-user-1") in _identities(migrate_env, phoneless)
    diff = diff_centers(settings, ["members", "platform_customers"])
    assert diff.clean, diff.summary()


def test_a_legacy_write_keeps_the_payment_center_s_version_instead_of_resetting_it(migrate_env):
    settings = migrate_env.settings
    install_capture(settings)
    backfill(settings, chunk_size=100)
    p, r = ls.t_payment.c, ls.t_refund.c
    paid = migrate_env.legacy(sa.select(sa.func.min(p.id)))[0][0]
    refund = migrate_env.legacy(sa.select(sa.func.min(r.id)))[0][0]
    engine = create_engine(migrate_env.url("payment"))
    try:
        with engine.begin() as conn:  # the payment center wrote both rows twice meanwhile
            conn.execute(sa.update(pt.payments).where(pt.payments.c.id == paid).values(version=2))
            conn.execute(sa.update(pt.refunds).where(pt.refunds.c.id == refund).values(version=2))
        migrate_env.legacy(sa.update(ls.t_payment).where(p.id == paid).values(notify_raw="<xml/>"))
        migrate_env.legacy(sa.update(ls.t_refund).where(r.id == refund).values(reason="改了"))
        report = run_sync(settings)
        with engine.connect() as conn:
            versions = [
                conn.execute(sa.select(t.c.version).where(t.c.id == key)).scalar()
                for t, key in ((pt.payments, paid), (pt.refunds, refund))
            ]
    finally:
        engine.dispose()
    assert report.applied["payments"] == 1 and report.applied["refunds"] == 1
    assert versions == [2, 2]
    diff = diff_centers(settings, ["payments", "refunds"])
    assert diff.clean, diff.summary()
