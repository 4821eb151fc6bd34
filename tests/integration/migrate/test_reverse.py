"""Reverse sync (platform → legacy): every write the platform took, and echo-freedom both ways.

Platform writes go through the order and payment centers' own services (real units of work
on the center databases); legacy writes are plain SQL, as the legacy app's would be. The
store scope comes from the route table in the state database, set with the strangler's own
state store.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.legacy.legacy_fixtures import meituan_new
from zhongtai.db import create_engine
from zhongtai.legacy import meituan
from zhongtai.legacy import schema as ls
from zhongtai.legacy.clock import local_str, now_local
from zhongtai.legacy.ingest import ingest_new
from zhongtai.migrate import changelog, origin, source
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.capture import CaptureError, install_capture
from zhongtai.migrate.changelog import change_log
from zhongtai.migrate.mapping import Quarantine
from zhongtai.migrate.mappings import all_mappings
from zhongtai.migrate.reverse import ReverseSyncer, read_center_rows
from zhongtai.migrate.status import migrate_status
from zhongtai.migrate.sync import ForwardSyncer
from zhongtai.migrate.syncloop import run
from zhongtai.platform.gateway import intake
from zhongtai.platform.ids import PLATFORM_ID_BASE
from zhongtai.platform.order import service as orders
from zhongtai.platform.order.lines import OrderItem
from zhongtai.platform.order.model import Channel, OrderType
from zhongtai.platform.order.placing import OrderDraft
from zhongtai.platform.order.schemas import OrderIn, push_key
from zhongtai.platform.order.status import MainStatus, RefundStatus
from zhongtai.platform.order.uow import SqlOrderUnitOfWork
from zhongtai.platform.payment import service as payments
from zhongtai.platform.payment.uow import SqlPaymentUnitOfWork
from zhongtai.strangler.bucketing import bucket
from zhongtai.strangler.state import StateStore

SALT = "zhongtai-o2o"  # routes.toml [defaults] salt


@pytest.fixture
def both_ways(migrate_env):
    """Backfilled centers, capture both ways, pos.pull canary splitting the stores."""
    settings = migrate_env.settings
    install_capture(settings)
    backfill(settings, chunk_size=100)
    install_capture(settings, reverse=True)
    stores = dict(migrate_env.legacy(sa.select(ls.t_store.c.store_code, ls.t_store.c.id)))
    buckets = sorted((bucket("store_code", SALT, code), code) for code in stores)
    percent = round((buckets[0][0] + buckets[-1][0]) / 2, 3)
    state = create_engine(settings.database("state"))
    engines = {name: create_engine(settings.database(name)) for name in ("order", "payment")}
    try:
        routes = StateStore(state)
        routes.ensure()
        routes.set_stage("pos.pull", "shadow", None, who="test", why="shadow first")
        routes.set_stage("pos.pull", "canary", percent, who="test", why="some stores move")
        inside = [c for b, c in buckets if b < percent]
        outside = [c for b, c in buckets if b >= percent]
        fwd, rev = ForwardSyncer(settings), ReverseSyncer(settings)
        try:
            yield migrate_env, fwd, rev, engines, stores, inside, outside
        finally:
            fwd.close()
            rev.close()
    finally:
        state.dispose()
        for engine in engines.values():
            engine.dispose()


def _legacy_orders(env) -> list[tuple]:
    o = ls.t_order
    return [tuple(r) for r in env.legacy(sa.select(o).order_by(o.c.id))]


def _log_size(env) -> int:
    return env.legacy(sa.select(sa.func.count()).select_from(change_log))[0][0]


def _completed_order(env, codes) -> tuple[int, str]:
    o = ls.t_order
    row = env.legacy(
        sa.select(o.c.id, o.c.order_no)
        .where(o.c.status == 5, o.c.refund_status == 0, o.c.store_code.in_(codes))
        .order_by(o.c.id)
        .limit(1)
    )
    return row[0][0], row[0][1]


def test_writes_cross_once_in_each_direction_and_never_echo(both_ways):
    env, fwd, rev, engines, _, inside, outside = both_ways
    assert inside and outside
    run(fwd), run(rev)  # settle anything left from setup
    legacy_id, order_no = _completed_order(env, inside)
    orders.change_refund(SqlOrderUnitOfWork(engines["order"]), order_no, RefundStatus.APPLIED,
                         source="USER", reason="cold food")  # fmt: skip
    far_id, far_no = _completed_order(env, outside)
    orders.change_refund(SqlOrderUnitOfWork(engines["order"]), far_no, RefundStatus.APPLIED,
                         source="USER", reason="not ours")  # fmt: skip

    back = run(rev)
    # Both writes were accepted by the platform, so both reach legacy; the one of a store the
    # routes do not send to the platform is counted apart.
    assert back.applied["orders"] == 2 and back.out_of_scope["orders"] == 1
    o, log = ls.t_order, ls.t_order_status_log
    assert env.legacy(sa.select(o.c.status).where(o.c.id == legacy_id)) == [(7,)]
    assert env.legacy(sa.select(o.c.status).where(o.c.id == far_id)) == [(7,)]
    # The platform's step as the platform took it: its source and reason, appended to the log.
    moves = env.legacy(sa.select(log.c.from_status, log.c.to_status, log.c.source, log.c.remark)
                       .where(log.c.order_id == legacy_id).order_by(log.c.id))  # fmt: skip
    assert moves[-1] == (5, 7, "USER", "cold food")

    centers = env.dump()
    forward = run(fwd)  # legacy's log holds only the reverse syncer's own writes
    assert forward.changes >= 2 and forward.echoes == forward.changes and not forward.applied
    assert env.dump() == centers
    again = run(rev)
    assert again.changes == 0 and not again.applied

    # And the other way: a legacy write reaches the platform once and does not come back.
    legacy_id, _ = _completed_order(env, inside)
    env.legacy(sa.update(o).where(o.c.id == legacy_id).values(remark="written on legacy"))
    before = _legacy_orders(env)
    forward = run(fwd)
    assert forward.applied["orders"] == 1 and forward.echoes == 0
    back = run(rev)  # the center's log holds only the forward syncer's writes
    assert back.changes >= 1 and back.echoes == back.changes and not back.applied
    assert _legacy_orders(env) == before
    assert _log_size(env) == 0
    assert run(fwd).changes == 0


def test_rows_born_on_the_platform_get_legacy_ids_of_legacys_own(both_ways):
    env, fwd, rev, engines, stores, inside, _ = both_ways
    run(fwd), run(rev)
    code = inside[0]
    order_no = f"3251201{code}99999"
    draft = OrderDraft(
        order_no=order_no, store_id=stores[code], channel=Channel("MINI_PROGRAM"),
        order_type=OrderType.PICKUP, status=MainStatus.PAID,
        items=[OrderItem(line_no=1, name="牛肉面", qty=2, unit_price=1800, line_total=3600,
                         sku_id=1, sku_code="S1")],
        store_snapshot={"store_code": code, "store_name": "店"},
    )  # fmt: skip
    created = orders.create_order(SqlOrderUnitOfWork(engines["order"]), draft).order
    assert created.id >= PLATFORM_ID_BASE
    payments.create_payment(SqlPaymentUnitOfWork(engines["payment"]), out_trade_no="P" + order_no,
                            order_no=order_no, channel="WX_JSAPI", amount=3600)  # fmt: skip
    back = run(rev)
    assert back.applied["orders"] == 1 and back.applied["payments"] == 1
    o, i, p = ls.t_order, ls.t_order_item, ls.t_payment
    (legacy_id, total, status), = env.legacy(
        sa.select(o.c.id, o.c.total_amount, o.c.status).where(o.c.order_no == order_no)
    )  # fmt: skip
    assert legacy_id < PLATFORM_ID_BASE and total == 36.0 and status == 1
    assert env.legacy(sa.select(i.c.quantity, i.c.price).where(i.c.order_id == legacy_id)) == [
        (2, 18.0)
    ]
    assert env.legacy(sa.select(p.c.order_id, p.c.total_fee).where(p.c.order_no == order_no)) == [
        (legacy_id, 3600)
    ]
    with engines["order"].connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT legacy_id FROM orders WHERE id = :id"), {"id": created.id}
            ).scalar()
            == legacy_id
        )
    # Later moves on the platform update that same legacy row, and legacy's next own row
    # still gets a legacy-range id.
    orders.change_status(SqlOrderUnitOfWork(engines["order"]), order_no, MainStatus.ACCEPTED,
                         source="POS")  # fmt: skip
    assert run(rev).applied["orders"] == 1
    assert env.legacy(sa.select(o.c.id, o.c.status).where(o.c.order_no == order_no)) == [
        (legacy_id, 2)
    ]
    forward = run(fwd)
    assert not forward.applied
    # A legacy write to that row reaches the platform's row, not a twin.
    env.legacy(sa.update(o).where(o.c.id == legacy_id).values(remark="legacy note"))
    assert run(fwd).applied["orders"] == 1
    with engines["order"].connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, remark FROM orders WHERE order_no = :n"), {"n": order_no}
        ).all()
    assert rows == [(created.id, "legacy note")]
    lags = {s.name: s.reverse_lag_seconds for s in migrate_status(env.settings)}
    assert lags["orders"] == lags["payments"] == 0.0 and lags["stores"] is None


def test_backfill_writes_never_echo_and_missing_reverse_capture_is_named(migrate_env):
    settings = migrate_env.settings
    with pytest.raises(CaptureError, match="capture install --reverse"):
        ReverseSyncer(settings)
    install_capture(settings)
    install_capture(settings, reverse=True)  # before the backfill: its writes are captured
    backfill(settings, ["stores", "products", "members", "orders", "payments"], chunk_size=100)
    before = _legacy_orders(migrate_env)
    rev = ReverseSyncer(settings)
    try:
        report = run(rev)
    finally:
        rev.close()
    assert report.changes > 0 and report.echoes == report.changes and not report.applied
    assert _legacy_orders(migrate_env) == before


def test_a_write_the_platform_took_reaches_legacy_after_its_store_rolled_back(both_ways):
    # The platform accepts a refund request for a store of the canary; the route is rolled
    # back (to shadow, then to legacy) before reverse sync gets to it. The write was
    # acknowledged by the platform, so it must still reach legacy — scope at apply time
    # no longer covers the store, and must not decide.
    env, fwd, rev, engines, _, inside, _ = both_ways
    run(fwd), run(rev)
    legacy_id, order_no = _completed_order(env, inside)
    orders.change_refund(SqlOrderUnitOfWork(engines["order"]), order_no, RefundStatus.APPLIED,
                         source="USER", reason="late in the rollback second")  # fmt: skip
    state = create_engine(env.settings.database("state"))
    try:
        routes = StateStore(state)
        routes.rollback("pos.pull", who="test", why="canary rolled back")
        routes.rollback("pos.pull", who="test", why="shadow rolled back")
        assert all(r.stage.value == "legacy" for r in routes.load_table().routes)
    finally:
        state.dispose()

    back = run(rev)
    assert back.applied["orders"] == 1
    assert back.out_of_scope["orders"] == 1  # reported: written back for a store now on legacy
    o, log = ls.t_order, ls.t_order_status_log
    assert env.legacy(sa.select(o.c.status, o.c.refund_status).where(o.c.id == legacy_id)) == [
        (7, 1)
    ]
    moves = env.legacy(sa.select(log.c.from_status, log.c.to_status)
                       .where(log.c.order_id == legacy_id, log.c.source == "USER"))  # fmt: skip
    assert moves == [(5, 7)]
    forward = run(fwd)  # what reverse wrote does not come back
    assert forward.echoes == forward.changes and not forward.applied
    assert run(rev).changes == 0


def test_an_order_legacy_changed_meanwhile_is_not_overwritten_with_the_platforms_older_state(
    both_ways,
):
    # The same order is written on both sides before either sync runs (two routes of one
    # store on different sides, or a rollback second): the platform's write must not undo
    # legacy's. Legacy's version already equals the platform's: a conflict, legacy's stands,
    # and forward sync then brings the platform to it.
    env, fwd, rev, engines, _, inside, _ = both_ways
    run(fwd), run(rev)
    legacy_id, order_no = _completed_order(env, inside)
    orders.change_refund(SqlOrderUnitOfWork(engines["order"]), order_no, RefundStatus.APPLIED,
                         source="USER", reason="asked on the platform")  # fmt: skip
    o = ls.t_order
    env.legacy(
        sa.update(o)
        .where(o.c.id == legacy_id)
        .values(remark="written on legacy meanwhile", version=o.c.version + 1)
    )
    (before,) = env.legacy(sa.select(o).where(o.c.id == legacy_id))

    back = run(rev)
    assert back.conflicts["orders"] == 1 and not back.applied["orders"]
    assert env.legacy(sa.select(o).where(o.c.id == legacy_id)) == [before]
    assert run(fwd).applied["orders"] == 1
    with engines["order"].connect() as conn:
        now = conn.execute(
            sa.text("SELECT remark, refund_status FROM orders WHERE order_no = :n"),
            {"n": order_no},
        ).all()
    assert now == [("written on legacy meanwhile", "NONE")]
    again = run(rev)
    assert not again.applied and not again.conflicts
    assert env.legacy(sa.select(o).where(o.c.id == legacy_id)) == [before]


def test_the_orders_inverse_gives_back_every_seeded_orders_legacy_state(seeded_legacy):
    # Seeded history through the orders mapping and back: status, refund_status and pay_status
    # as legacy holds them (cash-on-delivery, partial refunds, cancellations included). Only
    # the inconsistent triples the seed plants on purpose (a completed order with pay_status 0
    # although paid, or with refund_status 5) come back consistent instead.
    mapping = all_mappings()["orders"]
    engine = create_engine(seeded_legacy)
    seen, odd, accounts = 0, [], []
    try:
        with engine.connect() as conn:
            ctx = source.build_context(conn, mapping)
            records = source.read_chunk(conn, mapping, ctx, after=-1, upto=None, limit=10_000)
    finally:
        engine.dispose()
    for record in records:
        out = mapping.apply(record)
        if isinstance(out, Quarantine):
            continue
        seen += 1
        back = mapping.inverse(out)["t_order"][0]
        # The member an order was placed as, not the survivor of its person (a merged member's
        # order list on legacy is the contract).
        accounts.append((record.row["member_id"], back["member_id"], out["orders"][0]))
        state = ("status", "refund_status", "pay_status")
        if any(back[k] != record.row[k] for k in state):
            odd.append({k: (record.row[k], back[k]) for k in (*state, "channel", "pay_type")})
    assert seen > 200

    def planted(d: dict) -> bool:
        paid = d["channel"][0] in (3, 4) or d["pay_type"][0] == 2  # own channel or online
        unpaid = paid and d["pay_status"][0] == 0
        return d["status"][0] == 5 and (d["refund_status"][0] == 5 or unpaid)

    assert [d for d in odd if not planted(d)] == []
    assert len(odd) <= seen // 50
    assert [(placed, back) for placed, back, _ in accounts if placed != back] == []
    assert any(placed != order["member_id"] for placed, _, order in accounts)  # merges seen


def test_a_channel_repush_to_legacy_after_a_rollback_is_a_duplicate(both_ways):
    # The platform takes a Meituan order for a canary store; reverse sync carries it back;
    # the route is rolled back and Meituan re-pushes the same order, now to legacy. Legacy's
    # push log must know the push: no second order, and forward sync keeps running (the
    # centers refuse two orders with one channel order id).
    env, fwd, rev, engines, stores, inside, _ = both_ways
    run(fwd), run(rev)
    code, channel_order_id = inside[0], "9100000000000031337"
    pushed = meituan.parse_new(meituan_new(channel_order_id))
    store = {"id": stores[code], "store_code": code, "name": "店", "tenant_id": 1}
    body = OrderIn(**intake.channel_order(pushed, store, {}, now_local()))
    uow = SqlOrderUnitOfWork(engines["order"])
    taken = orders.create_order(
        uow, body.draft(), push=push_key(body.push), numbering=body.numbering_model()
    )
    assert not taken.duplicate

    back = run(rev)
    assert back.applied["orders"] == 1
    o, log = ls.t_order, ls.t_push_log
    ((legacy_id,),) = env.legacy(sa.select(o.c.id).where(o.c.channel_order_id == channel_order_id))
    assert env.legacy(sa.select(log.c.channel, log.c.push_type, log.c.order_id)
                      .where(log.c.channel_order_id == channel_order_id)) == [
        (1, "new", legacy_id)
    ]  # fmt: skip
    assert run(fwd).applied == {}  # the push log row reverse sync wrote does not come back

    legacy = create_engine(env.url("legacy"))
    try:
        assert ingest_new(legacy, pushed, ("id", stores[code])) is False
    finally:
        legacy.dispose()
    assert env.legacy(sa.select(o.c.id).where(o.c.channel_order_id == channel_order_id)) == [
        (legacy_id,)
    ]
    # Legacy keeps writing the order after the rollback; forward sync carries it over.
    env.legacy(sa.update(o).where(o.c.id == legacy_id)
               .values(remark="after the rollback", version=o.c.version + 1))  # fmt: skip
    forward = run(fwd)
    assert forward.applied["orders"] == 1 and not forward.quarantined
    with engines["order"].connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, remark FROM orders WHERE channel_order_id = :c"),
            {"c": channel_order_id},
        ).all()
    assert rows == [(taken.order.id, "after the rollback")]
    # The store's next order on legacy gets a number of its own, not the platform order's.
    legacy = create_engine(env.url("legacy"))
    try:
        assert ingest_new(legacy, meituan.parse_new(meituan_new("9100000000000031338")),
                          ("id", stores[code])) is True  # fmt: skip
    finally:
        legacy.dispose()
    numbers = env.legacy(sa.select(o.c.order_no).where(o.c.store_id == stores[code]))
    assert len(numbers) == len(set(numbers))


def test_a_row_born_on_the_platform_and_deleted_there_is_deleted_in_legacy_by_its_legacy_id(
    both_ways,
):
    # A payment born on the platform has a center id in the platform's range and a legacy id
    # of legacy's choosing; deleted on the platform, its legacy twin goes, and no other row.
    env, fwd, rev, engines, stores, inside, _ = both_ways
    run(fwd), run(rev)
    legacy_id, order_no = _completed_order(env, inside)
    payments.create_payment(SqlPaymentUnitOfWork(engines["payment"]),
                            out_trade_no="PDEL" + order_no, order_no=order_no,
                            channel="WX_JSAPI", amount=100)  # fmt: skip
    assert run(rev).applied["payments"] == 1
    p = ls.t_payment
    ((twin,),) = env.legacy(sa.select(p.c.id).where(p.c.out_trade_no == "PDEL" + order_no))
    with engines["payment"].connect() as conn:
        (center_id,) = conn.execute(
            sa.text("SELECT id FROM payments WHERE out_trade_no = :n"), {"n": "PDEL" + order_no}
        ).one()
    assert center_id >= PLATFORM_ID_BASE > twin
    others = _legacy_payments(env)
    with engines["payment"].begin() as conn:
        conn.execute(sa.text("DELETE FROM payments WHERE id = :id"), {"id": center_id})

    back = run(rev)
    assert back.applied["payments"] == 1
    assert env.legacy(sa.select(p.c.id).where(p.c.id == twin)) == []
    assert _legacy_payments(env) == [r for r in others if r[0] != twin]


def _legacy_payments(env) -> list[tuple]:
    p = ls.t_payment
    return [tuple(r) for r in env.legacy(sa.select(p).order_by(p.c.id))]


def test_forward_sync_keeps_a_platform_write_reverse_sync_has_not_carried_back(both_ways):
    # The platform takes a refund request (the center's order version moves past legacy's);
    # before reverse sync runs, legacy writes a status-log row of that order, which re-syncs
    # the order forward. Legacy's row is older than the center's: it must not overwrite the
    # platform's write; reverse sync then carries that write to legacy.
    env, fwd, rev, engines, _, inside, _ = both_ways
    run(fwd), run(rev)
    legacy_id, order_no = _completed_order(env, inside)
    orders.change_refund(SqlOrderUnitOfWork(engines["order"]), order_no, RefundStatus.APPLIED,
                         source="USER", reason="asked on the platform")  # fmt: skip
    log = ls.t_order_status_log
    env.legacy(sa.insert(log).values(order_id=legacy_id, from_status=5, to_status=5, source="POS",
                                     remark="reprinted", create_time=local_str()))  # fmt: skip

    forward = run(fwd)
    assert forward.platform_newer == {"orders": 1} and not forward.applied["orders"]
    assert _center_refund(engines, order_no) == "APPLIED"
    assert run(rev).applied["orders"] == 1
    o = ls.t_order
    assert env.legacy(sa.select(o.c.status, o.c.refund_status).where(o.c.id == legacy_id)) == [
        (7, 1)
    ]
    again = run(fwd)
    assert not again.applied and not again.platform_newer
    assert _center_refund(engines, order_no) == "APPLIED"


def _history(engines, order_no: str) -> list[tuple]:
    """The center's status history of an order: (track, to status, source, reason)."""
    with engines["order"].connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT h.track, h.to_status, h.source, h.reason FROM order_status_history h "
                    "JOIN orders o ON o.id = h.order_id WHERE o.order_no = :n ORDER BY h.seq"
                ),
                {"n": order_no},
            )
        ]


def _center_refund(engines, order_no: str) -> str:
    with engines["order"].connect() as conn:
        return conn.execute(
            sa.text("SELECT refund_status FROM orders WHERE order_no = :n"), {"n": order_no}
        ).scalar()


def test_an_orders_items_reach_legacy_in_line_order_however_the_center_stores_them(both_ways):
    # Legacy numbers an order's lines by t_order_item id, so reverse sync must insert them in
    # line order. PostgreSQL hands rows out in storage order: an updated line moves to the
    # end of its table, and a read without ORDER BY then returns line 2 before line 1.
    env, fwd, rev, engines, stores, inside, _ = both_ways
    run(fwd), run(rev)
    code = inside[0]
    order_no = f"3251201{code}99998"
    names = ["牛肉面", "凉拌黄瓜", "酸梅汤"]
    items = [
        OrderItem(
            line_no=n,
            name=name,
            qty=1,
            unit_price=1000 * n,
            line_total=1000 * n,
            sku_id=n,
            sku_code=f"S{n}",
        )
        for n, name in enumerate(names, start=1)
    ]
    draft = OrderDraft(
        order_no=order_no, store_id=stores[code], channel=Channel("MINI_PROGRAM"),
        order_type=OrderType.PICKUP, status=MainStatus.PAID, items=items,
        store_snapshot={"store_code": code, "store_name": "店"},
    )  # fmt: skip
    created = orders.create_order(SqlOrderUnitOfWork(engines["order"]), draft).order
    with engines["order"].begin() as conn:
        for line in (1, 2):  # new row versions, stored after line 3
            conn.execute(
                sa.text("UPDATE order_items SET qty = qty WHERE order_id = :o AND line_no = :n"),
                {"o": created.id, "n": line},
            )
    with engines["order"].connect() as conn:
        if conn.dialect.name == "postgresql":  # read in storage order, as a big table would be
            for scan in ("indexscan", "bitmapscan", "indexonlyscan"):
                conn.execute(sa.text(f"SET enable_{scan} = off"))
        read = read_center_rows(conn, all_mappings()["orders"], [created.id])
    assert [r["name_snapshot"] for r in read[created.id]["order_items"]] == names
    assert run(rev).applied["orders"] == 1
    o, i = ls.t_order, ls.t_order_item
    legacy_id = env.legacy(sa.select(o.c.id).where(o.c.order_no == order_no))[0][0]
    lines = env.legacy(sa.select(i.c.name).where(i.c.order_id == legacy_id).order_by(i.c.id))
    assert [name for (name,) in lines] == names
    assert not run(fwd).applied  # and forward, legacy's lines map to the center's as they are


def _agreed_order(env, fwd, rev, codes) -> tuple[int, str, sa.Update]:
    """A completed order of one of ``codes`` that forward sync carried after a legacy write
    (so both syncers know the state both systems agreed on); its id, number, and an UPDATE of
    its legacy row to add values to."""
    run(fwd), run(rev)
    legacy_id, order_no = _completed_order(env, codes)
    o = ls.t_order
    bump = sa.update(o).where(o.c.id == legacy_id)
    env.legacy(bump.values(remark="agreed", version=o.c.version + 1))
    assert run(fwd).applied["orders"] == 1  # the agreed state: legacy's row, as carried
    kept = {s.name: s.agreed_states for s in migrate_status(env.settings)}
    assert kept["orders"] >= 1 and kept["stores"] == 0  # what `migrate status` shows
    return legacy_id, order_no, bump


@pytest.mark.parametrize("first", ["forward", "reverse"])
def test_an_order_written_on_both_sides_at_once_keeps_both_writes(both_ways, first):
    # A store's POS is on the platform while its customers still order on legacy: the same
    # order takes a platform write (a refund request) and a legacy write (a remark) before
    # either sync runs. Both syncers know the state both sides last agreed on (forward sync
    # carried the order since the backfill), so whichever runs first, the two writes are
    # merged and both systems end with both of them, at one version.
    env, fwd, rev, engines, _, inside, _ = both_ways
    legacy_id, order_no, bump = _agreed_order(env, fwd, rev, inside)
    o = ls.t_order
    orders.change_refund(SqlOrderUnitOfWork(engines["order"]), order_no, RefundStatus.APPLIED,
                         source="USER", reason="asked on the platform")  # fmt: skip
    history = _history(engines, order_no)
    env.legacy(bump.values(remark="written on legacy", version=o.c.version + 1))

    if first == "forward":
        held = run(fwd)
        assert held.concurrent == {"orders": 1} and not held.applied["orders"]
        assert _center_refund(engines, order_no) == "APPLIED"
    back = run(rev)
    assert back.merged == {"orders": 1} and not back.conflicts
    assert run(fwd).applied["orders"] == 1

    (legacy_now,) = env.legacy(
        sa.select(o.c.remark, o.c.status, o.c.refund_status, o.c.version).where(o.c.id == legacy_id)
    )
    with engines["order"].connect() as conn:
        (center_now,) = conn.execute(
            sa.text("SELECT remark, refund_status, version FROM orders WHERE order_no = :n"),
            {"n": order_no},
        ).all()
    assert legacy_now[:3] == ("written on legacy", 7, 1)
    assert tuple(center_now) == ("written on legacy", "APPLIED", legacy_now[3])
    # The platform's status step (the refund request) is in legacy's log, and still in the
    # center's history after forward sync rebuilt it from that log.
    assert _history(engines, order_no) == history
    # Settled: another round each way carries nothing.
    assert not run(rev).applied and not run(fwd).applied


def test_an_order_only_legacy_moved_is_left_to_forward_sync_not_called_a_conflict(both_ways):
    # Reverse sync is asked about an order (forward sync queued it, taking it for a concurrent
    # write before the agreed state it relies on was recorded) that only legacy changed since
    # both systems agreed: nothing to write back and nothing lost — legacy's write is queued
    # for forward sync again, which brings the platform to it.
    env, fwd, rev, engines, _, inside, _ = both_ways
    legacy_id, order_no, bump = _agreed_order(env, fwd, rev, inside)
    o = ls.t_order
    env.legacy(bump.values(remark="legacy moved on", version=o.c.version + 1))
    with engines["order"].begin() as conn:
        center_id = conn.execute(
            sa.text("SELECT id FROM orders WHERE order_no = :n"), {"n": order_no}
        ).scalar()
        changelog.enqueue(conn, "orders", center_id, origin.MERGE, ref=legacy_id)
    (before,) = env.legacy(sa.select(o).where(o.c.id == legacy_id))

    back = run(rev)
    assert not back.applied and not back.conflicts and not back.merged
    assert env.legacy(sa.select(o).where(o.c.id == legacy_id)) == [before]
    assert run(fwd).applied["orders"] == 1
    with engines["order"].connect() as conn:
        remark = conn.execute(
            sa.text("SELECT remark FROM orders WHERE order_no = :n"), {"n": order_no}
        ).scalar()
    assert remark == "legacy moved on"
