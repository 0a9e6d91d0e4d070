"""Comparing the two arms: difference, lift and 95% intervals, and when not to say.

Conversion rates (the share of sessions that converted) are compared with the Newcombe
hybrid score interval for the difference of two proportions (Wilson intervals of each
rate, combined), which keeps close to its nominal coverage with the small rates a shop
sees, where the plain Wald interval does not. The relative lift (exposed / holdout - 1)
gets the log-ratio (Katz) interval.

Revenue per session (zero for sessions that bought nothing) is compared with Welch's t
interval for a difference of means with unequal variances; its relative lift with the
delta method on the log of the ratio of means.

Not enough data: below ``MIN_SESSIONS`` sessions, or ``MIN_CONVERSIONS`` converting
(and as many non-converting) sessions in either arm, no interval is given: the normal
approximations behind them do not hold there, and an interval that wide says nothing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

MIN_SESSIONS = 100
MIN_CONVERSIONS = 10
CONFIDENCE = 0.95


def z_value(confidence: float = CONFIDENCE) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def t_quantile(confidence: float, df: float) -> float:
    """Two-sided Student t quantile (Cornish-Fisher series, A&S 26.7.5; exact enough for
    df >= 3, and this module asks for df >= ~20)."""
    z = z_value(confidence)
    if math.isinf(df) or df > 1e7:
        return z
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def wilson_interval(successes: int, trials: int, z: float) -> tuple[float, float]:
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe_interval(
    x1: int, n1: int, x0: int, n0: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """``(p1 - p0, low, high)``: Newcombe's hybrid score interval (his method 10)."""
    z = z_value(confidence)
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson_interval(x1, n1, z)
    l0, u0 = wilson_interval(x0, n0, z)
    difference = p1 - p0
    low = difference - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return (difference, low, high)


def ratio_interval(
    x1: int, n1: int, x0: int, n0: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float] | None:
    """``(lift, low, high)`` for p1 / p0 - 1 (Katz log interval); None with no conversions."""
    if x1 <= 0 or x0 <= 0:
        return None
    ratio = (x1 / n1) / (x0 / n0)
    se = math.sqrt(max(0.0, 1 / x1 - 1 / n1 + 1 / x0 - 1 / n0))
    z = z_value(confidence)
    return (ratio - 1, ratio * math.exp(-z * se) - 1, ratio * math.exp(z * se) - 1)


@dataclass(frozen=True)
class Sample:
    """Per-session values of one arm, as count, sum and sum of squares."""

    n: int
    total: float
    squares: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        if self.n < 2:
            return 0.0
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))


def welch_interval(
    treatment: Sample, control: Sample, confidence: float = CONFIDENCE
) -> tuple[float, float, float] | None:
    """``(mean1 - mean0, low, high)`` by Welch's t; None when a variance is zero."""
    a = treatment.variance / treatment.n if treatment.n else 0.0
    b = control.variance / control.n if control.n else 0.0
    if a <= 0 or b <= 0:
        return None
    df = (a + b) ** 2 / (a * a / (treatment.n - 1) + b * b / (control.n - 1))
    half = t_quantile(confidence, df) * math.sqrt(a + b)
    difference = treatment.mean - control.mean
    return (difference, difference - half, difference + half)


def mean_ratio_interval(
    treatment: Sample, control: Sample, confidence: float = CONFIDENCE
) -> tuple[float, float, float] | None:
    """``(m1 / m0 - 1, low, high)``: delta method on log(m1 / m0)."""
    if treatment.mean <= 0 or control.mean <= 0:
        return None
    ratio = treatment.mean / control.mean
    se = math.sqrt(
        treatment.variance / (treatment.n * treatment.mean**2)
        + control.variance / (control.n * control.mean**2)
    )
    z = z_value(confidence)
    return (ratio - 1, ratio * math.exp(-z * se) - 1, ratio * math.exp(z * se) - 1)


def shortfall(sessions: int, conversions: int) -> list[str]:
    """What one arm lacks for an interval to be given; empty when it has enough."""
    missing = []
    if sessions < MIN_SESSIONS:
        missing.append(f"{sessions} sessions (at least {MIN_SESSIONS} needed)")
    if conversions < MIN_CONVERSIONS:
        missing.append(f"{conversions} conversions (at least {MIN_CONVERSIONS} needed)")
    if sessions - conversions < MIN_CONVERSIONS:
        missing.append(f"{sessions - conversions} sessions without a conversion")
    return missing


@dataclass(frozen=True)
class Comparison:
    """Treatment against control for one metric; intervals only when ``enough_data``."""

    metric: str
    treatment: float
    control: float
    enough_data: bool
    message: str
    difference: float | None = None
    difference_low: float | None = None
    difference_high: float | None = None
    lift: float | None = None
    lift_low: float | None = None
    lift_high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _not_enough(metric: str, t: float, c: float, names: tuple[str, str], gaps: Any) -> Comparison:
    pairs = zip(names, gaps, strict=True)
    parts = [f"the {name} arm has {' and '.join(gap)}" for name, gap in pairs if gap]
    message = "Not enough data yet: " + "; ".join(parts) + "."
    return Comparison(metric, t, c, False, message)


def _verdict(low: float, high: float, unit: str, names: tuple[str, str]) -> str:
    if low > 0:
        return f"The {names[0]} arm is higher: the 95% interval lies above zero ({unit})."
    if high < 0:
        return f"The {names[0]} arm is lower: the 95% interval lies below zero ({unit})."
    return f"No clear difference yet: the 95% interval includes zero ({unit})."


def compare_rates(
    x1: int, n1: int, x0: int, n0: int, *, names: tuple[str, str] = ("exposed", "holdout")
) -> Comparison:
    """Conversion rate x1/n1 (treatment) against x0/n0 (control)."""
    rate1 = x1 / n1 if n1 else 0.0
    rate0 = x0 / n0 if n0 else 0.0
    gaps = (shortfall(n1, x1), shortfall(n0, x0))
    if any(gaps):
        return _not_enough("conversion_rate", rate1, rate0, names, gaps)
    difference, low, high = newcombe_interval(x1, n1, x0, n0)
    lift = ratio_interval(x1, n1, x0, n0)
    return Comparison(
        "conversion_rate",
        rate1,
        rate0,
        True,
        _verdict(low, high, "difference in conversion rate", names),
        difference,
        low,
        high,
        *(lift if lift else (None, None, None)),
    )


def compare_means(
    treatment: Sample,
    control: Sample,
    converters: tuple[int, int],
    *,
    names: tuple[str, str] = ("exposed", "holdout"),
) -> Comparison:
    """Revenue per session: Welch's interval; ``converters`` decide if there is enough."""
    gaps = (
        shortfall(treatment.n, converters[0]),
        shortfall(control.n, converters[1]),
    )
    if any(gaps):
        return _not_enough("revenue_per_session", treatment.mean, control.mean, names, gaps)
    interval = welch_interval(treatment, control)
    if interval is None:
        return Comparison(
            "revenue_per_session",
            treatment.mean,
            control.mean,
            False,
            "Not enough data yet: no spread in revenue per session.",
        )
    difference, low, high = interval
    lift = mean_ratio_interval(treatment, control)
    return Comparison(
        "revenue_per_session",
        treatment.mean,
        control.mean,
        True,
        _verdict(low, high, "difference in revenue per session", names),
        difference,
        low,
        high,
        *(lift if lift else (None, None, None)),
    )
