"""Route stages and the transitions an operator may make between them (pure).

A route moves ``legacy → shadow → canary(p%) → platform → retired``. Forward moves go one
stage at a time, because each stage produces the evidence the next one needs (shadow gives
comparisons, canary gives error rates on real traffic); skipping needs ``force``. Moving back
is always allowed, any number of stages, because rollback must never be blocked.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    LEGACY = "legacy"
    SHADOW = "shadow"
    CANARY = "canary"
    PLATFORM = "platform"
    RETIRED = "retired"


LADDER = (Stage.LEGACY, Stage.SHADOW, Stage.CANARY, Stage.PLATFORM, Stage.RETIRED)

_WHY_NOT_SKIP = {
    Stage.SHADOW: "shadow (no legacy-vs-platform comparisons yet)",
    Stage.CANARY: "canary (no platform errors measured on a share of real traffic yet)",
    Stage.PLATFORM: "platform (the route still has clients on legacy)",
}


class TransitionError(ValueError):
    """An operator asked for a stage change that is refused; the message says why."""


def parse_stage(text: str) -> Stage:
    """``Stage`` from its name; ValueError lists the stages."""
    try:
        return Stage(str(text).strip().lower())
    except ValueError:
        raise ValueError(
            f"unknown stage {text!r}; use one of: {', '.join(s.value for s in LADDER)}"
        ) from None


def check_percent(stage: Stage, percent: float | None) -> float | None:
    """A canary needs a percentage in (0, 100]; other stages take none."""
    if stage is Stage.CANARY:
        if percent is None:
            raise TransitionError("canary needs --percent P (the share of keys on the platform)")
        if not 0 < percent <= 100:
            raise TransitionError(f"canary percent must be in (0, 100], got {percent:g}")
        return float(percent)
    if percent is not None:
        raise TransitionError(f"--percent only applies to canary, not to {stage.value}")
    return None


def check_transition(
    current: Stage,
    current_percent: float | None,
    target: Stage,
    percent: float | None,
    *,
    force: bool = False,
) -> float | None:
    """Validate ``current → target``; returns the percent to store, raises TransitionError."""
    percent = check_percent(target, percent)
    if target is current and (target is not Stage.CANARY or percent == current_percent):
        shown = f"canary {percent:g}%" if target is Stage.CANARY else target.value
        raise TransitionError(f"the route is already at {shown}; nothing to change")
    steps = LADDER.index(target) - LADDER.index(current)
    if steps > 1 and not force:
        skipped = [
            _WHY_NOT_SKIP[s] for s in LADDER[LADDER.index(current) + 1 : LADDER.index(target)]
        ]
        raise TransitionError(
            f"{current.value} → {target.value} skips "
            + " and ".join(skipped)
            + f"; go to {LADDER[LADDER.index(current) + 1].value} first, or pass --force"
        )
    return percent


def previous_stage(current: Stage) -> Stage:
    """Where ``rollback`` goes: one stage back; legacy has nowhere to go."""
    index = LADDER.index(current)
    if index == 0:
        raise TransitionError("the route is on legacy already; there is nothing to roll back")
    return LADDER[index - 1]
