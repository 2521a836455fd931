"""Did run B reproduce run A? Metrics compared step by step, config and environment listed.

:func:`compare` is pure: it takes two :class:`RunData` (config, system record and the
metric series) and returns a :class:`Verification`; :func:`load` reads a
:class:`RunData` from a run through the API. ``heron verify`` renders the result.

How two series are matched: point by point on (step, occurrence), where the
occurrence counts the points logged at the same step before this one (so a metric
logged twice per step is compared twice per step). A point that one run has and the
other lacks is a divergence at that step. Two values agree when both are NaN, when
both are the same infinity, or when ``|a - b| <= atol + rtol * max(|a|, |b|)``; the
default tolerances are 0, which asks for identical floats.

Metrics whose key starts with ``system/`` (CPU, memory, GPU sampled while the run
ran) differ on every run and are left out unless ``keys`` names them.

The verdict is about metrics only: config and environment differences are listed so
that a divergence can be explained, and a reproduction on another machine may
legitimately differ in, say, the hostname.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from heron.errors import InvalidInput
from heron.nested import flatten

if TYPE_CHECKING:
    from heron.api import ApiRun

SYSTEM_PREFIX = "system/"
# Parts of the record that differ on every run and say nothing about the result.
_NOISE = frozenset({"program.process.pid", "git.diff_bytes", "git.untracked_count"})
MetricStatus = Literal["same", "different", "only_a", "only_b"]


@dataclass(frozen=True)
class SeriesData:
    steps: Sequence[int]
    values: Sequence[float]


@dataclass(frozen=True)
class RunData:
    """What a verification reads of one run."""

    id: str
    name: str
    config: Mapping[str, Any]
    system: Mapping[str, Any]
    series: Mapping[str, SeriesData]


@dataclass(frozen=True)
class Divergence:
    """The first point where two series disagree; None where a run has no point."""

    step: int
    occurrence: int  # 0 unless the metric was logged more than once at this step
    a: float | None
    b: float | None


@dataclass(frozen=True)
class MetricCheck:
    key: str
    status: MetricStatus
    points_a: int
    points_b: int
    matched: int  # points present in both runs that agree
    max_abs_diff: float  # over the points present in both (0 if none; NaN-NaN counts 0)
    first: Divergence | None = None


@dataclass(frozen=True)
class Difference:
    """One config or environment value that differs; ``None`` with ``present`` False
    where a run lacks it."""

    section: str  # "config", "git", "python", "packages", "datasets", "environment"
    key: str
    a: Any
    b: Any
    in_a: bool = True
    in_b: bool = True


@dataclass(frozen=True)
class Verification:
    run_a: str
    run_b: str
    rtol: float
    atol: float
    metrics: list[MetricCheck]
    differences: list[Difference] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        """Every compared metric agrees at every step (and there was something to compare)."""
        return bool(self.metrics) and all(m.status == "same" for m in self.metrics)

    @property
    def first_divergence(self) -> tuple[str, Divergence] | None:
        """The earliest step where any metric diverges, and that metric (first by key)."""
        found = [(m.first.step, m.key, m.first) for m in self.metrics if m.first is not None]
        if not found:
            return None
        _, key, divergence = min(found, key=lambda t: (t[0], t[1]))
        return key, divergence

    @property
    def verdict(self) -> str:
        """One line in words."""
        if not self.metrics:
            return "nothing to compare: neither run logged a metric that was asked for"
        if self.reproduced:
            tol = "identical" if self.rtol == 0 and self.atol == 0 else "within tolerance"
            total = sum(m.matched for m in self.metrics)
            return f"reproduced: {len(self.metrics)} metrics, {total} points {tol}"
        bad = [m for m in self.metrics if m.status != "same"]
        first = self.first_divergence
        where = ""
        if first is not None:
            key, d = first
            where = f"; first divergence at step {d.step} ({key}: {_show(d.a)} vs {_show(d.b)})"
        return f"diverged: {len(bad)} of {len(self.metrics)} metrics differ{where}"

    def to_json(self) -> dict[str, Any]:
        first = self.first_divergence
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "rtol": self.rtol,
            "atol": self.atol,
            "reproduced": self.reproduced,
            "verdict": self.verdict,
            "first_divergence": None
            if first is None
            else {"key": first[0], **_json_divergence(first[1])},
            "metrics": [
                {
                    "key": m.key,
                    "status": m.status,
                    "points_a": m.points_a,
                    "points_b": m.points_b,
                    "matched": m.matched,
                    "max_abs_diff": _json_float(m.max_abs_diff),
                    "first_divergence": None if m.first is None else _json_divergence(m.first),
                }
                for m in self.metrics
            ],
            "differences": [
                {
                    "section": d.section,
                    "key": d.key,
                    "a": d.a if d.in_a else None,
                    "b": d.b if d.in_b else None,
                    "in_a": d.in_a,
                    "in_b": d.in_b,
                }
                for d in self.differences
            ],
        }


def _json_float(x: float | None) -> float | str | None:
    if x is None or math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _json_divergence(d: Divergence) -> dict[str, Any]:
    return {
        "step": d.step,
        "occurrence": d.occurrence,
        "a": _json_float(d.a),
        "b": _json_float(d.b),
    }


def _show(x: float | None) -> str:
    return "(none)" if x is None else repr(x)


def check_tolerance(rtol: float, atol: float) -> None:
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInput(f"{name} must be a finite number >= 0, got {value}")


def agree(a: float, b: float, rtol: float, atol: float) -> bool:
    """See the module doc: NaN agrees with NaN, an infinity with the same infinity."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _points(s: SeriesData) -> dict[tuple[int, int], float]:
    seen: dict[int, int] = {}
    out: dict[tuple[int, int], float] = {}
    for step, value in zip(s.steps, s.values, strict=True):
        n = seen.get(int(step), 0)
        seen[int(step)] = n + 1
        out[(int(step), n)] = float(value)
    return out


def compare_series(
    key: str, a: SeriesData | None, b: SeriesData | None, rtol: float, atol: float
) -> MetricCheck:
    if a is None or b is None:
        present = a if a is not None else b
        assert present is not None
        status: MetricStatus = "only_a" if b is None else "only_b"
        pts = _points(present)
        divergence = None
        if pts:
            step, occurrence = min(pts)
            value = pts[(step, occurrence)]
            va, vb = (value, None) if b is None else (None, value)
            divergence = Divergence(step, occurrence, va, vb)
        n = len(pts)
        return MetricCheck(
            key, status, n if b is None else 0, n if a is None else 0, 0, 0.0, divergence
        )
    pa, pb = _points(a), _points(b)
    matched = 0
    worst = 0.0
    first: Divergence | None = None
    for point in sorted(pa.keys() | pb.keys()):
        va, vb = pa.get(point), pb.get(point)
        if va is not None and vb is not None:
            if not (math.isnan(va) and math.isnan(vb)):
                diff = abs(va - vb) if va != vb else 0.0
                worst = max(worst, diff) if not math.isnan(diff) else math.nan
            if agree(va, vb, rtol, atol):
                matched += 1
                continue
        if first is None:
            first = Divergence(point[0], point[1], va, vb)
    status = "same" if first is None else "different"
    return MetricCheck(key, status, len(pa), len(pb), matched, worst, first)


def _selected(keys: Iterable[str], patterns: Sequence[str] | None) -> list[str]:
    if not patterns:
        return sorted(k for k in keys if not k.startswith(SYSTEM_PREFIX))
    return sorted(k for k in keys if any(fnmatch.fnmatchcase(k, p) for p in patterns))


def _packages(system: Mapping[str, Any]) -> dict[str, Any]:
    listed = system.get("packages")
    if not isinstance(listed, list):
        return {}
    return {str(p.get("name")): p.get("version") for p in listed if isinstance(p, dict)}


def _section(system: Mapping[str, Any], part: str) -> dict[str, Any]:
    data = system.get(part)
    return flatten(data, f"{part}.") if isinstance(data, dict) else {}


def record_sections(data: RunData) -> dict[str, dict[str, Any]]:
    """The parts of a run that a reproduction should match, flattened per section."""
    system = data.system
    environment = {**_section(system, "program"), **_section(system, "environment")}
    return {
        "config": flatten(dict(data.config)),
        "git": _section(system, "git"),
        "packages": _packages(system),
        "datasets": _section(system, "datasets"),
        "environment": environment,
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and bool(a == b)


def differences(a: RunData, b: RunData) -> list[Difference]:
    out: list[Difference] = []
    sections_b = record_sections(b)
    for section, values_a in record_sections(a).items():
        values_b = sections_b[section]
        for key in sorted(values_a.keys() | values_b.keys(), key=str):
            if key in _NOISE:
                continue
            in_a, in_b = key in values_a, key in values_b
            va, vb = values_a.get(key), values_b.get(key)
            if in_a and in_b and _same(va, vb):
                continue
            out.append(Difference(section, key, va, vb, in_a, in_b))
    return out


def compare(
    a: RunData,
    b: RunData,
    *,
    rtol: float = 0.0,
    atol: float = 0.0,
    keys: Sequence[str] | None = None,
) -> Verification:
    """Compare ``b`` against ``a`` (see the module doc). ``keys``: metric keys or globs
    (``val/*``) to compare; default every metric but ``system/*``. Raises InvalidInput
    for a negative or non-finite tolerance, or ``keys`` that match no metric of either run."""
    check_tolerance(rtol, atol)
    names = _selected(a.series.keys() | b.series.keys(), keys)
    if keys and not names:
        known = ", ".join(sorted(a.series.keys() | b.series.keys())) or "none"
        raise InvalidInput(
            f"--keys {', '.join(keys)} matches no metric of either run (they log: {known})"
        )
    checks = [compare_series(k, a.series.get(k), b.series.get(k), rtol, atol) for k in names]
    return Verification(a.id, b.id, rtol, atol, checks, differences(a, b))


def load(run: ApiRun, keys: Sequence[str] | None = None) -> RunData:
    """What :func:`compare` needs of ``run``, read through the API."""
    wanted = None
    if keys:
        wanted = [k for k in run.metrics if any(fnmatch.fnmatchcase(k, p) for p in keys)]
    raw = run.series(wanted)
    series = {
        key: SeriesData(np.asarray(s.steps).tolist(), np.asarray(s.values).tolist())
        for key, s in raw.items()
    }
    return RunData(run.id, run.name, run.config, run.system, series)
