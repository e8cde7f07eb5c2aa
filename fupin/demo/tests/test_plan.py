"""The demo's target figures and the pure helpers that hit them (no database)."""

import random

import pytest

from fupin.demo import plan


def test_seed_figures_add_up():
    assert sum(plan.CATEGORY_HOUSEHOLDS.values()) == 30170
    assert sum(plan.CATEGORY_PERSONS.values()) == 82143
    for t in plan.DEFAULT_TARGETS:
        assert sum(t.tasks) == t.not_exited
    assert (plan.MINGXI.persons, plan.MINGXI.exited_2014, plan.MINGXI.not_exited) == (8451, 1753, 6698)
    assert (plan.NINGHUA.persons, plan.NINGHUA.exited_2014, plan.NINGHUA.not_exited) == (22713, 5513, 17200)
    assert 11_000 < plan.DEFAULT_HOUSEHOLDS < 12_000


def test_size_distributions_have_the_seed_means():
    for cat, probs in plan.SIZE_DISTRIBUTIONS.items():
        mean = sum((k + 1) * p for k, p in enumerate(probs))
        assert mean == pytest.approx(plan.CATEGORY_PERSONS[cat] / plan.CATEGORY_HOUSEHOLDS[cat], abs=1e-6)
        assert sum(probs) == pytest.approx(1)


def test_fitted_joint_table_keeps_both_margins():
    total_h = sum(plan.CATEGORY_HOUSEHOLDS.values())
    total_c = sum(plan.CAUSE_HOUSEHOLDS.values())
    for cat, row in plan.JOINT.items():
        assert sum(row.values()) == pytest.approx(plan.CATEGORY_HOUSEHOLDS[cat] / total_h, rel=1e-6)
    for cause in plan.CAUSES:
        assert sum(row[cause] for row in plan.JOINT.values()) == pytest.approx(
            plan.CAUSE_HOUSEHOLDS[cause] / total_c, rel=1e-6)
    # the affinities survive: 五保户 are mostly 缺劳力, 一般贫困户 rarely
    assert plan.CAUSE_GIVEN_CATEGORY["4"]["8"] > 0.4 > plan.CAUSE_GIVEN_CATEGORY["1"]["8"]


def test_quota_is_exact_to_one_pick():
    quota = plan.Quota({"a": 3, "b": 1})
    rng = random.Random(1)
    picks = [quota.pick(rng) for _ in range(101)]
    assert abs(picks.count("a") - 101 * 0.75) <= 1


def test_choose_exact_hits_the_target():
    rng = random.Random(3)
    sizes = [rng.randint(1, 6) for _ in range(500)]
    chosen = plan.choose_exact(rng, sizes, 400, [1.0] * 500)
    assert sum(sizes[i] for i in chosen) == 400
    with pytest.raises(ValueError, match="cannot choose"):
        plan.choose_exact(rng, [2, 2], 3, [1.0, 1.0])


def test_planned_years_follow_the_tasks():
    rng = random.Random(5)
    sizes = [rng.randint(1, 5) for _ in range(2000)]
    tasks = plan.apportion(sum(sizes), (2038, 1956, 1956, 748))
    years = plan.planned_years(rng, sizes, range(len(sizes)), tasks)
    for year, task in zip(plan.TASK_YEARS, tasks, strict=True):
        assert abs(sum(sizes[i] for i, y in years.items() if y == year) - task) <= 10


def test_scaled_targets_and_apportion():
    assert plan.apportion(10, (1, 1, 1)) == (4, 3, 3)
    assert plan.scaled_targets(None) == plan.DEFAULT_TARGETS
    small = plan.scaled_targets(300)
    assert sum(t.persons for t in small) == pytest.approx(300 * plan.MEAN_SIZE, abs=2)
    for t in small:
        assert sum(t.tasks) == t.not_exited
        assert t.code in (plan.MINGXI.code, plan.NINGHUA.code)
    with pytest.raises(ValueError):
        plan.scaled_targets(0)
