"""Which parameters matter for a metric, over a set of runs.

For each config path: the correlation of the (numeric) parameter with the metric
(Pearson, and Spearman's rank correlation), and a random-forest importance
(scikit-learn's impurity importance of a forest fitted to predict the metric from
every parameter; text parameters are ordinal-encoded, missing values get a
sentinel). Runs without a finite metric value are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from heron.errors import InvalidInput
from heron.nested import flatten

Array = np.ndarray[Any, Any]

__all__ = ["MAX_PARAMS", "MAX_RUNS", "ParamImportance", "importance"]

MAX_RUNS = 10_000
MAX_PARAMS = 200
MIN_RUNS = 3


@dataclass(frozen=True)
class ParamImportance:
    name: str
    numeric: bool
    runs: int  # runs that have this parameter
    correlation: float | None  # Pearson with the metric (numeric parameters only)
    spearman: float | None
    importance: float | None  # random forest (sums to 1 over the parameters)


def importance(
    runs: Sequence[tuple[Mapping[str, Any], float]],
    *,
    params: Sequence[str] | None = None,
    seed: int = 0,
    trees: int = 100,
) -> list[ParamImportance]:
    """``runs``: (config, metric value) pairs. ``params``: the config paths to rate
    (default: every path whose value varies). Most important first."""
    if len(runs) > MAX_RUNS:
        raise InvalidInput(f"parameter importance takes at most {MAX_RUNS} runs, got {len(runs)}")
    flats = [(flatten(config), float(value)) for config, value in runs]
    flats = [(flat, value) for flat, value in flats if math.isfinite(value)]
    if len(flats) < MIN_RUNS:
        raise InvalidInput(
            f"parameter importance needs at least {MIN_RUNS} runs with a finite metric value, "
            f"got {len(flats)}"
        )
    if params is None:
        paths = sorted({p for flat, _ in flats for p in flat})
        params = [p for p in paths if len({_key(flat.get(p)) for flat, _ in flats}) > 1]
    if len(params) > MAX_PARAMS:
        raise InvalidInput(f"at most {MAX_PARAMS} parameters, got {len(params)}")
    if not params:
        return []
    y = np.array([value for _, value in flats])
    columns = []
    out: list[tuple[str, bool, int, float | None, float | None]] = []
    for name in params:
        raw = [flat.get(name) for flat, _ in flats]
        numeric = all(v is None or (_is_number(v)) for v in raw)
        present = [i for i, v in enumerate(raw) if v is not None]
        if numeric:
            col = np.array([float(v) if v is not None else math.nan for v in raw])
            corr, rank = _correlations(col[present], y[present])
            filled = np.where(np.isnan(col), np.nanmin(col) - 1 if present else 0.0, col)
        else:
            codes = {k: i for i, k in enumerate(sorted({_key(v) for v in raw}))}
            filled = np.array([codes[_key(v)] for v in raw], dtype=np.float64)
            corr = rank = None
        columns.append(filled)
        out.append((name, numeric, len(present), corr, rank))
    forest = _forest(np.column_stack(columns), y, seed, trees)
    result = [
        ParamImportance(name, numeric, n, corr, rank, None if forest is None else float(forest[i]))
        for i, (name, numeric, n, corr, rank) in enumerate(out)
    ]
    result.sort(key=lambda r: (-(r.importance or 0.0), -abs(r.correlation or 0.0), r.name))
    return result


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _key(value: Any) -> str:
    return repr(value)


def _correlations(x: Array, y: Array) -> tuple[float | None, float | None]:
    if x.size < MIN_RUNS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None, None
    from scipy import stats

    pearson = float(np.corrcoef(x, y)[0, 1])
    spearman = float(stats.spearmanr(x, y).statistic)
    return pearson, spearman


def _forest(x: Array, y: Array, seed: int, trees: int) -> Array | None:
    if np.ptp(y) == 0:
        return None
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(n_estimators=trees, random_state=seed, n_jobs=1)
    model.fit(x, y)
    result: Array = model.feature_importances_
    return result
