"""A run end to end on the real embedded store: what heron.init records and how it ends."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import heron
from heron.errors import HeronError, InvalidInput, InvalidKey, InvalidValue
from heron.local_dir import LocalDir
from heron.store import open_store
from heron.store.base import RunInfo

from .conftest import run_python, script, start_run


def stored(store_dir: Path, run_id: str) -> RunInfo:
    store = open_store(LocalDir.at(store_dir).db_url)
    try:
        return store.get_run(run_id)
    finally:
        store.close()


def history(store_dir: Path, run_id: str, key: str) -> tuple[list[int], list[float]]:
    store = open_store(LocalDir.at(store_dir).db_url)
    try:
        series = store.history(run_id, [key])[key]
        return series.steps.tolist(), series.values.tolist()
    finally:
        store.close()


def test_a_run_records_metrics_config_tags_and_finishes(store_dir: Path) -> None:
    cfg = {"lr": 0.01, "model": {"depth": 18, "act": "relu"}, "seed": 7, "aug": True}
    with start_run(
        store_dir,
        name="resnet18",
        config=cfg,
        tags=["baseline"],
        group="lr-search",
        notes="first try",
    ) as run:
        for step in range(100):
            run.log({"train/loss": 1.0 / (step + 1), "lr": 0.01}, step=step)
        run.summary["best_val_acc"] = 0.93
        assert heron.run is run
    info = stored(store_dir, run.id)
    assert info.state == "finished" and info.ended_at is not None
    assert info.name == "resnet18" and info.group == "lr-search"
    assert info.tags == ("baseline",) and info.notes == "first try"
    assert info.config == cfg
    assert info.summary["train/loss"] == pytest.approx(0.01)
    assert info.summary["best_val_acc"] == 0.93
    assert info.metrics["train/loss"].min == pytest.approx(0.01)
    assert info.metrics["train/loss"].max == 1.0
    steps, values = history(store_dir, run.id, "train/loss")
    assert steps == list(range(100)) and values[0] == 1.0
    assert heron.run is None


def test_steps_auto_increment_repeat_and_go_back_and_nothing_is_dropped(store_dir: Path) -> None:
    with start_run(store_dir) as run:
        run.log({"x": 1})
        run.log({"x": 2})
        run.log({"x": 3}, step=10)
        run.log({"x": 4})
        run.log({"x": 5}, step=2)
        run.log({"x": 6}, step=2)
    steps, values = history(store_dir, run.id, "x")
    assert steps == [0, 1, 10, 11, 2, 2]
    assert values == [1, 2, 3, 4, 5, 6]


def test_nan_inf_numpy_and_bool_values_are_kept(store_dir: Path) -> None:
    with start_run(store_dir) as run:
        run.log(
            {
                "a": math.nan,
                "b": math.inf,
                "c": -math.inf,
                "d": np.float32(0.5),
                "e": np.int64(3),
                "f": True,
                "g": np.array(2.5),
            }
        )
    info = stored(store_dir, run.id)
    assert math.isnan(info.summary["a"])
    assert info.summary["b"] == math.inf and info.summary["c"] == -math.inf
    assert (info.summary["d"], info.summary["e"], info.summary["f"], info.summary["g"]) == (
        0.5,
        3.0,
        1.0,
        2.5,
    )


def test_torch_scalars_are_accepted(store_dir: Path) -> None:
    torch = pytest.importorskip("torch")
    with start_run(store_dir) as run:
        run.log({"loss": torch.tensor(0.25)})
        with pytest.raises(InvalidValue, match=r"'vec'.*shape \(3,\)"):
            run.log({"vec": torch.ones(3)})
    assert stored(store_dir, run.id).summary == {"loss": 0.25}


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ({"acc": "0.9"}, InvalidValue, r"'acc' is a str"),
        ({"acc": [1, 2]}, InvalidValue, r"'acc' is a list"),
        ({"acc": None}, InvalidValue, r"'acc' is a NoneType"),
        ({"acc": 1 + 2j}, InvalidValue, r"'acc' is a complex"),
        ({"acc": np.zeros(3)}, InvalidValue, r"'acc' is an array of shape \(3,\)"),
        ({"": 1.0}, InvalidKey, r"empty"),
        ({"a//b": 1.0}, InvalidKey, r"cannot lead, trail or repeat"),
        ({"x" * 300: 1.0}, InvalidKey, r"300 characters long"),
        ({"bad\nkey": 1.0}, InvalidKey, r"contains"),
        ({3: 1.0}, InvalidKey, r"strings"),
    ],
)
def test_bad_keys_and_values_raise_clearly_and_the_rest_is_logged(
    store_dir: Path, bad: dict[object, object], error: type[Exception], message: str
) -> None:
    with start_run(store_dir) as run:
        with pytest.raises(error, match=message):
            run.log({"good": 1.0, **bad, "also_good": 2.0}, step=0)  # type: ignore[dict-item]
        run.log({"good": 3.0}, step=1)
    _steps, values = history(store_dir, run.id, "good")
    assert values == [1.0, 3.0]
    assert history(store_dir, run.id, "also_good")[1] == [2.0]


def test_bad_calls_say_what_to_do(store_dir: Path) -> None:
    run = start_run(store_dir)
    with pytest.raises(InvalidValue, match="mapping"):
        run.log(0.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="step must be an int"):
        run.log({"x": 1.0}, step=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="config 'obj' is a object"):
        run.config["obj"] = object()
    with pytest.raises(InvalidInput, match="project"):
        heron.init(project="../etc", dir=store_dir)
    run.finish()
    with pytest.raises(HeronError, match="finished"):
        run.log({"x": 1.0})


def test_config_is_typed_nested_and_updatable(store_dir: Path) -> None:
    with start_run(store_dir, config={"opt.lr": 0.1, "opt.name": "sgd", "layers": [1, 2]}) as run:
        assert run.config["opt"]["lr"] == 0.1
        assert run.config["opt.name"] == "sgd" and run.config.opt.name == "sgd"
        with pytest.raises(TypeError):
            run.config["opt"]["lr"] = 0.2  # type: ignore[index]
        run.config["opt.lr"] = 0.05
        run.config.update({"epochs": 10})
    info = stored(store_dir, run.id)
    assert info.config == {"opt": {"lr": 0.05, "name": "sgd"}, "layers": [1, 2], "epochs": 10}


def test_define_metric_sets_the_summary_goal_and_x_axis(store_dir: Path) -> None:
    with start_run(store_dir) as run:
        run.define_metric("val/*", goal="max", x_axis="epoch")
        for epoch, acc in enumerate([0.5, 0.9, 0.7]):
            run.log({"val/acc": acc, "epoch": epoch})
    info = stored(store_dir, run.id)
    assert info.summary["val/acc"] == 0.9
    assert info.metrics["val/acc"].x_axis == "epoch"
    assert info.summary["epoch"] == 2


def test_summary_reads_back_through_the_store(store_dir: Path) -> None:
    with start_run(store_dir) as run:
        run.log({"loss": 2.0})
        run.log({"loss": 1.0})
        assert run.summary["loss"] == 1.0
        run.summary["loss"] = 0.5
        assert run.summary.to_dict()["loss"] == 0.5


def test_an_exception_marks_the_run_failed_with_its_traceback(store_dir: Path) -> None:
    with pytest.raises(ZeroDivisionError), start_run(store_dir) as run:
        run.log({"x": 1})
        _ = 1 / 0
    info = stored(store_dir, run.id)
    assert info.state == "failed"
    assert info.error == "ZeroDivisionError: division by zero"
    assert "1 / 0" in (info.traceback or "")


def test_keyboard_interrupt_marks_the_run_killed(store_dir: Path) -> None:
    with pytest.raises(KeyboardInterrupt), start_run(store_dir) as run:
        raise KeyboardInterrupt
    assert stored(store_dir, run.id).state == "killed"


def test_module_level_log_and_finish_use_the_current_run(store_dir: Path) -> None:
    run = start_run(store_dir)
    heron.log({"x": 1.0})
    assert heron.flush(timeout=30)
    heron.finish()
    assert stored(store_dir, run.id).state == "finished"
    with pytest.raises(HeronError, match=r"heron.init\(\)"):
        heron.log({"x": 1.0})


def test_default_names_are_descriptive_and_unique(store_dir: Path) -> None:
    names = set()
    for _ in range(5):
        with start_run(store_dir) as run:
            names.add(run.name)
    assert len(names) == 5
    assert all(name.count("-") == 2 for name in names)


def test_resume_continues_the_step_counter(store_dir: Path) -> None:
    with start_run(store_dir) as run:
        for _ in range(5):
            run.log({"x": 1.0})
    with start_run(store_dir, resume=run.id, config={"phase": 2}, reopen=True) as again:
        assert again.id == run.id and again.resumed
        again.log({"x": 2.0})
    steps, _ = history(store_dir, run.id, "x")
    assert steps == [0, 1, 2, 3, 4, 5]
    info = stored(store_dir, run.id)
    assert info.state == "finished" and info.config == {"phase": 2}


def test_resume_auto_picks_the_run_this_script_left_unfinished(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    body = f"""
        import sys, heron
        run = heron.init(project="p", dir={str(store_dir)!r}, resume="auto",
                         system_metrics=False, capture=False)
        run.log({{"x": 1.0}})
        print(run.id, run.step)
        if sys.argv[1] == "crash":
            raise SystemExit(run.finish("failed"))
    """
    train = script(tmp_path, body)
    first = run_python(train, "crash", check=True).stdout.split()
    second = run_python(train, "ok", check=True).stdout.split()
    assert second[0] == first[0] and second[1] == "2"
    third = run_python(train, "ok", check=True).stdout.split()
    assert third[0] != first[0] and third[1] == "1"  # the last one finished: a new run


def test_an_uncaught_exception_in_a_script_marks_it_failed(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    train = script(
        tmp_path,
        f"""
        import heron
        run = heron.init(project="p", dir={str(store_dir)!r}, system_metrics=False,
                         capture=False)
        print(run.id, flush=True)
        run.log({{"x": 1.0}})
        raise RuntimeError("diverged")
    """,
    )
    result = run_python(train)
    assert result.returncode == 1 and "diverged" in result.stderr
    info = stored(store_dir, result.stdout.split()[0])
    assert info.state == "failed" and info.error == "RuntimeError: diverged"


def test_a_script_that_forgets_to_finish_is_finished_at_exit(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    train = script(
        tmp_path,
        f"""
        import heron
        run = heron.init(project="p", dir={str(store_dir)!r}, system_metrics=False,
                         capture=False)
        print(run.id, flush=True)
        for i in range(1000):
            run.log({{"x": float(i)}})
    """,
    )
    result = run_python(train, check=True)
    run_id = result.stdout.split()[0]
    assert stored(store_dir, run_id).state == "finished"
    assert len(history(store_dir, run_id, "x")[0]) == 1000


def test_sigterm_marks_the_run_killed(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    train = script(
        tmp_path,
        f"""
        import time, heron
        run = heron.init(project="p", dir={str(store_dir)!r}, system_metrics=False,
                         capture=False)
        print(run.id, flush=True)
        while True:
            run.log({{"x": 1.0}})
            time.sleep(0.001)
    """,
    )
    proc = subprocess.Popen([sys.executable, str(train)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    run_id = proc.stdout.readline().split()[0]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == -signal.SIGTERM
    proc.stdout.close()
    info = stored(store_dir, run_id)
    assert info.state == "killed" and info.error == "SIGTERM"


def test_a_forked_child_cannot_log_into_the_parents_run(tmp_path: Path) -> None:
    """Not even with the calls the parent makes on its fast path (the compiled one
    holds the spool's cursor at the fork): the child's copy of the map is shared."""
    store_dir = tmp_path / "store"
    train = script(
        tmp_path,
        f"""
        import os, heron
        run = heron.init(project="p", dir={str(store_dir)!r}, system_metrics=False,
                         capture=False)
        run.log({{"x": 0.0}})  # a shape, and its fast path taken
        run.log({{"x": 0.0}})
        pid = os.fork()
        if pid == 0:
            try:
                run.log({{"x": 1.0}})
                os._exit(3)
            except heron.HeronError as exc:
                os._exit(0 if "forked" in str(exc) else 4)
        _, status = os.waitpid(pid, 0)
        run.log({{"x": 2.0}})
        run.finish()
        print(os.waitstatus_to_exitcode(status), run.id)
    """,
    )
    status, run_id = run_python(train, check=True).stdout.split()
    assert status == "0"
    assert history(store_dir, run_id, "x") == ([0, 1, 2], [0.0, 0.0, 2.0])


def test_system_metrics_are_sampled_on_their_own_axis(store_dir: Path) -> None:
    with start_run(store_dir, system_metrics=0.05) as run:
        run.log({"x": 1.0})
        deadline = time.monotonic() + 60  # polls a condition: no wall time is asserted
        while "system/cpu.percent" not in run.summary.to_dict() or (
            stored(store_dir, run.id).metrics["system/cpu.percent"].count < 2
        ):
            assert time.monotonic() < deadline, "the sampler recorded fewer than 2 samples"
            time.sleep(0.05)
    info = stored(store_dir, run.id)
    system_keys = [k for k in info.metrics if k.startswith("system/")]
    assert "system/cpu.percent" in system_keys
    assert info.metrics["system/cpu.percent"].x_axis == "_time"
    assert info.metrics["system/cpu.percent"].count >= 2


def test_init_records_git_state_diff_packages_and_environment(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "model.py").write_text("depth = 18\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    subprocess.run(
        [*git, "remote", "add", "origin", "https://user:s3cret@example.com/x.git"], check=True
    )
    (repo / "model.py").write_text("depth = 34\n")  # uncommitted change
    (repo / "notes.txt").write_text("untracked")
    store_dir = tmp_path / "store"
    train = script(
        repo,
        f"""
        import heron
        with heron.init(project="p", dir={str(store_dir)!r}, system_metrics=False) as run:
            print(run.id)
    """,
    )
    run_id = run_python(train, check=True).stdout.split()[0]
    with heron.Api(store_dir) as reader:
        run = reader.run(run_id)
        git_state = run.system["git"]
        files = {f.path for f in run.files()}
        run.download("code/diff.patch", tmp_path / "dl")
        diff = next((tmp_path / "dl").rglob("diff.patch"))
    assert git_state["dirty"] is True and len(git_state["commit"]) == 40
    assert "s3cret" not in str(git_state)
    assert {"code/diff.patch", "code/untracked.txt", "requirements.txt"} <= files
    assert "+depth = 34" in diff.read_text()
    assert run.system["program"]["process"]["argv"][0].endswith("train.py")
    assert any(p["name"].lower() == "numpy" for p in run.system["packages"])
