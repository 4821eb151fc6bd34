"""Column types shared by the centers' tables (§3.2 conventions).

* :class:`UtcDateTime`: timezone-aware UTC in Python, naive UTC in the database (SQLite and
  MariaDB have no zone type); microseconds kept on MariaDB (``DATETIME(6)``).
* :data:`Money`: integer fen (分) as BIGINT.
* :data:`Id`: BIGINT keys without autoincrement (see :mod:`zhongtai.platform.ids`).
* :data:`NAMING_CONVENTION` for every center's ``MetaData``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# Deterministic constraint names, so alembic revisions and tables.py agree on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

Money = sa.BigInteger  # fen
Id = sa.BigInteger


class UtcDateTime(sa.types.TypeDecorator):
    """Store aware datetimes as naive UTC; read them back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the platform stores aware UTC only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
