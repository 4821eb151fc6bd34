import pytest

from zhongtai.strangler.stages import (
    Stage,
    TransitionError,
    check_transition,
    parse_stage,
    previous_stage,
)

L, S, C, P, R = Stage.LEGACY, Stage.SHADOW, Stage.CANARY, Stage.PLATFORM, Stage.RETIRED


@pytest.mark.parametrize(
    "cur, pct, target, new",
    [
        (L, None, S, None),
        (S, None, C, 5),
        (C, 5, C, 50),
        (C, 50, C, 10),
        (C, 100, P, None),
        (P, None, R, None),
    ],
)
def test_one_step_forward_and_percent_changes_are_allowed(cur, pct, target, new):
    assert check_transition(cur, pct, target, new) == new


@pytest.mark.parametrize("cur, target", [(R, L), (P, S), (C, L), (S, L), (P, C)])
def test_moving_back_any_number_of_steps_is_always_allowed(cur, target):
    pct = 20 if target is C else None
    assert check_transition(cur, None, target, pct) == pct


def test_legacy_to_platform_is_refused_with_the_reason_unless_forced():
    with pytest.raises(TransitionError) as err:
        check_transition(L, None, P, None)
    msg = str(err.value)
    assert "legacy → platform skips shadow" in msg and "canary" in msg and "--force" in msg
    assert check_transition(L, None, P, None, force=True) is None


@pytest.mark.parametrize(
    "cur, pct, target, new, message",
    [
        (S, None, C, None, "needs --percent"),
        (S, None, C, 0, r"\(0, 100\]"),
        (S, None, C, 101, r"\(0, 100\]"),
        (L, None, S, 10, "only applies to canary"),
        (S, None, S, None, "already at shadow"),
        (C, 10, C, 10, "already at canary 10%"),
        (S, None, R, None, "skips canary"),
    ],
)
def test_refusals_explain_themselves(cur, pct, target, new, message):
    with pytest.raises(TransitionError, match=message):
        check_transition(cur, pct, target, new)


def test_rollback_goes_one_step_back_and_not_below_legacy():
    assert [previous_stage(s) for s in (S, C, P, R)] == [L, S, C, P]
    with pytest.raises(TransitionError, match="nothing to roll back"):
        previous_stage(L)


def test_parse_stage():
    assert parse_stage(" Canary ") is C
    with pytest.raises(ValueError, match="unknown stage 'beta'.*legacy, shadow"):
        parse_stage("beta")
