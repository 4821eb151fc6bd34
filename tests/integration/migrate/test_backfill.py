"""Backfill on real databases: SQLite → SQLite and MariaDB legacy → PostgreSQL centers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zhongtai.config import load_settings
from zhongtai.db import create_engine, drop_database
from zhongtai.errors import ConfigError, DatabaseError
from zhongtai.legacy import schema as ls
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.status import migrate_status
from zhongtai.workload.seed import seed_legacy


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


def test_backfill_copies_everything_and_quarantines_with_reasons(migrate_env):
    report = backfill(migrate_env.settings, chunk_size=50)
    by_name = {o.name: o for o in report.outcomes}
    orders = by_name["orders"]
    legacy_orders = migrate_env.legacy(sa.select(sa.func.count()).select_from(ls.t_order))[0][0]
    assert orders.rows_read == orders.total == legacy_orders
    reasons = {r for r, _, _ in orders.reasons}
    assert {"duplicate_repush", "bad_value"} <= reasons
    assert _count(migrate_env.url("order"), "orders") == orders.total - orders.quarantined
    dup = dict((r, e) for r, _, e in orders.reasons)["duplicate_repush"]
    assert "is already order" in dup
    # Every legacy member is a member (merged ones too), every payment a payment.
    members = migrate_env.legacy(sa.select(sa.func.count()).select_from(ls.t_member))[0][0]
    assert _count(migrate_env.url("member"), "member") >= members
    payments = migrate_env.legacy(sa.select(sa.func.count()).select_from(ls.t_payment))[0][0]
    assert _count(migrate_env.url("payment"), "payments") == payments
    statuses = {s.name: s for s in migrate_status(migrate_env.settings)}
    assert statuses["orders"].state == "done"
    assert statuses["orders"].quarantined == orders.quarantined
    assert statuses["orders"].rows_copied == orders.total
    assert statuses["payments"].sync_lag_seconds is None  # filled in by sync, later


def test_second_run_and_parallel_workers_give_the_same_target(migrate_env, env_factory):
    backfill(migrate_env.settings, chunk_size=40)
    first = migrate_env.dump()
    backfill(migrate_env.settings, chunk_size=40)  # a fresh plan over a full target
    assert migrate_env.dump() == first
    other = env_factory(migrate_env.url("legacy"))
    backfill(other.settings, ["orders", "members", "payments"], chunk_size=30, workers=2)
    dump = other.dump()
    for table in ("order.orders", "order.order_items", "member.member_identity", "payment.refunds"):
        assert dump[table] == first[table], table


def test_dry_run_transforms_and_counts_but_writes_nothing(migrate_env):
    before = migrate_env.dump()
    report = backfill(migrate_env.settings, dry_run=True, chunk_size=64)
    orders = {o.name: o for o in report.outcomes}["orders"]
    assert report.dry_run and orders.status == "dry run"
    assert orders.rows_written > orders.rows_read > 0
    assert {r for r, _, _ in orders.reasons} >= {"duplicate_repush", "bad_value"}
    assert migrate_env.dump() == before
    assert not [t for t in migrate_env.state_tables() if t.startswith("migrate_")]


def test_bad_mapping_url_or_database_fail_before_anything_is_written(migrate_env, tmp_path):
    before = migrate_env.dump()
    with pytest.raises(ConfigError, match="unknown mapping.*nope"):
        backfill(migrate_env.settings, ["orders", "nope"])
    bad_url = dict(migrate_env.env, ZHONGTAI_DATABASES_ORDER="notadb://x/y")
    with pytest.raises(DatabaseError, match="order"):
        backfill(load_settings(tmp_path / "a", env=bad_url), ["stores", "orders"])
    unreachable = dict(
        migrate_env.env,
        ZHONGTAI_DATABASES_PAYMENT="postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
    )
    with pytest.raises(DatabaseError, match="cannot connect"):
        backfill(load_settings(tmp_path / "b", env=unreachable))
    missing = dict(migrate_env.env, ZHONGTAI_DATABASES_LEGACY=f"sqlite:///{tmp_path}/none.db")
    with pytest.raises(DatabaseError, match="does not exist"):
        backfill(load_settings(tmp_path / "c", env=missing))
    assert not (tmp_path / "none.db").exists()
    assert migrate_env.dump() == before
    assert not [t for t in migrate_env.state_tables() if t.startswith("migrate_")]


def test_an_unmigrated_center_is_named_with_the_fix(migrate_env, make_db, engine_pair, tmp_path):
    fresh = make_db(engine_pair[1], "ztord")
    env = dict(migrate_env.env, ZHONGTAI_DATABASES_ORDER=fresh)
    with pytest.raises(DatabaseError, match="zhongtai platform upgrade"):
        backfill(load_settings(tmp_path / "d", env=env), ["orders"])


def test_a_state_database_not_there_yet_is_created(migrate_env, make_db, engine_pair, tmp_path):
    """The state database is the toolkit's own: a server that lacks it gets it made, as a
    SQLite state file is."""
    url = make_db(engine_pair[1], "ztstate")
    drop_database(url)
    env = dict(migrate_env.env, ZHONGTAI_DATABASES_STATE=url)
    backfill(load_settings(tmp_path / "s", env=env), ["stores"])
    assert _count(url, "migrate_backfill") == 1


def test_resume_continues_from_checkpoints_and_skips_finished_mappings(migrate_env):
    backfill(migrate_env.settings, ["stores"], chunk_size=2)
    with pytest.raises(ConfigError, match="skus needs products"):
        backfill(migrate_env.settings, ["skus"])
    report = backfill(migrate_env.settings, ["stores", "products"], resume=True, chunk_size=2)
    status = {o.name: o.status for o in report.outcomes}
    assert status == {
        "stores": "already done",  # a group name selects its whole group
        "products": "done",
        "skus": "done",
        "store_prices": "done",
    }
    report = backfill(migrate_env.settings, ["skus"], resume=True)
    assert [(o.name, o.status) for o in report.outcomes] == [("skus", "already done")]


def test_legacy_on_postgresql_into_centers_on_mariadb(make_db, tmp_path, migrate_tools):
    if not {"postgresql", "mariadb"} <= set(migrate_tools.engines):
        pytest.skip("needs PostgreSQL and MariaDB")
    legacy = make_db("postgresql", "ztleg")
    seed_legacy(legacy, stores=2, members=30, orders=80, seed=5, reset=False, progress=False)
    migrate_tools.add_quirks(legacy)
    env = migrate_tools.build_env(make_db, tmp_path, "postgresql", "mariadb", legacy_url=legacy)
    first = backfill(env.settings, chunk_size=25)
    dump = env.dump()
    again = backfill(env.settings, chunk_size=25)
    assert env.dump() == dump and dump["order.orders"]
    reasons = {r for o in first.outcomes for r, _, _ in o.reasons}
    assert {"duplicate_repush", "bad_value"} <= reasons
    assert [o.quarantined for o in again.outcomes] == [o.quarantined for o in first.outcomes]
