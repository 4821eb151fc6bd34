"""Change-log triggers on SQLite, PostgreSQL and MariaDB: install, remove, origins, conflicts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import ENGINES
from zhongtai.db import create_engine
from zhongtai.legacy.schema import create_schema, t_order, t_order_item, t_store
from zhongtai.migrate import origin
from zhongtai.migrate.capture import (
    CaptureError,
    forward_specs,
    install,
    list_triggers,
    remove,
    require_installed,
)
from zhongtai.migrate.capture_sql import LOG_TABLE
from zhongtai.migrate.changelog import delete_changes, read_changes
from zhongtai.migrate.mappings import all_mappings

SPECS = forward_specs(list(all_mappings().values()))


@pytest.fixture
def legacy(db_url):
    engine = create_engine(db_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def _store(conn, id_, code="SH0001"):
    conn.execute(
        sa.insert(t_store).values(id=id_, brand_id=1, store_code=code, store_name="店", status=1)
    )


def _log(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [(c.table, c.key, c.ref, c.op, c.origin) for c in read_changes(conn, 1_000)]


def _has_log(engine) -> bool:
    return sa.inspect(engine).has_table(LOG_TABLE)


def test_install_and_remove_are_idempotent(legacy):
    first = install(legacy, SPECS, "legacy")
    assert first.created and not first.replaced and not first.unchanged
    second = install(legacy, SPECS, "legacy")
    assert not second.created and not second.replaced
    assert sorted(second.unchanged) == sorted(first.created)
    require_installed(legacy, SPECS, "legacy")
    removed = remove(legacy, "legacy")
    assert len(removed.removed) == len(first.created) and not _has_log(legacy)
    assert remove(legacy, "legacy").removed == []
    with pytest.raises(CaptureError, match="capture install"):
        require_installed(legacy, SPECS, "legacy")
    with legacy.begin() as conn:  # triggers are really gone: writes work without a log
        _store(conn, 1)


def test_triggers_record_keys_parents_and_the_writer_origin(legacy):
    install(legacy, SPECS, "legacy")
    with legacy.begin() as conn:
        _store(conn, 1)
        conn.execute(
            sa.insert(t_order).values(
                id=5, order_no="O5", channel=3, store_id=1, order_type=2, status=1
            )
        )
        conn.execute(sa.insert(t_order_item).values(id=9, order_id=5, quantity=1, price=1.0))
    with origin.transaction(legacy, origin.REVERSE) as conn:
        conn.execute(sa.update(t_order).where(t_order.c.id == 5).values(status=2))
        conn.execute(sa.update(t_order_item).values(order_id=6))  # moved to another order
    with legacy.begin() as conn:  # the marker did not outlive its transaction
        conn.execute(sa.delete(t_order_item))
    log = _log(legacy)
    assert log[:4] == [
        ("t_store", 1, None, "I", "app"),
        ("t_order", 5, None, "I", "app"),
        ("t_order_item", 9, 5, "I", "app"),
        ("t_order", 5, None, "U", "reverse"),
    ]
    # The move names both parents; trigger firing order differs by engine.
    assert sorted(log[4:6]) == [("t_order_item", 9, 5, "U", "reverse"),
                                ("t_order_item", 9, 6, "U", "reverse")]  # fmt: skip
    assert log[6:] == [("t_order_item", 9, 6, "D", "app")]


def test_a_foreign_trigger_with_our_name_is_a_conflict_and_nothing_is_written(legacy):
    dialect = legacy.dialect.name
    with legacy.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE audit_x (id INTEGER)")
        if dialect == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION mine() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO audit_x VALUES (1); RETURN NULL; END $$"
            )
            conn.exec_driver_sql(
                'CREATE TRIGGER "zt_cap_t_store" AFTER INSERT ON t_store '
                "FOR EACH ROW EXECUTE FUNCTION mine()"
            )
        elif dialect == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER zt_cap_t_store_i AFTER INSERT ON t_store "
                "BEGIN INSERT INTO audit_x VALUES (1); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER zt_cap_t_store_i AFTER INSERT ON t_store "
                "FOR EACH ROW INSERT INTO audit_x VALUES (1)"
            )
    with pytest.raises(CaptureError, match="not installed by zhongtai"):
        install(legacy, SPECS, "legacy")
    assert not _has_log(legacy)
    with legacy.connect() as conn:
        assert [t.name for t in list_triggers(conn)] == [
            "zt_cap_t_store" if dialect == "postgresql" else "zt_cap_t_store_i"
        ]


def test_other_triggers_are_reported_and_kept(legacy):
    with legacy.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE audit_y (id INTEGER)")
        if legacy.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO audit_y VALUES (NEW.id); RETURN NULL; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER audit_store AFTER INSERT ON t_store "
                "FOR EACH ROW EXECUTE FUNCTION audit()"
            )
        else:
            each = "FOR EACH ROW " if legacy.dialect.name != "sqlite" else ""
            body = (
                "INSERT INTO audit_y VALUES (NEW.id)"
                if each
                else "BEGIN INSERT INTO audit_y VALUES (NEW.id); END"
            )
            conn.exec_driver_sql(f"CREATE TRIGGER audit_store AFTER INSERT ON t_store {each}{body}")
    result = install(legacy, SPECS, "legacy")
    assert result.other_triggers == ["t_store.audit_store"]
    with legacy.begin() as conn:
        _store(conn, 1)
    assert _log(legacy) == [("t_store", 1, None, "I", "app")]
    remove(legacy, "legacy", force=True)
    with legacy.connect() as conn:
        assert [t.name for t in list_triggers(conn)] == ["audit_store"]
        assert conn.execute(sa.text("SELECT count(*) FROM audit_y")).scalar() == 1


def test_a_missing_table_is_named_before_anything_is_written(db_url):
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            t_store.create(conn)
        with pytest.raises(CaptureError, match="t_order"):
            install(engine, SPECS, "legacy")
        assert not _has_log(engine)
        with engine.connect() as conn:
            assert list_triggers(conn) == []
    finally:
        engine.dispose()


def test_remove_refuses_while_changes_wait_unless_forced(legacy):
    install(legacy, SPECS, "legacy")
    with legacy.begin() as conn:
        _store(conn, 1)
    with pytest.raises(CaptureError, match="1 captured change"):
        remove(legacy, "legacy")
    assert _has_log(legacy)
    assert remove(legacy, "legacy", force=True).discarded_changes == 1
    assert not _has_log(legacy)


@pytest.mark.parametrize(
    "engine_name", [e for e in ("postgresql", "mariadb") if e in ENGINES], indirect=True
)
def test_a_change_committed_late_with_a_lower_id_is_still_consumed(legacy):
    """Ids are taken at insert, not at commit: the queue must not skip a late lower id."""
    install(legacy, SPECS, "legacy")
    slow = legacy.connect()
    slow_tx = slow.begin()
    _store(slow, 1, "SH0001")  # takes the lower log id, commits last
    with legacy.begin() as conn:
        _store(conn, 2, "SH0002")
    with legacy.connect() as conn:
        first = read_changes(conn, 100)
    assert [c.key for c in first] == [2]
    delete_changes(legacy, [c.id for c in first])
    slow_tx.commit()
    slow.close()
    with legacy.connect() as conn:
        late = read_changes(conn, 100)
    assert [c.key for c in late] == [1] and late[0].id < first[0].id
