"""The comparison's numbers are scipy's on known data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from heron.analysis.stats import compare, needed_per_group
from heron.errors import InvalidInput

# Two groups of 5 seeds' final accuracies (a real-looking, known data set)
A = [0.912, 0.905, 0.921, 0.915, 0.909]
B = [0.897, 0.902, 0.894, 0.905, 0.899]


def test_welch_matches_scipy() -> None:
    result = compare(A, B, names=("new", "old"))
    expected = stats.ttest_ind(A, B, equal_var=False)
    ci = expected.confidence_interval(0.95)
    assert result.t == pytest.approx(expected.statistic, rel=1e-12)
    assert result.df == pytest.approx(expected.df, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert (result.ci_low, result.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert result.difference == pytest.approx(np.mean(A) - np.mean(B))
    assert result.significant and result.verdict.startswith("new is higher than old by 0.013")


def test_bootstrap_matches_scipy_s_percentile_interval() -> None:
    result = compare(A, B, bootstrap=20_000, seed=1)
    expected = stats.bootstrap(
        (np.array(A), np.array(B)),
        lambda a, b, axis: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        n_resamples=20_000,
        method="percentile",
        random_state=np.random.default_rng(2),
        vectorized=True,
    ).confidence_interval
    # two independent resamplings: the same interval up to Monte Carlo error
    assert result.bootstrap_low == pytest.approx(expected.low, abs=1.5e-3)
    assert result.bootstrap_high == pytest.approx(expected.high, abs=1.5e-3)
    assert result.bootstrap_p < 0.01


def test_effect_size_and_power_match_their_formulas() -> None:
    result = compare(A, B)
    pooled = math.sqrt((4 * np.var(A, ddof=1) + 4 * np.var(B, ddof=1)) / 8)
    d = (np.mean(A) - np.mean(B)) / pooled
    assert result.cohens_d == pytest.approx(d)
    assert result.hedges_g == pytest.approx(d * (1 - 3 / (4 * 10 - 9)))
    # power of the two-sample t-test by the noncentral t distribution
    nc = d * math.sqrt(5 / 2)
    crit = stats.t.ppf(0.975, 8)
    assert result.power == pytest.approx(stats.nct.sf(crit, 8, nc) + stats.nct.cdf(-crit, 8, nc))


def test_needed_sample_size_is_the_smallest_with_80_percent_power() -> None:
    # d = 0.5 needs 64 per group (Cohen's table), d = 0.8 needs 26, d = 1.0 needs 17
    assert needed_per_group(0.5) == 64
    assert needed_per_group(0.8) == 26
    assert needed_per_group(1.0) == 17
    assert needed_per_group(0.0) is None


def test_an_undistinguishable_pair_says_how_many_would_be_needed() -> None:
    a, b = [0.80, 0.84, 0.82], [0.81, 0.79, 0.83]
    result = compare(a, b)
    assert not result.significant
    assert result.verdict.startswith("A and B are not distinguishable with 3 runs each")
    assert f"about {result.needed_per_group} per group would be needed" in result.verdict
    assert result.needed_per_group is not None and result.needed_per_group > 3


def test_non_finite_values_are_dropped_and_counted() -> None:
    result = compare([*A, math.nan], [*B, math.inf])
    assert (result.n_a, result.n_b, result.dropped) == (5, 5, 2)
    assert result.to_json()["verdict"] == result.verdict


@pytest.mark.parametrize(
    ("a", "kwargs", "message"),
    [
        ([1.0], {}, "group A has 1 finite value"),
        ([1.0, math.nan], {}, "group A has 1 finite value"),
        (A, {"confidence": 1.0}, "confidence must be in"),
        (A, {"bootstrap": 5}, "bootstrap samples must be"),
    ],
)
def test_bad_input_is_refused(a: list[float], kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        compare(a, B, **kwargs)  # type: ignore[arg-type]


def test_identical_constant_groups_are_equal() -> None:
    result = compare([1.0, 1.0], [1.0, 1.0])
    assert result.p_value == 1.0 and not result.significant and result.cohens_d == 0.0
