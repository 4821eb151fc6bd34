"""Key-range segments and their checksums (pure value objects).

A comparison walks a table as a row of segments, each a half-open key range ``(after, upto]``
over an integer column (the source key, or the target column holding it). Each side reports a
:class:`Checksum` for a segment — a row count and a sum of row hashes — and only segments whose
checksums differ are looked at row by row. Narrowing a segment (bisection) returns new segments;
nothing is mutated, so a segment can be logged, recorded or retried as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MOD = 1 << 64


@dataclass(frozen=True)
class Checksum:
    """Rows in a segment and the sum of their 48-bit row hashes mod 2^64."""

    count: int = 0
    total: int = 0

    def __add__(self, other: Checksum) -> Checksum:
        return Checksum(self.count + other.count, (self.total + other.total) % MOD)

    def as_dict(self) -> dict:
        return {"count": self.count, "sum": format(self.total, "016x")}


EMPTY = Checksum()


@dataclass(frozen=True)
class KeyRange:
    """Keys ``k`` with ``after < k <= upto``; ``None`` leaves that end open."""

    after: int | None
    upto: int | None

    def __post_init__(self) -> None:
        if self.after is not None and self.upto is not None and self.upto <= self.after:
            raise ValueError(f"empty key range ({self.after}, {self.upto}]")

    def contains(self, key: int) -> bool:
        return (self.after is None or key > self.after) and (self.upto is None or key <= self.upto)

    @property
    def bounded(self) -> bool:
        return self.after is not None and self.upto is not None

    @property
    def width(self) -> int | None:
        return self.upto - self.after if self.bounded else None  # type: ignore[operator]

    def split(self, parts: int) -> list[KeyRange]:
        """Up to ``parts`` adjacent ranges covering this one (a bounded range only)."""
        if not self.bounded:
            raise ValueError(f"cannot split the open range {self.label()}")
        width = self.width or 0
        parts = max(1, min(parts, width))
        step = -(-width // parts)
        out = []
        start = self.after
        while start < self.upto:  # type: ignore[operator]
            end = min(start + step, self.upto)  # type: ignore[operator,type-var]
            out.append(KeyRange(start, end))
            start = end
        return out

    def label(self) -> str:
        lo = "-∞" if self.after is None else str(self.after)
        hi = "+∞" if self.upto is None else str(self.upto)
        return f"({lo}, {hi}]"

    def as_dict(self) -> dict:
        return {"after": self.after, "upto": self.upto}


def plan_ranges(lo: int | None, hi: int | None, count: int, rows: int) -> list[KeyRange]:
    """Equal key ranges covering ``[lo, hi]``, about ``rows`` rows each (``count`` rows in all).

    Key-space splitting is what data-diff does; the reference tables have dense integer keys,
    so equal widths hold about equal row counts.
    """
    if lo is None or hi is None:
        return []
    if rows < 1:
        raise ValueError(f"rows per segment must be at least 1, got {rows}")
    parts = max(1, -(-count // rows))
    return KeyRange(lo - 1, hi).split(parts)


@dataclass(frozen=True)
class Segment:
    """One key range of one comparison unit, with the checksum each side reported."""

    unit: str
    range: KeyRange
    legacy: Checksum | None = None
    platform: Checksum | None = None
    depth: int = 0

    def with_checksums(self, legacy: Checksum, platform: Checksum) -> Segment:
        return replace(self, legacy=legacy, platform=platform)

    @property
    def checked(self) -> bool:
        return self.legacy is not None and self.platform is not None

    @property
    def matches(self) -> bool:
        """Both sides reported, with equal counts and sums."""
        return self.checked and self.legacy == self.platform

    @property
    def rows(self) -> int:
        """The larger side's row count (what a download of this segment costs)."""
        return max(
            self.legacy.count if self.legacy else 0, self.platform.count if self.platform else 0
        )

    def narrow(self, after: int | None, upto: int | None) -> Segment:
        """A new, unchecked segment over a part of this one's range."""
        part = KeyRange(after, upto)
        outer = self.range
        inside_lo = outer.after is None or (after is not None and after >= outer.after)
        inside_hi = outer.upto is None or (upto is not None and upto <= outer.upto)
        if not (inside_lo and inside_hi):
            raise ValueError(f"{part.label()} is not inside {outer.label()}")
        return Segment(self.unit, part, depth=self.depth + 1)

    def split(self, parts: int) -> list[Segment]:
        """Narrow into up to ``parts`` adjacent sub-segments (bisection)."""
        return [self.narrow(r.after, r.upto) for r in self.range.split(parts)]

    def as_dict(self) -> dict:
        return {
            "unit": self.unit,
            "range": self.range.as_dict(),
            "legacy": self.legacy.as_dict() if self.legacy else None,
            "platform": self.platform.as_dict() if self.platform else None,
            "depth": self.depth,
        }
