"""The holdout statistics on simulated shops with a known true effect.

Each simulation draws two arms of sessions: each converts with its arm's probability and
a converting session spends an exponential amount. Over 400 seeded simulations the 95%
intervals must cover the truth about 95% of the time, and the estimates must centre on
it. The seed makes the test deterministic; the bounds are what a correct interval meets
for almost any seed (400 draws of a 95% event: 0.92-0.98 is about +-2.7 standard errors).
"""

from __future__ import annotations

import random
import statistics

import pytest

from tryon.analytics.stats import (
    MIN_CONVERSIONS,
    MIN_SESSIONS,
    Sample,
    compare_means,
    compare_rates,
    newcombe_interval,
    t_quantile,
    wilson_interval,
    z_value,
)

SIMULATIONS = 400
SESSIONS = 3000
P_HOLDOUT, P_EXPOSED = 0.05, 0.06
MEAN_ORDER = 50.0
TRUE_DIFFERENCE = P_EXPOSED - P_HOLDOUT
TRUE_LIFT = P_EXPOSED / P_HOLDOUT - 1
TRUE_REVENUE_DIFFERENCE = MEAN_ORDER * TRUE_DIFFERENCE


def simulate_arm(rng: random.Random, sessions: int, rate: float) -> tuple[int, Sample]:
    converted, total, squares = 0, 0.0, 0.0
    for _ in range(sessions):
        if rng.random() < rate:
            converted += 1
            amount = rng.expovariate(1 / MEAN_ORDER)
            total += amount
            squares += amount * amount
    return converted, Sample(sessions, total, squares)


@pytest.fixture(scope="module")
def simulations() -> list[tuple[int, Sample, int, Sample]]:
    rng = random.Random(20241130)
    runs = []
    for _ in range(SIMULATIONS):
        x1, s1 = simulate_arm(rng, SESSIONS, P_EXPOSED)
        x0, s0 = simulate_arm(rng, SESSIONS, P_HOLDOUT)
        runs.append((x1, s1, x0, s0))
    return runs


def _covers(low: float | None, high: float | None, truth: float) -> bool:
    assert low is not None and high is not None
    return low <= truth <= high


def test_conversion_rate_interval_covers_the_true_difference_95_percent(simulations):
    results = [compare_rates(x1, s1.n, x0, s0.n) for x1, s1, x0, s0 in simulations]
    assert all(r.enough_data for r in results)
    coverage = sum(_covers(r.difference_low, r.difference_high, TRUE_DIFFERENCE) for r in results)
    assert 0.92 <= coverage / SIMULATIONS <= 0.98


def test_relative_lift_interval_covers_the_true_lift_95_percent(simulations):
    results = [compare_rates(x1, s1.n, x0, s0.n) for x1, s1, x0, s0 in simulations]
    coverage = sum(_covers(r.lift_low, r.lift_high, TRUE_LIFT) for r in results)
    assert 0.92 <= coverage / SIMULATIONS <= 0.98


def test_difference_estimate_is_unbiased(simulations):
    estimates = [compare_rates(x1, s1.n, x0, s0.n).difference for x1, s1, x0, s0 in simulations]
    # One estimate's standard error is ~0.0058; the mean of 400 has ~0.0003.
    assert statistics.fmean(estimates) == pytest.approx(TRUE_DIFFERENCE, abs=0.001)


def test_lift_estimate_is_unbiased_within_tolerance(simulations):
    lifts = [compare_rates(x1, s1.n, x0, s0.n).lift for x1, s1, x0, s0 in simulations]
    # A ratio of rates has a small positive bias (~(1-p)/(n p) = 0.6 % of the ratio here)
    # plus simulation noise (~0.006 for the mean of 400).
    assert statistics.fmean(lifts) == pytest.approx(TRUE_LIFT, abs=0.03)


def test_revenue_per_session_interval_covers_the_true_difference(simulations):
    results = [compare_means(s1, s0, (x1, x0)) for x1, s1, x0, s0 in simulations]
    assert all(r.enough_data for r in results)
    coverage = sum(
        _covers(r.difference_low, r.difference_high, TRUE_REVENUE_DIFFERENCE) for r in results
    )
    assert 0.92 <= coverage / SIMULATIONS <= 0.98
    mean = statistics.fmean(r.difference for r in results)
    assert mean == pytest.approx(TRUE_REVENUE_DIFFERENCE, abs=0.06)
    lift_coverage = sum(_covers(r.lift_low, r.lift_high, TRUE_LIFT) for r in results)
    assert 0.92 <= lift_coverage / SIMULATIONS <= 0.98


def test_no_effect_is_reported_as_no_clear_difference_most_of_the_time():
    rng = random.Random(7)
    verdicts = []
    for _ in range(100):
        x1, _ = simulate_arm(rng, 2000, 0.05)
        x0, _ = simulate_arm(rng, 2000, 0.05)
        verdicts.append(compare_rates(x1, 2000, x0, 2000).message.startswith("No clear"))
    assert sum(verdicts) >= 90


def test_not_enough_data_gives_no_interval_and_says_why():
    result = compare_rates(3, 40, 1, 30)
    assert not result.enough_data
    assert result.difference is None and result.difference_low is None
    assert result.message.startswith("Not enough data yet")
    assert "40 sessions" in result.message and "30 sessions" in result.message
    assert f"at least {MIN_SESSIONS}" in result.message


def test_enough_sessions_but_too_few_conversions_is_not_enough():
    result = compare_rates(MIN_CONVERSIONS - 1, 5000, 30, 5000)
    assert not result.enough_data
    assert f"{MIN_CONVERSIONS - 1} conversions" in result.message
    assert compare_rates(MIN_CONVERSIONS, 5000, MIN_CONVERSIONS, 5000).enough_data


def test_an_empty_holdout_is_not_enough_data():
    result = compare_rates(50, 1000, 0, 0)
    assert not result.enough_data
    assert "holdout arm has 0 sessions" in result.message
    revenue = compare_means(Sample(1000, 500.0, 9000.0), Sample(0, 0.0, 0.0), (50, 0))
    assert not revenue.enough_data


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (56/70 vs 48/80).
    difference, low, high = newcombe_interval(56, 70, 48, 80)
    assert difference == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_wilson_interval_and_quantiles():
    low, high = wilson_interval(0, 100, z_value())
    assert low == 0 and 0.03 < high < 0.04
    assert z_value() == pytest.approx(1.959964, abs=1e-6)
    assert t_quantile(0.95, 10) == pytest.approx(2.228139, abs=1e-3)
    assert t_quantile(0.95, 30) == pytest.approx(2.042272, abs=1e-4)
    assert t_quantile(0.95, float("inf")) == pytest.approx(1.959964, abs=1e-6)
