import hashlib

import pytest

from zhongtai.strangler.bucketing import bucket, on_platform

GOLDEN = [
    (("store_code", "zhongtai-o2o", "SH0012"), 99.655778617),
    (("store_code", "zhongtai-o2o", "BJ0001"), 3.610843915),
    (("store_id", "zhongtai-o2o", "12"), 78.773819497),
    (("mt_poi", "salt", "6842101"), 21.682205969),
    (("g", "", ""), 35.770024608),
]


@pytest.mark.parametrize("args, expected", GOLDEN)
def test_golden_vectors_never_change(args, expected):
    # Changing these moves stores between legacy and the platform in a running canary.
    assert bucket(*args) == pytest.approx(expected, abs=1e-9)


def test_the_hash_is_launchdarkly_style_sha1_of_group_salt_key():
    digest = hashlib.sha1(b"store_code.zhongtai-o2o.SH0012").hexdigest()
    assert bucket("store_code", "zhongtai-o2o", "SH0012") == pytest.approx(
        int(digest[:15], 16) / 0xFFFFFFFFFFFFFFF * 100
    )


@pytest.mark.parametrize("percent", [1, 5, 10, 25, 50, 75, 90, 99])
def test_share_over_10000_keys_is_within_two_points(percent):
    keys = [f"SH{i:04d}-{i * 7919}" for i in range(10_000)]
    share = sum(on_platform("store_code", "s1", k, percent) for k in keys) / len(keys) * 100
    assert abs(share - percent) <= 2, share


def test_raising_the_percentage_never_moves_a_key_back():
    keys = [str(i) for i in range(5_000)]
    previous = set()
    for percent in (0, 1, 2, 5, 10, 20, 33.3, 50, 80, 99.5, 100):
        now = {k for k in keys if on_platform("store_id", "s", k, percent)}
        assert previous <= now, f"keys left the platform when raising to {percent}%"
        previous = now
    assert previous == set(keys)


def test_group_and_salt_change_the_assignment_and_bounds_hold():
    keys = [str(i) for i in range(2_000)]
    a = {k for k in keys if on_platform("store_id", "s", k, 50)}
    b = {k for k in keys if on_platform("store_id", "other-salt", k, 50)}
    c = {k for k in keys if on_platform("member", "s", k, 50)}
    assert a != b and a != c
    assert not any(on_platform("g", "s", k, 0) for k in keys)
    assert all(on_platform("g", "s", k, 100) for k in keys)
    assert all(0 <= bucket("g", "s", k) < 100 for k in keys)
