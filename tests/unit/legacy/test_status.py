import pytest

from zhongtai.legacy.status import (
    TRANSITIONS,
    IllegalTransition,
    OrderStatus,
    can_transition,
    check_transition,
    is_final,
)


def test_completed_cannot_become_cancelled():
    with pytest.raises(IllegalTransition, match="cannot change from 5 已完成 to 6 已取消"):
        check_transition(OrderStatus.COMPLETED, OrderStatus.CANCELLED)


def test_happy_path_is_allowed():
    path = [0, 1, 2, 3, 4, 5, 7, 8]
    for cur, nxt in zip(path, path[1:], strict=False):
        assert check_transition(cur, nxt) == nxt


def test_final_states_have_no_exit():
    assert is_final(OrderStatus.CANCELLED) and is_final(OrderStatus.REFUNDED)
    assert not is_final(OrderStatus.NEW)
    for target in OrderStatus:
        assert not can_transition(OrderStatus.CANCELLED, target)


def test_every_status_has_a_rule_and_unknown_codes_are_refused():
    assert set(TRANSITIONS) == set(OrderStatus)
    assert not can_transition(1, 42)
    with pytest.raises(ValueError, match="unknown order status"):
        check_transition(1, 42)


def test_error_lists_allowed_next_states():
    with pytest.raises(IllegalTransition) as info:
        check_transition(OrderStatus.PENDING_PAYMENT, OrderStatus.COMPLETED)
    assert "allowed next: 1 新订单, 6 已取消" in str(info.value)
