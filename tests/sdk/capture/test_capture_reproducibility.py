"""Reproducibility at init: the score, what is missing, the warnings (once each), and
the record kept current as the script seeds, saves files and hashes data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import heron
from heron.sdk.capture.reproducibility import WEIGHTS, assess

GIT = {"commit": "ab" * 20, "dirty": False, "root": "/r"}
PACKAGES = [{"name": "numpy", "version": "1.26.4"}]


def _checks(found: Any) -> list[str]:
    return [m.check for m in found.missing]


def test_a_complete_record_scores_100() -> None:
    found = assess({"git": GIT, "packages": PACKAGES, "seed": {"seed": 1}}, {"lr": 0.1})
    assert (found.score, found.missing) == (100, ())


def test_each_missing_part_costs_its_weight(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("1\n")
    packages = [*PACKAGES, {"name": "mylib", "version": "0.1", "source": "editable"}]
    packages.append({"name": "heron", "version": "0.1", "source": "editable"})  # not counted
    found = assess(
        {"git": {**GIT, "dirty": True, "diff_truncated": True}, "packages": packages},
        {"data": {"train": str(data)}, "opt": "adam"},
        untracked=["helper.py", "notes.md", "conf/a.yaml"],
        saved=["code/untracked/conf/a.yaml"],
    )
    assert _checks(found) == ["diff", "untracked", "local_packages", "seed", "data"]
    assert found.score == 100 - sum(WEIGHTS[c] for c in _checks(found)) == 45
    messages = [m.message for m in found.missing]
    assert "1 untracked source file(s) not captured (helper.py)" in messages[1]
    assert "mylib (editable)" in messages[2] and "heron" not in messages[2]
    assert "config.data.train" in messages[4]
    hashed = assess(
        {"git": GIT, "packages": PACKAGES},
        {"data": str(data), "seed": 3},
        dataset_paths=[str(tmp_path)],
    )
    assert hashed.score == 100  # the folder holding it was hashed; a seed in config


def test_no_repository_and_no_packages() -> None:
    found = assess({"git": None}, {}, seeded=True)
    assert _checks(found) == ["code", "packages"] and found.score == 55


SCRIPT = """\
import sys
sys.modules["torch"] = None
import heron
with heron.init(project="p", system_metrics=False, config={"data": "data.txt"}) as run:
    pass
with heron.init(project="p", system_metrics=False, config={"data": "data.txt"}) as run:
    heron.seed_everything(1)
    run.use_dataset("data.txt")
    run.save_file("helper.py", name="code/untracked/helper.py")
"""


def test_init_warns_once_per_item_and_records_the_score(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("heron-runs/\n__pycache__/\n")
    (repo / "data.txt").write_text("1\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=e", "commit", "-qm", "1"],
        check=True,
    )
    (repo / "helper.py").write_text("X = 1\n")  # untracked; saved by the second run
    (repo / "run.py").write_text(SCRIPT)  # untracked: the script itself
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERON_")}
    done = subprocess.run(
        [sys.executable, "run.py"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={**env, "HERON_DIR": str(repo / "heron-runs")},
    )
    lines = [x for x in done.stderr.splitlines() if "may not be reproducible" in x]
    # run 1: untracked at init, seed and data at its end; run 2: untracked at init only
    assert len(lines) == 4, done.stderr
    # once per run; run 2's capture (a thread) may end after it saved helper.py
    assert sum("untracked source file(s)" in x for x in lines) == 2
    assert "2 untracked source file(s)" in lines[0]
    with heron.Api(repo / "heron-runs") as api:
        first, second = sorted(api.runs(), key=lambda r: r.created_at)
        assert first.system["reproducibility"]["score"] == 100 - 15 - 10 - 10
        assert [m["check"] for m in second.system["reproducibility"]["missing"]] == ["untracked"]
        assert "run.py" in second.system["reproducibility"]["missing"][0]["message"]
        found = api.runs(filter="system.reproducibility.score >= 80")
        assert [r.id for r in found] == [second.id]
