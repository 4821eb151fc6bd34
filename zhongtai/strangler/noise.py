"""Diffy-style noise filtering (pure): report a field only when it differs more than chance.

Legacy-vs-platform pairs give each field a *raw* difference rate; an A/A sample (the same read
sent to legacy twice) gives its *noise* rate, i.e. how often the field differs on its own
(timestamps, generated ids, ordering). A field is reported when, as in twitter/diffy's
``JoinedDifferences``:

* its raw rate is above its noise rate, and
* ``|raw - noise| / (raw + noise) * 100 > relative`` (default 20), and
* ``|raw - noise| * 100 > absolute`` (default 0.03, in percentage points).

Rates are used rather than Diffy's raw counts because the A/A sample is taken at a lower rate
than the shadow traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RELATIVE_THRESHOLD = 20.0
ABSOLUTE_THRESHOLD = 0.03


@dataclass(frozen=True)
class FieldVerdict:
    path: str
    raw_rate: float
    noise_rate: float
    relative: float
    absolute: float
    reported: bool


def judge_field(
    raw: int,
    raw_total: int,
    noise: int,
    noise_total: int,
    *,
    relative: float = RELATIVE_THRESHOLD,
    absolute: float = ABSOLUTE_THRESHOLD,
    path: str = "",
) -> FieldVerdict:
    """Decide whether one field's raw differences stand out from its noise."""
    raw_rate = raw / raw_total if raw_total else 0.0
    noise_rate = noise / noise_total if noise_total else 0.0
    gap = abs(raw_rate - noise_rate)
    rel = gap / (raw_rate + noise_rate) * 100.0 if raw_rate + noise_rate else 0.0
    reported = raw_rate > noise_rate and rel > relative and gap * 100.0 > absolute
    return FieldVerdict(path, raw_rate, noise_rate, rel, gap * 100.0, reported)


def judge_fields(
    raw: Mapping[str, int],
    raw_total: int,
    noise: Mapping[str, int],
    noise_total: int,
    *,
    relative: float = RELATIVE_THRESHOLD,
    absolute: float = ABSOLUTE_THRESHOLD,
) -> list[FieldVerdict]:
    """A verdict for every field seen in either sample, most raw differences first."""
    paths = sorted(set(raw) | set(noise), key=lambda p: (-raw.get(p, 0), p))
    return [
        judge_field(
            raw.get(p, 0),
            raw_total,
            noise.get(p, 0),
            noise_total,
            relative=relative,
            absolute=absolute,
            path=p,
        )
        for p in paths
    ]


def signal_fields(
    paths: list[str],
    raw: Mapping[str, int],
    raw_total: int,
    noise: Mapping[str, int],
    noise_total: int,
) -> list[str]:
    """Of one pair's differing ``paths``, those that are signal rather than noise so far."""
    return [
        p
        for p in paths
        if judge_field(raw.get(p, 0), raw_total, noise.get(p, 0), noise_total).reported
    ]
