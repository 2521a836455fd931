"""A sweep's definition: the W&B-like YAML, checked into a :class:`SweepSpec`.

Pure: no Optuna here (``heron.sweeps.study`` turns a spec into a study). Every
mistake is an :class:`~heron.errors.InvalidInput` naming the field, e.g.
``parameters.lr: min (0.1) must be below max (0.01)``.

The YAML (all but ``metric`` and ``parameters`` optional)::

    name: lr-search            # default: the file's stem
    project: vision            # the trials' project (default: "default")
    method: bayes              # grid | random | bayes (alias tpe) | cmaes
    metric: {name: val/loss, goal: minimize}
    run_cap: 20                # trials in all (grid: at most its size)
    seed: 0
    parameters:
      lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
      layers: {values: [1, 2, 3]}
      optimizer: {values: [sgd, adam]}
      momentum: {min: 0.0, max: 0.99, if: {optimizer: sgd}}   # conditional
      batch: {value: 32}
    early_terminate: {type: median, min_iter: 3}               # median | hyperband | percentile
    command: [python, train.py, "--lr={lr}"]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from heron.errors import InvalidInput
from heron.keys import check_label, check_name

DEFAULT_PROJECT = "default"  # a sweep's project when its YAML names none

__all__ = [
    "DEFAULT_PROJECT",
    "MAX_GRID",
    "MAX_PARAMETERS",
    "MAX_RUN_CAP",
    "MAX_SPEC_BYTES",
    "EarlyTerminate",
    "Parameter",
    "SweepSpec",
    "load_spec",
    "parse_spec",
]

MAX_SPEC_BYTES = 1 << 20
MAX_PARAMETERS = 100
MAX_RUN_CAP = 100_000
MAX_GRID = 100_000
MAX_VALUES = 10_000

Method = Literal["grid", "random", "bayes", "cmaes"]
Distribution = Literal[
    "constant",
    "categorical",
    "uniform",
    "int_uniform",
    "log_uniform_values",
    "int_log_uniform_values",
]
Scalar = bool | int | float | str | None

_METHODS: dict[str, Method] = {
    "grid": "grid",
    "random": "random",
    "bayes": "bayes",
    "tpe": "bayes",
    "cmaes": "cmaes",
    "cma-es": "cmaes",
}
_DISTRIBUTIONS: tuple[Distribution, ...] = (
    "constant",
    "categorical",
    "uniform",
    "int_uniform",
    "log_uniform_values",
    "int_log_uniform_values",
)
_TOP_KEYS = {
    "name",
    "project",
    "group",
    "method",
    "metric",
    "run_cap",
    "seed",
    "parameters",
    "early_terminate",
    "command",
    "description",
}
_PARAM_KEYS = {"value", "values", "min", "max", "distribution", "q", "if"}


@dataclass(frozen=True)
class Parameter:
    """One searched (or fixed) parameter. ``when``: the parameter exists only when each
    named earlier parameter has one of the listed values (a conditional)."""

    name: str
    distribution: Distribution
    values: tuple[Scalar, ...] = ()
    low: float | None = None
    high: float | None = None
    q: float | None = None
    when: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()

    def active(self, chosen: Mapping[str, Any]) -> bool:
        return all(name in chosen and chosen[name] in allowed for name, allowed in self.when)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"distribution": self.distribution}
        if self.distribution == "constant":
            out["value"] = self.values[0]
        elif self.distribution == "categorical":
            out["values"] = list(self.values)
        else:
            out["min"], out["max"] = self.low, self.high
            if self.distribution.startswith("int_"):  # whole numbers stay whole
                out["min"], out["max"] = int(self.low or 0), int(self.high or 0)
            if self.q is not None:
                out["q"] = self.q
        if self.when:
            out["if"] = {name: list(allowed) for name, allowed in self.when}
        return out


@dataclass(frozen=True)
class EarlyTerminate:
    """Pruning from the metric the trials log: ``median`` (below the median of earlier
    trials at the same step), ``percentile`` (outside the best ``percentile`` %) or
    ``hyperband`` (successive halving brackets over steps ``min_iter..max_iter``)."""

    type: Literal["median", "percentile", "hyperband"]
    min_iter: int = 1  # warm-up steps (median, percentile); minimum resource (hyperband)
    max_iter: int | None = None  # hyperband's maximum resource (None: auto)
    eta: int = 3  # hyperband's reduction factor
    percentile: float = 25.0
    startup_trials: int = 3  # trials that complete before anything is pruned

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "min_iter": self.min_iter,
            "max_iter": self.max_iter,
            "eta": self.eta,
            "percentile": self.percentile,
            "startup_trials": self.startup_trials,
        }


@dataclass(frozen=True)
class SweepSpec:
    name: str
    project: str
    group: str
    method: Method
    metric: str
    goal: Literal["minimize", "maximize"]
    parameters: tuple[Parameter, ...]
    run_cap: int
    seed: int = 0
    early_terminate: EarlyTerminate | None = None
    command: tuple[str, ...] = ()
    description: str = ""
    grid: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def to_json(self) -> dict[str, Any]:
        """The spec as the YAML would say it (stored with the study; parse_spec reads it)."""
        return {
            "name": self.name,
            "project": self.project,
            "group": self.group,
            "method": self.method,
            "metric": {"name": self.metric, "goal": self.goal},
            "run_cap": self.run_cap,
            "seed": self.seed,
            "parameters": {p.name: p.to_json() for p in self.parameters},
            "early_terminate": None
            if self.early_terminate is None
            else self.early_terminate.to_json(),
            "command": list(self.command),
            "description": self.description,
        }


def load_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep YAML file (safe loading only: no tags run code)."""
    import yaml

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"cannot read sweep file {path}: {exc.strerror}") from None
    if size > MAX_SPEC_BYTES:
        raise InvalidInput(f"{path}: a sweep file is at most {MAX_SPEC_BYTES} bytes")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: a sweep file is a mapping (name:, method:, parameters: ...)")
    raw.setdefault("name", path.stem)
    return parse_spec(raw)


def parse_spec(raw: Mapping[str, Any]) -> SweepSpec:
    """Check a sweep definition (the YAML's mapping, or :meth:`SweepSpec.to_json`)."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise InvalidInput(
            f"unknown sweep field(s) {', '.join(unknown)}; known: {', '.join(sorted(_TOP_KEYS))}"
        )
    name = check_name(_text(raw, "name", None), "sweep name")
    project = check_name(_text(raw, "project", DEFAULT_PROJECT), "project")
    group = check_label(_text(raw, "group", name), "sweep group")
    method_text = _text(raw, "method", "random").lower()
    if method_text not in _METHODS:
        raise InvalidInput(
            f"method must be grid, random, bayes (tpe) or cmaes, got {method_text!r}"
        )
    method = _METHODS[method_text]
    metric, goal = _metric(raw.get("metric"))
    parameters = _parameters(raw.get("parameters"))
    if method == "cmaes" and not any(
        p.distribution not in ("constant", "categorical") for p in parameters
    ):
        raise InvalidInput("method cmaes needs at least one numeric range (min/max) parameter")
    grid: tuple[dict[str, Any], ...] = ()
    if method == "grid":
        grid = _grid(parameters)
    run_cap = _int(raw, "run_cap", len(grid) if method == "grid" else None, 1, MAX_RUN_CAP)
    if method == "grid":
        run_cap = min(run_cap, len(grid))
    seed = _int(raw, "seed", 0, 0, 2**31 - 1)
    command = raw.get("command") or []
    if not isinstance(command, list) or not all(isinstance(a, str) for a in command):
        raise InvalidInput(
            "command must be a list of strings, e.g. [python, train.py, '--lr={lr}']"
        )
    description = raw.get("description") or ""
    if not isinstance(description, str) or len(description) > 10_000:
        raise InvalidInput("description must be text of at most 10,000 characters")
    return SweepSpec(
        name=name,
        project=project,
        group=group,
        method=method,
        metric=metric,
        goal=goal,
        parameters=parameters,
        run_cap=run_cap,
        seed=seed,
        early_terminate=_early_terminate(raw.get("early_terminate")),
        command=tuple(command),
        description=description,
        grid=grid,
    )


def _text(raw: Mapping[str, Any], key: str, default: str | None) -> str:
    value = raw.get(key, default)
    if value is None:
        raise InvalidInput(f"the sweep needs a {key}")
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be text, got {value!r}")
    return value


def _int(raw: Mapping[str, Any], key: str, default: int | None, low: int, high: int) -> int:
    value = raw.get(key)
    if value is None:
        value = default
    if value is None:
        raise InvalidInput(f"the sweep needs {key} (how many trials in all) for this method")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{key} must be a whole number {low}..{high}, got {value!r}")
    return int(value)


def _metric(raw: Any) -> tuple[str, Literal["minimize", "maximize"]]:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise InvalidInput(
            "metric must say which logged key to optimise: {name: val/loss, goal: minimize}"
        )
    unknown = sorted(set(raw) - {"name", "goal"})
    if unknown:
        raise InvalidInput(f"unknown metric field(s) {', '.join(unknown)}; known: name, goal")
    goal = raw.get("goal", "minimize")
    if goal not in ("minimize", "maximize"):
        raise InvalidInput(f"metric.goal must be minimize or maximize, got {goal!r}")
    return check_label(raw["name"], "metric name"), goal


def _scalar(value: Any, where: str) -> Scalar:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{where}: values must be finite, got {value!r}")
        return value
    raise InvalidInput(f"{where}: values are numbers, text, true/false or null, got {value!r}")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _parameters(raw: Any) -> tuple[Parameter, ...]:
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput("parameters must map each parameter's name to its values or range")
    if len(raw) > MAX_PARAMETERS:
        raise InvalidInput(f"a sweep has at most {MAX_PARAMETERS} parameters, got {len(raw)}")
    out: list[Parameter] = []
    for name, body in raw.items():
        if not isinstance(name, str) or not name.replace(".", "_").replace("-", "_").isidentifier():
            raise InvalidInput(
                f"parameter name {name!r} must be letters, digits, _ - or . (a config path)"
            )
        out.append(_parameter(name, body, {p.name: p for p in out}))
    return tuple(out)


def _parameter(name: str, body: Any, earlier: Mapping[str, Parameter]) -> Parameter:
    where = f"parameters.{name}"
    if not isinstance(body, dict):
        body = {"value": body}
    unknown = sorted(set(body) - _PARAM_KEYS)
    if unknown:
        raise InvalidInput(
            f"{where}: unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_PARAM_KEYS))}"
        )
    when = _condition(where, body.get("if"), earlier)
    dist = body.get("distribution")
    if dist is not None and dist not in _DISTRIBUTIONS:
        raise InvalidInput(
            f"{where}: distribution must be one of {', '.join(_DISTRIBUTIONS)}, got {dist!r}"
        )
    if "value" in body:
        return Parameter(name, "constant", (_scalar(body["value"], where),), when=when)
    if "values" in body:
        values = body["values"]
        if not isinstance(values, list) or not values:
            raise InvalidInput(f"{where}: values must be a non-empty list")
        if len(values) > MAX_VALUES:
            raise InvalidInput(f"{where}: at most {MAX_VALUES} values")
        clean = tuple(_scalar(v, where) for v in values)
        if len(set(map(repr, clean))) != len(clean):
            raise InvalidInput(f"{where}: values are listed twice")
        return Parameter(name, "categorical", clean, when=when)
    if "min" not in body or "max" not in body:
        raise InvalidInput(f"{where}: give values: [...], value: x, or a range min: and max:")
    low, high = _number(body["min"], f"{where}.min"), _number(body["max"], f"{where}.max")
    if not low < high:
        raise InvalidInput(f"{where}: min ({body['min']}) must be below max ({body['max']})")
    ints = all(isinstance(body[k], int) and not isinstance(body[k], bool) for k in ("min", "max"))
    if dist is None:
        dist = "int_uniform" if ints else "uniform"
    if dist in ("int_uniform", "int_log_uniform_values") and not ints:
        raise InvalidInput(f"{where}: {dist} needs whole-number min and max")
    if dist in ("log_uniform_values", "int_log_uniform_values") and low <= 0:
        raise InvalidInput(f"{where}: a log scale needs min > 0, got {body['min']}")
    if dist in ("constant", "categorical"):
        raise InvalidInput(f"{where}: {dist} takes value: / values:, not min and max")
    q = None
    if "q" in body:
        q = _number(body["q"], f"{where}.q")
        if q <= 0 or dist in ("log_uniform_values", "int_log_uniform_values"):
            raise InvalidInput(
                f"{where}: q (a step) must be > 0, and is not allowed on a log scale"
            )
    return Parameter(name, dist, low=low, high=high, q=q, when=when)


def _condition(
    where: str, raw: Any, earlier: Mapping[str, Parameter]
) -> tuple[tuple[str, tuple[Scalar, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput(
            f"{where}.if must map earlier parameters to their values: {{optimizer: sgd}}"
        )
    out = []
    for parent, allowed in raw.items():
        base = earlier.get(parent)
        if base is None or base.distribution not in ("constant", "categorical"):
            raise InvalidInput(
                f"{where}.if names {parent!r}: a condition names an earlier parameter with values"
            )
        allowed_values = tuple(
            _scalar(v, f"{where}.if") for v in (allowed if isinstance(allowed, list) else [allowed])
        )
        missing = [v for v in allowed_values if v not in base.values]
        if missing:
            raise InvalidInput(f"{where}.if: {parent} never takes {missing[0]!r}")
        out.append((parent, allowed_values))
    return tuple(out)


def _grid(parameters: tuple[Parameter, ...]) -> tuple[dict[str, Any], ...]:
    ranged = [p.name for p in parameters if p.distribution not in ("constant", "categorical")]
    if ranged:
        raise InvalidInput(
            f"grid search needs values: [...] for every parameter; {', '.join(ranged)} has a range"
        )
    points: list[dict[str, Any]] = [{}]
    for p in parameters:
        grown: list[dict[str, Any]] = []
        for point in points:
            if p.active(point):
                grown.extend({**point, p.name: v} for v in p.values)
            else:
                grown.append(point)
        points = grown
        if len(points) > MAX_GRID:
            raise InvalidInput(f"the grid has more than {MAX_GRID} points; use random or bayes")
    return tuple(dict(itertools.chain(point.items())) for point in points)


def _early_terminate(raw: Any) -> EarlyTerminate | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("type") not in ("median", "percentile", "hyperband"):
        raise InvalidInput("early_terminate.type must be median, percentile or hyperband")
    known = {"type", "min_iter", "max_iter", "eta", "percentile", "startup_trials"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(
            f"early_terminate: unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {"type": raw["type"]}
    for key, low, high in (
        ("min_iter", 0, 10**9),
        ("max_iter", 1, 10**9),
        ("eta", 2, 100),
        ("startup_trials", 0, 10_000),
    ):
        if key in raw and raw[key] is not None:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise InvalidInput(
                    f"early_terminate.{key} must be a whole number {low}..{high}, got {v!r}"
                )
            values[key] = v
    if "percentile" in raw:
        pct = _number(raw["percentile"], "early_terminate.percentile")
        if not 0 < pct < 100:
            raise InvalidInput(f"early_terminate.percentile must be between 0 and 100, got {pct}")
        values["percentile"] = pct
    return EarlyTerminate(**values)
