"""Row hashing for parity checks: one canonical text per row, a 48-bit MD5 slice, summed.

Both sides of a comparison must hash *identically normalised* text (data.md §9.2), so every
value goes through the same two steps whichever side it comes from:

1. :func:`zhongtai.migrate.mapping.normalise` (the mapping model's comparison form: aware UTC
   datetimes to the second as ISO text, bools as ints, integral Decimals as ints, JSON re-dumped
   with sorted keys);
2. :func:`value_text`: ``None`` → :data:`NULL` (a control character no business value holds),
   dates → ISO, everything else → ``str``. Columns are joined with :data:`SEP`.

The row hash is the last 12 hex digits (48 bits) of the MD5 of that UTF-8 text, as data-diff
does, and a segment's checksum is ``(COUNT, SUM mod 2^64)`` — never an XOR of CRC32s, where
duplicates cancel and collisions are common. :mod:`zhongtai.compare.sqlhash` builds the same
text and the same sum inside PostgreSQL, MariaDB and SQLite (through :class:`HashSum`, a Python
aggregate that sums mod 2^64 because SQLite's ``sum()`` raises past 2^63).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from hashlib import md5
from typing import Any

import sqlalchemy as sa

from zhongtai.compare.segments import MOD, Checksum
from zhongtai.migrate.mapping import normalise
from zhongtai.platform.columns import UtcDateTime

NULL = "\x1e"  # ASCII record separator: the NULL marker
SEP = "\x1f"  # ASCII unit separator: between columns
SLICE_BYTES = 6  # 48 bits, the last 12 hex digits of the MD5

Normaliser = Callable[[Any], Any]


def value_text(value: Any) -> str:
    """The canonical text of one already-normalised value."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return value
    if isinstance(value, date):  # datetimes never get here: normalise made them text
        return value.isoformat()
    return str(value)


def row_text(values: Sequence[Any]) -> str:
    """The canonical text of a row's normalised values, in column order."""
    return SEP.join([value_text(v) for v in values])


def text_hash(text: str) -> int:
    """The 48-bit slice of the MD5 of ``text`` (what the SQL side computes too)."""
    return int.from_bytes(md5(text.encode("utf-8")).digest()[-SLICE_BYTES:], "big")


def checksum(texts: Iterable[str]) -> Checksum:
    """COUNT and SUM mod 2^64 of the row hashes of ``texts``."""
    count = total = 0
    for text in texts:
        count += 1
        total += text_hash(text)
    return Checksum(count, total % MOD)


def _identity_or(kind: type | tuple[type, ...]) -> Normaliser:
    # Fast path for the common type; anything else takes the model's rule.
    def norm(value: Any) -> Any:
        return value if type(value) in kind else normalise(value)  # type: ignore[operator]

    return norm


def column_normaliser(column: sa.Column) -> Normaliser:
    """:func:`normalise`, specialised to ``column``'s type (same results, less work)."""
    t = column.type
    if isinstance(t, sa.Boolean):
        return normalise
    if isinstance(t, sa.Integer):
        return _identity_or((int,))
    if isinstance(t, sa.String):  # Text, Unicode and VARCHAR alike
        return _identity_or((str,))
    if isinstance(t, UtcDateTime | sa.DateTime):
        return _identity_or((str,))  # str: a value normalised already
    return normalise


def column_text(column: sa.Column) -> Callable[[Any], str]:
    """``value_text(normalise(v))`` for ``column``, with the common cases short-cut."""
    norm = column_normaliser(column)
    t = column.type

    if isinstance(t, sa.Integer) and not isinstance(t, sa.Boolean):

        def text(v: Any) -> str:
            if type(v) is int:
                return str(v)
            return NULL if v is None else value_text(norm(v))

    elif isinstance(t, sa.String):

        def text(v: Any) -> str:
            if type(v) is str:
                return v
            return NULL if v is None else value_text(norm(v))

    elif isinstance(t, sa.DateTime):

        def text(v: Any) -> str:
            if type(v) is datetime and v.tzinfo is UTC:  # what both sides mostly hold
                return (v.replace(microsecond=0) if v.microsecond else v).isoformat()
            return NULL if v is None else value_text(norm(v))

    else:

        def text(v: Any) -> str:
            return NULL if v is None else value_text(norm(v))

    return text


class RowShape:
    """How rows of one table are projected for comparison: which columns, how normalised.

    ``columns`` are compared in this order; ``key`` (a subset) identifies a row. ``text``
    goes straight from a raw row to its canonical text (the hot path); ``project`` gives
    the normalised values the diff engine needs, only for rows that get drilled into.
    """

    def __init__(self, table: sa.Table, columns: Sequence[str], key: Sequence[str]) -> None:
        missing = [c for c in (*columns, *key) if c not in table.c]
        if missing:
            raise ValueError(f"table {table.name!r} has no column(s) {missing}")
        self.table = table
        self.columns = tuple(columns)
        self.key = tuple(key)
        self._norms = [column_normaliser(table.c[c]) for c in self.columns]
        self._texts = [column_text(table.c[c]) for c in self.columns]
        self._key_texts = [column_text(table.c[c]) for c in self.key]
        self._key_idx = [self.columns.index(k) for k in self.key]
        self._get = operator.itemgetter(*self.columns)
        self._get_key = operator.itemgetter(*self.key)
        self._single = len(self.columns) == 1
        self._single_key = len(self.key) == 1

    def _values(self, row: Mapping[str, Any]) -> Sequence[Any]:
        try:
            got = self._get(row)
        except KeyError:  # a row without some column reads it as NULL, like project()
            return [row.get(c) for c in self.columns]
        return (got,) if self._single else got

    def project(self, row: Mapping[str, Any]) -> tuple:
        """The normalised values of ``row`` (a dict or a result mapping), in column order."""
        return tuple([norm(v) for norm, v in zip(self._norms, self._values(row), strict=True)])

    def text(self, row: Mapping[str, Any]) -> str:
        """The canonical text of a raw ``row`` (equal to ``row_text(project(row))``)."""
        return SEP.join([f(v) for f, v in zip(self._texts, self._values(row), strict=True)])

    def key_text(self, row: Mapping[str, Any]) -> str:
        """The canonical text of a raw ``row``'s key."""
        try:
            got = self._get_key(row)
            values = (got,) if self._single_key else got
        except KeyError:
            values = [row.get(c) for c in self.key]
        return SEP.join([f(v) for f, v in zip(self._key_texts, values, strict=True)])

    def key_of(self, values: Sequence[Any]) -> tuple:
        """The key of a projected row."""
        return tuple([values[i] for i in self._key_idx])


class HashSum:
    """SQLite aggregate ``zt_hashsum(text)``: SUM of 48-bit MD5 slices mod 2^64.

    Returned as a hex string because SQLite integers stop at 2^63 - 1.
    """

    def __init__(self) -> None:
        self.total = 0

    def step(self, text: str | None) -> None:
        if text is not None:
            self.total += text_hash(text)

    def finalize(self) -> str:
        return format(self.total % MOD, "x")


__all__ = [
    "MOD",
    "NULL",
    "SEP",
    "HashSum",
    "RowShape",
    "checksum",
    "column_normaliser",
    "row_text",
    "text_hash",
    "value_text",
]
