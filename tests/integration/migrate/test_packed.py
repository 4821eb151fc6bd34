"""A packed chunk (PostgreSQL: COPY blocks; SQLite: a serialized database and one INSERT …
SELECT per target) writes exactly what the row-by-row upsert writes: same values (and, on
SQLite, storage classes), counter kept, last row of a repeated key wins, replayed chunks
upserted; and on SQLite, chunks of different shapes in turn on one connection each land in
their own tables (SQLite keeps an attached schema's parse until its cookie changes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from zhongtai.db import create_engine
from zhongtai.migrate import packed, writer
from zhongtai.migrate.mapping import Mapping, Target
from zhongtai.platform.columns import UtcDateTime


@pytest.fixture
def packing(engine_name) -> str:
    if not packed.available(engine_name):
        pytest.skip(f"chunks for {engine_name} are not packed")
    return engine_name


metadata = sa.MetaData()
orders = sa.Table(
    "zt_packed_orders",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("store", sa.String(20), nullable=False),
    sa.Column("paid", sa.Integer, nullable=False),
    sa.Column("ext", sa.JSON, nullable=True),
    sa.Column("placed_at", UtcDateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)
lines = sa.Table(
    "zt_packed_lines",
    metadata,
    sa.Column("order_id", sa.BigInteger, primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
)
notes = sa.Table(
    "zt_packed_notes",
    metadata,
    sa.Column("order_id", sa.BigInteger, primary_key=True),
    sa.Column("text", sa.String(40), nullable=False),
)
MAPPING = Mapping(
    name="zt_packed",
    center="order",
    source=orders,
    key="id",
    targets=(
        Target(orders, ("id",), counter="version"),
        Target(lines, ("order_id", "line_no")),
        Target(notes, ("order_id",)),
    ),
    transform=lambda record: {},
)


def _batch(first: int, n: int, *, paid: int = 100, version: int = 0, notes_too=False) -> list:
    out = []
    for i in range(first, first + n):
        mapped = {
            "zt_packed_orders": [
                {
                    "id": i,
                    "store": f"0{i % 7}",
                    "paid": paid + i,
                    "ext": {"raw": "凉菜", "n": [i, None]} if i % 3 else None,
                    "placed_at": datetime(2026, 12, 1, 4, i % 60, tzinfo=UTC) if i % 5 else None,
                    "version": version,
                }
            ],  # fmt: skip
            "zt_packed_lines": [
                {"order_id": i, "line_no": n, "name": f"米饭{n}", "qty": n} for n in (1, 2)
            ],
        }
        if notes_too:
            mapped["zt_packed_notes"] = [{"order_id": i, "text": f"note {i}"}]
        out.append(mapped)
    return out


def _dump(engine) -> dict[str, list[tuple]]:
    kinds = engine.dialect.name == "sqlite"  # and the storage class of every value
    with engine.connect() as conn:
        return {
            t.name: [
                tuple(r)
                for r in conn.execute(
                    sa.select(t, *(sa.func.typeof(c) for c in t.c) if kinds else ()).order_by(
                        *t.primary_key.columns
                    )
                )
            ]
            for t in metadata.sorted_tables
        }


def _write(engine, chunks: list[list], *, pack: bool) -> None:
    for batches in chunks:
        prepared = writer.prepare_mapped(engine.dialect, MAPPING, batches)
        with engine.begin() as conn:
            if pack:
                rows = packed.pack(engine, MAPPING, prepared)
                assert packed.write(conn, MAPPING, rows) == rows.rows
            else:
                writer.write_prepared(conn, MAPPING, prepared)


def test_packed_chunks_write_what_row_by_row_upserts_write(packing, make_db):
    # Chunk shapes change from one to the next (a notes table only in some), a chunk repeats
    # a key (last wins), later chunks overwrite earlier rows (counter kept), one is replayed,
    # one has no rows.
    repeated = _batch(10, 3) + _batch(10, 1, paid=900)
    chunks = [
        _batch(1, 40, notes_too=True),
        _batch(41, 40),
        repeated,
        _batch(20, 30, paid=500, version=9),
        _batch(100, 5, notes_too=True),
        _batch(100, 5, notes_too=True),
        [],
    ]
    dumps = []
    for pack in (True, False):  # packed first: no driver state cached by the other
        engine = create_engine(make_db(packing, f"pack{int(pack)}"))
        try:
            metadata.create_all(engine)
            _write(engine, chunks, pack=pack)
            dumps.append(_dump(engine))
        finally:
            engine.dispose()
    packed_dump, plain = dumps
    assert packed_dump == plain
    orders_by_id = {r[0]: r for r in plain["zt_packed_orders"]}
    assert orders_by_id[10][2] == 910  # the last row of a key repeated in one chunk
    assert orders_by_id[25][2] == 525 and orders_by_id[25][5] == 0  # updated, counter kept
    assert len(plain["zt_packed_notes"]) == 45


def test_a_chunk_of_new_tables_after_one_of_the_same_count_reads_its_own_rows(tmp_path):
    if not packed.available("sqlite"):
        pytest.skip("this SQLite cannot serialize")
    """Two chunks whose databases have the same number of tables, in another order: without
    a new schema cookie SQLite would read the second through the first's layout."""
    engine = create_engine(f"sqlite:///{tmp_path / 'cookie.db'}")
    try:
        metadata.create_all(engine)
        first = [
            (
                "zt_packed_lines",
                ("order_id", "line_no", "name", "qty"),
                [(1, n, f"l{n}", n) for n in range(1, 300)],
            ),
            ("zt_packed_notes", ("order_id", "text"), [(n, f"n{n}") for n in range(300)]),
        ]
        second = [
            ("zt_packed_notes", ("order_id", "text"), [(7, "seven")]),
            ("zt_packed_lines", ("order_id", "line_no", "name", "qty"), [(2, 1, "x", 5)]),
        ]
        # fmt: skip
        with engine.connect() as conn:
            for prepared in (first, second):
                with conn.begin():
                    packed.write(conn, MAPPING, packed.pack(engine, MAPPING, prepared))
        dump = _dump(engine)
        assert len(dump["zt_packed_lines"]) == 300 and dump["zt_packed_lines"][-1][:4] == (
            2, 1, "x", 5,
        )  # fmt: skip
        assert (7, "seven", "integer", "text") in dump["zt_packed_notes"]
        assert len(dump["zt_packed_notes"]) == 300
    finally:
        engine.dispose()
