"""Is A really better than B? Two groups of runs' final values, compared.

:func:`compare` gives the difference of means with Welch's confidence interval,
Welch's t-test, a bootstrap test (resampling each group; percentile interval, and a
p-value from the bootstrap distribution of the difference shifted to zero), the
effect size (Cohen's d with the pooled standard deviation, and Hedges' g), the power
the comparison had and the group size that would reach 80 % power for the observed
effect, and a verdict in plain words.

Pure: numbers in, numbers out (numpy; scipy for the t and noncentral t
distributions). Non-finite values are dropped (and counted) before anything else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from heron.errors import InvalidInput

Array = np.ndarray[Any, Any]

__all__ = [
    "MAX_BOOTSTRAP",
    "MAX_VALUES",
    "Comparison",
    "compare",
    "needed_per_group",
    "welch",
]

MAX_VALUES = 100_000  # per group
MAX_BOOTSTRAP = 100_000
POWER = 0.8


@dataclass(frozen=True)
class Welch:
    t: float
    df: float
    p: float
    low: float  # confidence interval of mean(a) - mean(b)
    high: float


@dataclass(frozen=True)
class Comparison:
    n_a: int
    n_b: int
    dropped: int  # non-finite values left out
    mean_a: float
    mean_b: float
    std_a: float
    std_b: float
    difference: float  # mean(a) - mean(b)
    confidence: float
    ci_low: float  # Welch
    ci_high: float
    t: float
    df: float
    p_value: float  # Welch, two-sided
    bootstrap_low: float
    bootstrap_high: float
    bootstrap_p: float
    bootstrap_samples: int
    cohens_d: float
    hedges_g: float
    power: float  # of this comparison (two-sided Welch at alpha = 1 - confidence)
    needed_per_group: int | None  # for 80 % power at the observed effect; None: no effect
    significant: bool
    verdict: str

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


def _clean(values: Sequence[float] | Array, name: str) -> tuple[Array, int]:
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size > MAX_VALUES:
        raise InvalidInput(f"group {name} has {array.size} values; at most {MAX_VALUES}")
    finite = array[np.isfinite(array)]
    if finite.size < 2:
        raise InvalidInput(
            f"group {name} has {finite.size} finite value(s); a comparison needs at least 2 "
            "per group"
        )
    return finite, int(array.size - finite.size)


def welch(a: Array, b: Array, confidence: float = 0.95) -> Welch:
    """Welch's unequal-variances t-test and interval for mean(a) - mean(b)."""
    from scipy import stats

    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = float(a.mean() - b.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        same = diff == 0
        t = 0.0 if same else math.copysign(math.inf, diff)
        return Welch(t, math.nan, 1.0 if same else 0.0, diff, diff)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Welch(float(t), float(df), p, diff - half, diff + half)


def _bootstrap(
    a: Array, b: Array, samples: int, confidence: float, seed: int
) -> tuple[float, float, float]:
    """Percentile interval of mean(a*) - mean(b*) and a two-sided p-value (the share of
    the null-shifted bootstrap differences at least as far from zero as observed)."""
    rng = np.random.default_rng(seed)
    diffs = np.empty(samples)
    chunk = max(1, 2_000_000 // (a.size + b.size))
    for start in range(0, samples, chunk):
        n = min(chunk, samples - start)
        ra = a[rng.integers(0, a.size, (n, a.size))].mean(axis=1)
        rb = b[rng.integers(0, b.size, (n, b.size))].mean(axis=1)
        diffs[start : start + n] = ra - rb
    observed = a.mean() - b.mean()
    alpha = 1 - confidence
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    shifted = diffs - diffs.mean()
    p = float((np.count_nonzero(np.abs(shifted) >= abs(observed)) + 1) / (samples + 1))
    return float(low), float(high), min(1.0, p)


def _power(d: float, n: int, alpha: float) -> float:
    """Power of a two-sided two-sample t-test with ``n`` per group at effect size ``d``."""
    from scipy import stats

    if n < 2 or not math.isfinite(d):
        return math.nan
    df = 2 * n - 2
    nc = abs(d) * math.sqrt(n / 2)
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def needed_per_group(d: float, alpha: float = 0.05, power: float = POWER) -> int | None:
    """The smallest group size whose two-sample t-test reaches ``power`` at effect size
    ``d`` (None when d is 0 or not finite; capped at 1,000,000)."""
    if not math.isfinite(d) or d == 0:
        return None
    z = 1.959963984540054 if alpha == 0.05 else _z(1 - alpha / 2)
    n = max(2, math.floor(2 * ((z + _z(power)) / abs(d)) ** 2) - 2)  # normal approximation
    while _power(d, n, alpha) < power:
        n += 1
        if n > 1_000_000:
            return None
    while n > 2 and _power(d, n - 1, alpha) >= power:
        n -= 1
    return n


def _z(q: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(q))


def compare(
    a: Sequence[float] | Array,
    b: Sequence[float] | Array,
    *,
    confidence: float = 0.95,
    bootstrap: int = 10_000,
    seed: int = 0,
    names: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Compare the values of group ``a`` with those of group ``b`` (see the module doc)."""
    if not 0.5 <= confidence < 1:
        raise InvalidInput(f"confidence must be in [0.5, 1), got {confidence}")
    if not 100 <= bootstrap <= MAX_BOOTSTRAP:
        raise InvalidInput(f"bootstrap samples must be 100..{MAX_BOOTSTRAP}, got {bootstrap}")
    xa, drop_a = _clean(a, names[0])
    xb, drop_b = _clean(b, names[1])
    test = welch(xa, xb, confidence)
    boot_low, boot_high, boot_p = _bootstrap(xa, xb, bootstrap, confidence, seed)
    sa, sb = float(xa.std(ddof=1)), float(xb.std(ddof=1))
    pooled = math.sqrt(((xa.size - 1) * sa**2 + (xb.size - 1) * sb**2) / (xa.size + xb.size - 2))
    diff = float(xa.mean() - xb.mean())
    d = diff / pooled if pooled > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    g = d * (1 - 3 / (4 * (xa.size + xb.size) - 9))
    alpha = 1 - confidence
    n_eq = min(xa.size, xb.size)
    power = _power(d, n_eq, alpha)
    needed = needed_per_group(d, alpha)
    significant = test.p < alpha
    return Comparison(
        n_a=int(xa.size),
        n_b=int(xb.size),
        dropped=drop_a + drop_b,
        mean_a=float(xa.mean()),
        mean_b=float(xb.mean()),
        std_a=sa,
        std_b=sb,
        difference=diff,
        confidence=confidence,
        ci_low=test.low,
        ci_high=test.high,
        t=test.t,
        df=test.df,
        p_value=test.p,
        bootstrap_low=boot_low,
        bootstrap_high=boot_high,
        bootstrap_p=boot_p,
        bootstrap_samples=bootstrap,
        cohens_d=d,
        hedges_g=g,
        power=power,
        needed_per_group=needed,
        significant=significant,
        verdict=_verdict(names, xa.size, xb.size, diff, test, significant, d, needed, confidence),
    )


def _verdict(
    names: tuple[str, str],
    n_a: int,
    n_b: int,
    diff: float,
    test: Welch,
    significant: bool,
    d: float,
    needed: int | None,
    confidence: float,
) -> str:
    a, b = names
    sizes = f"{n_a} runs each" if n_a == n_b else f"{n_a} and {n_b} runs"
    pct = f"{confidence:.0%}"
    interval = f"{pct} CI [{_num(test.low)}, {_num(test.high)}]"
    if significant:
        higher, lower = (a, b) if diff > 0 else (b, a)
        return (
            f"{higher} is higher than {lower} by {_num(abs(diff))} ({interval}, Welch p = "
            f"{_num(test.p)}, effect size d = {_num(d)}), distinguishable with {sizes}."
        )
    if needed is None:
        return f"{a} and {b} are not distinguishable with {sizes}: equal means ({interval})."
    more = (
        f"about {needed} per group would be needed to tell a difference of this size "
        f"(d = {_num(d)}) at 80% power"
    )
    return (
        f"{a} and {b} are not distinguishable with {sizes} (difference {_num(diff)}, "
        f"{interval}, Welch p = {_num(test.p)}); {more}."
    )


def _num(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}"
