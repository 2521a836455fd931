"""``heron.reproduce.verify`` and ``heron verify``: the comparison on hand-made data,
then on runs the real SDK wrote (a deterministic loop logged twice, and once changed)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import heron
from heron.cli.main import cli
from heron.errors import InvalidInput
from heron.reproduce.verify import RunData, SeriesData, agree, compare

NAN, INF = float("nan"), float("inf")


def data(
    series: Mapping[str, Sequence[float] | tuple[Sequence[int], Sequence[float]]],
    config: Mapping[str, Any] | None = None,
    system: Mapping[str, Any] | None = None,
    id: str = "a",
) -> RunData:
    out: dict[str, SeriesData] = {}
    for key, s in series.items():
        if isinstance(s, tuple):
            out[key] = SeriesData(list(s[0]), list(s[1]))
        else:
            out[key] = SeriesData(list(range(len(s))), list(s))
    return RunData(id, id, dict(config or {}), dict(system or {}), out)


def test_identical_runs_reproduce() -> None:
    a = data({"loss": [1.0, 0.5, NAN, INF], "acc": [0.1, 0.2]})
    result = compare(a, data({"loss": [1.0, 0.5, NAN, INF], "acc": [0.1, 0.2]}, id="b"))
    assert result.reproduced and result.first_divergence is None
    assert result.verdict == "reproduced: 2 metrics, 6 points identical"
    assert [m.status for m in result.metrics] == ["same", "same"]


def test_first_divergence_is_the_earliest_step_over_all_metrics() -> None:
    a = data({"loss": [1.0, 0.5, 0.25, 0.125], "acc": [0.1, 0.2, 0.3, 0.4]})
    b = data({"loss": [1.0, 0.5, 0.25, 0.2], "acc": [0.1, 0.2, 0.31, 0.4]}, id="b")
    result = compare(a, b)
    assert not result.reproduced
    key, first = result.first_divergence or ("", None)
    assert key == "acc" and first is not None and (first.step, first.a, first.b) == (2, 0.3, 0.31)
    loss = next(m for m in result.metrics if m.key == "loss")
    assert loss.status == "different" and loss.matched == 3
    assert loss.max_abs_diff == pytest.approx(0.075)
    assert result.verdict.startswith("diverged: 2 of 2 metrics differ; first divergence at step 2")


def test_tolerances() -> None:
    a, b = data({"x": [100.0, 1e-9]}), data({"x": [100.0001, 0.0]}, id="b")
    assert not compare(a, b).reproduced
    assert not compare(a, b, rtol=1e-5).reproduced  # 1e-9 vs 0 needs atol
    result = compare(a, b, rtol=1e-5, atol=1e-8)
    assert result.reproduced and "within tolerance" in result.verdict
    assert agree(NAN, NAN, 0, 0) and not agree(NAN, 1.0, 1, 1)
    assert agree(-INF, -INF, 0, 0) and not agree(INF, 1e308, 1, 1)
    for bad in ({"rtol": -1.0}, {"atol": NAN}, {"atol": INF}):
        with pytest.raises(InvalidInput, match="must be a finite number >= 0"):
            compare(a, b, **bad)


def test_missing_points_and_metrics_diverge() -> None:
    a = data({"loss": ([0, 1, 2], [3.0, 2.0, 1.0]), "only_a": [1.0]})
    b = data({"loss": ([0, 2], [3.0, 1.0]), "only_b": ([5], [2.0])}, id="b")
    result = compare(a, b)
    by_key = {m.key: m for m in result.metrics}
    assert by_key["loss"].first is not None and by_key["loss"].first.step == 1
    assert (by_key["loss"].first.a, by_key["loss"].first.b) == (2.0, None)
    assert by_key["only_a"].status == "only_a" and by_key["only_b"].status == "only_b"
    assert by_key["only_b"].first is not None and by_key["only_b"].first.step == 5
    assert result.first_divergence is not None and result.first_divergence[0] == "only_a"


def test_repeated_steps_compare_by_occurrence() -> None:
    a = data({"x": ([0, 0, 1], [1.0, 2.0, 3.0])})
    assert compare(a, data({"x": ([0, 0, 1], [1.0, 2.0, 3.0])}, id="b")).reproduced
    result = compare(a, data({"x": ([0, 0, 1], [1.0, 2.5, 3.0])}, id="b"))
    first = result.metrics[0].first
    assert first is not None and (first.step, first.occurrence) == (0, 1)


def test_keys_select_metrics_and_system_metrics_are_left_out() -> None:
    a = data(
        {"val/acc": [1.0], "val/loss": [1.0], "train/loss": [1.0], "system/cpu.percent": [5.0]}
    )
    b = data(
        {"val/acc": [1.0], "val/loss": [1.0], "train/loss": [2.0], "system/cpu.percent": [9.0]},
        id="b",
    )
    assert [m.key for m in compare(a, b).metrics] == ["train/loss", "val/acc", "val/loss"]
    assert compare(a, b, keys=["val/*"]).reproduced
    assert not compare(a, b, keys=["system/*"]).reproduced
    with pytest.raises(InvalidInput, match="matches no metric of either run"):
        compare(a, b, keys=["nope"])
    assert compare(data({}), data({}, id="b")).verdict.startswith("nothing to compare")


def test_config_and_environment_differences_are_listed() -> None:
    system_a = {
        "git": {"commit": "abc", "dirty": False, "diff_bytes": 0},
        "program": {"python": {"version": "3.12.1"}, "process": {"pid": 1}},
        "packages": [{"name": "torch", "version": "2.5.1"}],
        "datasets": {"train": {"digest": "sha256:1"}},
    }
    system_b = {
        "git": {"commit": "abc", "dirty": True, "diff_bytes": 10},
        "program": {"python": {"version": "3.12.1"}, "process": {"pid": 2}},
        "packages": [{"name": "torch", "version": "2.4.0"}, {"name": "numpy", "version": "2"}],
        "datasets": {"train": {"digest": "sha256:2"}},
    }
    a = data({"x": [1.0]}, {"lr": 0.1, "opt": {"name": "adam"}}, system_a)
    b = data({"x": [1.0]}, {"lr": 0.2, "opt": {"name": "adam"}, "seed": 1}, system_b, "b")
    found = {(d.section, d.key): (d.a, d.b, d.in_a, d.in_b) for d in compare(a, b).differences}
    assert found == {
        ("config", "lr"): (0.1, 0.2, True, True),
        ("config", "seed"): (None, 1, False, True),
        ("git", "git.dirty"): (False, True, True, True),
        ("packages", "torch"): ("2.5.1", "2.4.0", True, True),
        ("packages", "numpy"): (None, "2", False, True),
        ("datasets", "datasets.train.digest"): ("sha256:1", "sha256:2", True, True),
    }  # the pid and the diff size are noise; the verdict is about metrics only
    assert compare(a, b).reproduced


# --- real runs, through the CLI --------------------------------------------------------


def _train(root: Path, lr: float, bump_at: int | None = None) -> str:
    """A deterministic 'training' loop; ``bump_at`` changes one step's loss."""
    with heron.init(
        project="repro", dir=root, config={"lr": lr, "seed": 0}, system_metrics=False
    ) as run:
        w = 1.0
        for step in range(20):
            w -= lr * 2 * w
            loss = w * w + (1e-3 if step == bump_at else 0.0)
            run.log({"train/loss": loss, "val/acc": 1 - loss}, step=step)
        return run.id


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("verify") / "heron-runs"
    return {
        "root": root,
        "a": _train(root, 0.1),
        "b": _train(root, 0.1),
        "bumped": _train(root, 0.1, bump_at=7),
    }


def _verify(runs: dict[str, Any], *args: str) -> Any:
    return CliRunner().invoke(cli, ["--dir", str(runs["root"]), "verify", *args])


def test_a_rerun_verifies_exit_0(runs: dict[str, Any]) -> None:
    result = _verify(runs, runs["a"], runs["b"])
    assert result.exit_code == 0, result.output
    assert "reproduced: 2 metrics, 40 points identical" in result.stdout
    as_json = json.loads(_verify(runs, runs["a"], runs["b"], "--json").stdout)
    assert as_json["reproduced"] is True and as_json["first_divergence"] is None


def test_a_changed_run_fails_with_the_step_exit_1(runs: dict[str, Any]) -> None:
    result = _verify(runs, runs["a"], runs["bumped"])
    assert result.exit_code == 1, result.output
    assert "first divergence at step 7" in result.stdout
    out = json.loads(_verify(runs, runs["a"], runs["bumped"], "--json").stdout)
    assert out["first_divergence"]["step"] == 7 and out["first_divergence"]["key"] == "train/loss"
    assert out["metrics"][0]["max_abs_diff"] == pytest.approx(1e-3)
    # within tolerance it passes; --keys narrows
    assert _verify(runs, runs["a"], runs["bumped"], "--atol", "0.0011").exit_code == 0
    assert _verify(runs, runs["a"], runs["bumped"], "--keys", "val/acc").exit_code == 1


def test_bad_input_exits_2(runs: dict[str, Any]) -> None:
    unknown = _verify(runs, runs["a"], "nosuchrun")
    assert unknown.exit_code == 2 and "nosuchrun" in unknown.output
    assert _verify(runs, runs["a"], runs["b"], "--rtol", "-1").exit_code == 2
    assert _verify(runs, runs["a"], runs["b"], "--rtol", "abc").exit_code == 2
    no_key = _verify(runs, runs["a"], runs["b"], "--keys", "nope")
    assert no_key.exit_code == 2 and "matches no metric" in no_key.output
