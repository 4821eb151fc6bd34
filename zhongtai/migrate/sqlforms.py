"""SQL forms of mapping transforms: the same rule as a SQL expression over the legacy table.

Parity checks (``zhongtai compare data``) hash the legacy side of a mapping inside the legacy
database when its transform has a SQL form, instead of pulling every row into Python. A form
declares, for one target table of one mapping:

``columns(source, dialect)``
    a typed SQL expression per target column, computing what the Python transform writes;
``guard(source, dialect)``
    the rows for which those expressions are *exactly* the transform. Rows outside the guard
    (odd spellings, values the transform would quarantine) are transformed in Python and
    their hashes added to the segment's sum — checksums are sums, so the split is invisible
    and a too-strict guard only costs speed, never correctness.

Forms exist for PostgreSQL and MariaDB/MySQL (``dialect`` is SQLAlchemy's dialect name;
MariaDB's is ``mysql``). The integration suite checks each form against its Python transform
row by row on seeded data, so a transform changed without its form fails a test.

Which mappings have one: ``payments`` (t_payment → payments). The others stay on the Python
path: their transforms read children, groups and lookups (orders, members, stores, products),
or convert float yuan with a rounding rule no SQL engine reproduces exactly (refunds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from zhongtai.migrate.mappings.payments import PAY_CHANNELS

Columns = Callable[[sa.Table, str], dict[str, ColumnElement]]
Guard = Callable[[sa.Table, str], ColumnElement]
DIALECTS = frozenset({"postgresql", "mysql"})


@dataclass(frozen=True)
class SqlForm:
    """One mapping target's transform as SQL over the mapping's source table."""

    mapping: str
    target: str
    columns: Columns
    guard: Guard
    dialects: frozenset[str] = DIALECTS

    def supports(self, dialect: str) -> bool:
        return dialect in self.dialects


# ----------------------------------------------------------------------------- building blocks

_LOCAL_TIME = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
)
_WECHAT_TIME = (
    r"^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$"
)
_TRIMMED_ASCII = r"^[!-~]([ -~]*[!-~])?$"
EPOCH = "1970-01-01 00:00:00"  # mappings._common.UNKNOWN_TIME


def _timestamp(text: ColumnElement | str) -> ColumnElement:
    return sa.cast(text if not isinstance(text, str) else sa.literal(text), sa.DateTime)


def _minus_8h(moment: ColumnElement, dialect: str) -> ColumnElement:
    if dialect == "postgresql":
        return moment.op("-", return_type=sa.DateTime)(sa.literal_column("INTERVAL '8 hours'"))
    return sa.func.date_sub(moment, sa.literal_column("INTERVAL 8 HOUR"), type_=sa.DateTime)


def local_time(col: ColumnElement, dialect: str) -> ColumnElement:
    """``local_to_utc`` of a guarded 'yyyy-MM-dd HH:mm:ss' Shanghai time."""
    if dialect == "postgresql":
        return _minus_8h(_timestamp(col), dialect)
    return _minus_8h(sa.func.str_to_date(col, "%Y-%m-%d %H:%i:%s", type_=sa.DateTime), dialect)


def wechat_time(col: ColumnElement, dialect: str) -> ColumnElement:
    """``wechat_to_utc`` of a guarded yyyyMMddHHmmss GMT+8 time."""
    if dialect == "postgresql":
        parts = [
            sa.func.substr(col, a, n) for a, n in ((1, 4), (5, 2), (7, 2), (9, 2), (11, 2), (13, 2))
        ]
        text = sa.func.concat(
            parts[0], "-", parts[1], "-", parts[2], " ", parts[3], ":", parts[4], ":", parts[5]
        )
        return _minus_8h(_timestamp(text), dialect)
    return _minus_8h(sa.func.str_to_date(col, "%Y%m%d%H%i%s", type_=sa.DateTime), dialect)


def _parses(col: ColumnElement, fmt: str, dialect: str) -> ColumnElement:
    # MariaDB's STR_TO_DATE gives NULL for 2024-02-30; PostgreSQL raises, and the caller then
    # hashes that segment in Python.
    if dialect == "mysql":
        return sa.func.str_to_date(col, fmt).is_not(None)
    return sa.true()


def time_or_unknown(col: ColumnElement, dialect: str) -> tuple[ColumnElement, ColumnElement]:
    """(expression, guard) of ``first_time(col)`` for one legacy local-time column."""
    blank = sa.or_(col.is_(None), col == "", col == "0", col.like("0000-00-00%"))
    exact = sa.and_(col.regexp_match(_LOCAL_TIME), _parses(col, "%Y-%m-%d %H:%i:%s", dialect))
    expr = sa.case((blank, _timestamp(EPOCH)), else_=local_time(col, dialect))
    return expr, sa.or_(blank, exact)


def trimmed_text(col: ColumnElement, limit: int) -> tuple[ColumnElement, ColumnElement]:
    """(expression, guard) of ``_common.text(col, limit)`` for printable ASCII values."""
    guard = sa.or_(
        col.is_(None),
        col == "",
        sa.and_(col.regexp_match(_TRIMMED_ASCII), sa.func.char_length(col) <= limit),
    )
    return sa.func.nullif(col, ""), guard


# ----------------------------------------------------------------------------- payments


def _payment_parts(t: sa.Table, dialect: str):
    c = t.c
    created, created_ok = time_or_unknown(c.create_time, dialect)
    succeeded = c.status == 1
    has_end = sa.and_(c.time_end.is_not(None), c.time_end != "")
    paid = sa.case((sa.and_(succeeded, has_end), wechat_time(c.time_end, dialect)), else_=None)
    paid_ok = sa.or_(
        ~succeeded,
        ~has_end,
        sa.and_(
            c.time_end.regexp_match(_WECHAT_TIME), _parses(c.time_end, "%Y%m%d%H%i%s", dialect)
        ),
    )
    transaction, transaction_ok = trimmed_text(c.transaction_id, 64)
    return created, created_ok, paid, paid_ok, transaction, transaction_ok


def payment_columns(t: sa.Table, dialect: str) -> dict[str, ColumnElement]:
    """``mappings.payments.payment`` as SQL."""
    c = t.c
    created, _, paid, _, transaction, _ = _payment_parts(t, dialect)
    status = sa.case({0: "PENDING", 1: "SUCCEEDED", 2: "FAILED", 3: "CLOSED"}, value=c.status)
    return {
        "id": c.id,
        "out_trade_no": c.out_trade_no,
        "order_no": c.order_no,
        "channel": sa.func.upper(sa.func.trim(c.pay_channel)),
        "amount": c.total_fee,
        "status": status,
        "transaction_id": transaction,
        "paid_at": paid,
        "raw_notify": c.notify_raw,
        "created_at": created,
        "updated_at": sa.func.greatest(sa.func.coalesce(paid, created), created),
        "deleted_at": sa.cast(sa.null(), sa.DateTime),
        "legacy_id": c.id,
        "version": sa.literal(0, sa.Integer),
    }


def payment_guard(t: sa.Table, dialect: str) -> ColumnElement:
    """The t_payment rows :func:`payment_columns` maps exactly (never quarantined)."""
    c = t.c
    _, created_ok, _, paid_ok, _, transaction_ok = _payment_parts(t, dialect)
    # Only spaces around an ASCII code: then Python's strip() and SQL's TRIM() agree.
    trimmed = sa.func.trim(c.pay_channel)
    channel_ok = sa.and_(
        trimmed.regexp_match("^[A-Za-z_]+$"), sa.func.upper(trimmed).in_(PAY_CHANNELS)
    )
    return sa.and_(c.status.in_((0, 1, 2, 3)), channel_ok, created_ok, paid_ok, transaction_ok)


PAYMENTS = SqlForm("payments", "payments", payment_columns, payment_guard)

SQL_FORMS: dict[tuple[str, str], SqlForm] = {(f.mapping, f.target): f for f in (PAYMENTS,)}


def sql_form(mapping: str, target: str) -> SqlForm | None:
    """The SQL form of ``mapping``'s ``target`` table, if it has one."""
    return SQL_FORMS.get((mapping, target))
