"""capture_all: the run's system record and run files, in a real git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import heron
from heron.sdk import capture
from heron.sdk.capture import (
    DIFF_FILE,
    REQUIREMENTS_FILE,
    UNTRACKED_FILE,
    capture_all,
)

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    root = tmp_path / "project"
    root.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (root / "train.py").write_text("lr = 0.1\n")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    git("remote", "add", "origin", "https://me:ghp_topsecret@github.com/me/project.git")
    (root / "train.py").write_text("lr = 0.01\n")
    (root / "scratch.py").write_text("pass\n")
    return root


@needs_git
def test_everything_in_a_dirty_repository(repo: Path) -> None:
    result = capture_all(cwd=repo)
    system = result.system
    assert set(system) == {"heron", "program", "git", "packages", "environment"}
    assert system["heron"] == {"version": heron.__version__}
    assert system["git"]["dirty"] is True
    assert system["git"]["remote_url"] == "https://github.com/me/project.git"
    assert system["git"]["untracked_count"] == 1
    assert {"name": "numpy", "version": np.__version__} in system["packages"]
    assert system["environment"]["memory"]["total_gb"] > 0
    assert system["program"]["python"]["version"]

    assert set(result.files) == {DIFF_FILE, UNTRACKED_FILE, REQUIREMENTS_FILE}
    assert "+lr = 0.01" in result.files[DIFF_FILE]
    assert result.files[UNTRACKED_FILE] == "scratch.py\n"
    assert "numpy==" in result.files[REQUIREMENTS_FILE]

    assert set(result.seconds) == {"program", "git", "packages", "environment", "total"}


@needs_git
def test_record_is_json_and_holds_no_secret(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "12")
    monkeypatch.setenv("SLURM_API_TOKEN", "slurm-topsecret")
    monkeypatch.setattr("sys.argv", ["train.py", "--wandb-key=argv-topsecret"])
    result = capture_all(cwd=repo)
    text = json.dumps(result.system) + "".join(result.files.values())
    assert "topsecret" not in text
    assert result.system["environment"]["env"]["SLURM_JOB_ID"] == "12"


@needs_git
def test_clean_repository_stores_no_code_files(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.1\n")
    (repo / "scratch.py").unlink()
    result = capture_all(cwd=repo, packages=False)
    assert result.system["git"]["dirty"] is False
    assert result.files == {}


def test_outside_a_repository_git_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = capture_all(cwd=tmp_path, packages=False, env=False)
    assert result.system["git"] is None
    assert result.files == {}


def test_each_part_can_be_turned_off(tmp_path: Path) -> None:
    result = capture_all(cwd=tmp_path, git=False, packages=False, env=False)
    assert set(result.system) == {"heron", "program"}
    assert result.files == {}
    only_packages = capture_all(cwd=tmp_path, git=False, env=False)
    assert set(only_packages.system) == {"heron", "program", "packages"}
    assert set(only_packages.files) == {REQUIREMENTS_FILE}


def test_a_failing_part_is_recorded_never_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> Any:
        raise RuntimeError("metadata is broken")

    monkeypatch.setattr(capture, "cached_packages", lambda cache_dir: boom())
    result = capture_all(cwd=tmp_path, git=False)
    assert result.system["packages"] == {"error": "RuntimeError: metadata is broken"}
    assert REQUIREMENTS_FILE not in result.files
    assert result.system["environment"]["memory"]["total_gb"] > 0


@needs_git
def test_git_out_of_time_is_an_error_entry(repo: Path) -> None:
    result = capture_all(cwd=repo, git_timeout=0, packages=False, env=False)
    assert result.system["git"] == {"error": "GitFailed: git rev-parse: out of time"}
    assert result.files == {}


def test_public_names() -> None:
    assert sorted(capture.__all__) == sorted(
        [
            "DIFF_FILE",
            "REQUIREMENTS_FILE",
            "UNTRACKED_FILE",
            "CaptureResult",
            "DatasetRecord",
            "GitState",
            "SystemSampler",
            "capture_all",
            "capture_git",
            "hash_dataset",
            "seed_everything",
        ]
    )
    for name in capture.__all__:
        assert hasattr(capture, name)


def test_deleted_working_folder_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = capture_all(packages=False)
    assert "FileNotFoundError" in result.system["git"]["error"]
    assert "FileNotFoundError" in result.system["program"]["process"]["error"]
    assert result.system["program"]["python"]["version"]
    assert result.system["environment"]["memory"]["total_gb"] > 0
