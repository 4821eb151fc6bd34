from zhongtai.strangler.noise import judge_field, judge_fields, signal_fields


def test_a_field_that_differs_as_often_in_aa_is_noise():
    # updated_at differs in 90% of legacy-vs-platform pairs and 88% of legacy-vs-legacy pairs.
    v = judge_field(900, 1000, 44, 50, path="data.updated_at")
    assert not v.reported


def test_a_field_that_only_differs_against_the_platform_is_reported():
    v = judge_field(30, 1000, 0, 50, path="data.total_amount")
    assert v.reported and v.relative == 100 and abs(v.absolute - 3.0) < 1e-9


def test_relative_threshold_is_diffy_20_percent():
    # raw 60%, noise 45% → relative 14.3% < 20: not reported although raw > noise.
    assert not judge_field(600, 1000, 45, 100).reported
    # raw 60%, noise 30% → relative 33%: reported.
    assert judge_field(600, 1000, 30, 100).reported


def test_absolute_threshold_is_diffy_003_points():
    # 2 in 10,000 = 0.02 points, no noise: relative 100% but absolute too small.
    assert not judge_field(2, 10_000, 0, 100).reported
    assert judge_field(4, 10_000, 0, 100).reported  # 0.04 points
    assert not judge_field(0, 1000, 0, 0).reported


def test_judge_fields_and_signal_fields():
    raw = {"a": 500, "b": 20, "c": 1}
    noise = {"a": 25, "c": 0}
    verdicts = {v.path: v.reported for v in judge_fields(raw, 1000, noise, 50)}
    assert verdicts == {"a": False, "b": True, "c": True}
    assert signal_fields(["a", "b"], raw, 1000, noise, 50) == ["b"]
