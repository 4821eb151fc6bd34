"""The row-by-row API sync builds on: re-read one legacy row, map it, replace its target rows."""

from __future__ import annotations

import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.legacy import schema as ls
from zhongtai.migrate import source, writer
from zhongtai.migrate.backfill import backfill
from zhongtai.migrate.mappings import all_mappings


def test_one_changed_order_is_re_mapped_and_its_child_rows_replaced(migrate_env):
    backfill(migrate_env.settings, chunk_size=100)
    orders = all_mappings()["orders"]
    i = ls.t_order_item.c
    order_id, items = migrate_env.legacy(
        sa.select(i.order_id, sa.func.count())
        .group_by(i.order_id)
        .having(sa.func.count() > 1)
        .order_by(i.order_id)
        .limit(1)
    )[0]
    # Legacy changes the order: the POS completes it and one line is dropped.
    last_item = migrate_env.legacy(sa.select(sa.func.max(i.id)).where(i.order_id == order_id))[0][0]
    dropped = migrate_env.legacy(sa.select(i.total).where(i.id == last_item))[0][0]
    o = ls.t_order.c
    migrate_env.legacy(sa.delete(ls.t_order_item).where(i.id == last_item))
    migrate_env.legacy(
        sa.update(ls.t_order)
        .where(o.id == order_id)
        .values(status=5, total_amount=o.total_amount - dropped, remark="changed")
    )
    legacy = create_engine(migrate_env.url("legacy"))
    target = create_engine(migrate_env.url("order"))
    try:
        with legacy.connect() as conn:
            ctx = source.build_context(conn, orders)
            record = source.read_one(conn, orders, order_id, ctx)
        result = orders.apply(record)
        with target.begin() as conn:
            writer.apply_record(conn, orders, order_id, result)
        with target.connect() as conn:
            header = conn.execute(sa.text(f"SELECT * FROM orders WHERE id = {order_id}")).one()
            lines = conn.execute(
                sa.text(f"SELECT line_no FROM order_items WHERE order_id = {order_id}")
            ).all()
        assert header._mapping["main_status"] == "COMPLETED"
        assert header._mapping["remark"] == "changed"
        assert len(lines) == items - 1
        # The source row disappears: its target rows go too (children first).
        with target.begin() as conn:
            writer.apply_record(conn, orders, order_id, None)
        with target.connect() as conn:
            for table in ("order_items", "order_status_history", "external_refs"):
                left = conn.execute(
                    sa.text(f"SELECT count(*) FROM {table} WHERE order_id = {order_id}")
                ).scalar()
                assert left == 0, table
            assert (
                conn.execute(sa.text(f"SELECT count(*) FROM orders WHERE id = {order_id}")).scalar()
                == 0
            )
        with legacy.connect() as conn:
            assert source.read_one(conn, orders, 10**12, ctx) is None
    finally:
        legacy.dispose()
        target.dispose()
