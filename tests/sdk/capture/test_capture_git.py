"""capture_git against real repositories made with the real git command."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from heron.sdk.capture import git as gitmod
from heron.sdk.capture.git import GitFailed, capture_git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or system git config, and no repository above tmp_path."""
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("*.log\n")
    (root / "train.py").write_text("print('hello')\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_clean_repository(repo: Path) -> None:
    state = capture_git(repo)
    assert state is not None
    assert state.root == str(repo.resolve())
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert state.branch == "main"
    assert state.dirty is False
    assert state.diff == ""
    assert state.untracked == []
    assert state.remote is None and state.remote_url is None
    assert state.errors == {}


def test_from_a_subfolder(repo: Path) -> None:
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    state = capture_git(sub)
    assert state is not None
    assert state.root == str(repo.resolve())


def test_modified_file_makes_it_dirty_and_is_in_the_diff(repo: Path) -> None:
    (repo / "train.py").write_text("print('hello')\nprint('changed')\n")
    state = capture_git(repo)
    assert state is not None
    assert state.dirty is True
    assert "+print('changed')" in state.diff
    assert state.diff.startswith("diff --git a/train.py b/train.py")


def test_staged_change_is_in_the_diff(repo: Path) -> None:
    (repo / "new.py").write_text("x = 1\n")
    git(repo, "add", "new.py")
    state = capture_git(repo)
    assert state is not None
    assert state.dirty is True
    assert "+x = 1" in state.diff
    assert state.untracked == []


def test_untracked_files_listed_ignored_ones_not(repo: Path) -> None:
    (repo / "notes.txt").write_text("n")
    (repo / "data").mkdir()
    (repo / "data" / "b.csv").write_text("1")
    (repo / "run.log").write_text("ignored by .gitignore")
    state = capture_git(repo)
    assert state is not None
    assert state.untracked == ["data/b.csv", "notes.txt"]
    assert state.dirty is False  # untracked files alone do not make the tree dirty
    assert state.untracked_truncated is False


def test_untracked_list_is_capped(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitmod, "UNTRACKED_LIMIT", 3)
    for i in range(5):
        (repo / f"u{i}.txt").write_text("u")
    state = capture_git(repo)
    assert state is not None
    assert state.untracked == ["u0.txt", "u1.txt", "u2.txt"]
    assert state.untracked_truncated is True
    assert state.to_dict()["untracked_truncated"] is True


def test_rename_is_dirty_and_not_untracked(repo: Path) -> None:
    git(repo, "mv", "train.py", "main.py")
    state = capture_git(repo)
    assert state is not None
    assert state.dirty is True
    assert state.untracked == []
    assert "rename from train.py" in state.diff


def test_binary_change_has_a_notice(repo: Path) -> None:
    (repo / "weights.bin").write_bytes(bytes(range(256)))
    git(repo, "add", "weights.bin")
    git(repo, "commit", "-q", "-m", "bin")
    (repo / "weights.bin").write_bytes(bytes(range(255, -1, -1)))
    state = capture_git(repo)
    assert state is not None
    assert "Binary files a/weights.bin and b/weights.bin differ" in state.diff


def test_large_diff_is_truncated_with_a_note(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitmod, "DIFF_LIMIT_BYTES", 200)
    (repo / "train.py").write_text("".join(f"line {i}\n" for i in range(1000)))
    state = capture_git(repo)
    assert state is not None
    assert state.diff_truncated is True
    body, _, note = state.diff.partition("\n# heron: diff truncated at 200 bytes")
    assert len(body.encode()) == 200
    assert note == "\n"
    assert state.to_dict()["diff_truncated"] is True


def test_remote_credentials_are_stripped(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://alice:ghp_s3cr3t@github.com/org/proj.git")
    state = capture_git(repo)
    assert state is not None
    assert state.remote == "origin"
    assert state.remote_url == "https://github.com/org/proj.git"
    assert "ghp_s3cr3t" not in json.dumps(state.to_dict())


def test_scp_like_remote_is_untouched(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "git@github.com:org/proj.git")
    state = capture_git(repo)
    assert state is not None
    assert state.remote_url == "git@github.com:org/proj.git"


def test_remote_of_the_tracked_branch_wins(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://github.com/me/fork.git")
    git(repo, "remote", "add", "upstream", "https://github.com/org/proj.git")
    git(repo, "config", "branch.main.remote", "upstream")
    state = capture_git(repo)
    assert state is not None
    assert (state.remote, state.remote_url) == ("upstream", "https://github.com/org/proj.git")


def test_detached_head_has_no_branch(repo: Path) -> None:
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach", commit)
    state = capture_git(repo)
    assert state is not None
    assert state.branch is None
    assert state.commit == commit


def test_repository_without_commits(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.py").write_text("a = 1\n")
    git(root, "add", "a.py")
    (root / "b.py").write_text("b = 2\n")
    state = capture_git(root)
    assert state is not None
    assert state.commit is None
    assert state.branch == "main"
    assert state.dirty is True
    assert "+a = 1" in state.diff  # against the empty tree
    assert state.untracked == ["b.py"]
    assert state.errors == {}


def test_not_a_repository(tmp_path: Path) -> None:
    assert capture_git(tmp_path) is None


def test_git_not_installed(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert capture_git(repo) is None


def test_out_of_time_before_anything_raises_gitfailed(repo: Path) -> None:
    with pytest.raises(GitFailed, match="out of time"):
        capture_git(repo, timeout=0)


@pytest.mark.timeout(60)  # a hang guard: a leaked child would hold the pipe for 120 s
def test_slow_diff_is_killed_and_the_rest_kept(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A git whose ``diff`` hangs: the diff part records a timeout, the rest is there."""
    real = shutil.which("git")
    assert real is not None
    bindir = tmp_path / "slowbin"
    bindir.mkdir()
    wrapper = bindir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        # not exec: the sleep is git's child, still holding the pipe when git is killed
        'for a in "$@"; do [ "$a" = diff ] && { sleep 120; exit 0; }; done\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    (repo / "train.py").write_text("changed\n")
    state = capture_git(repo, timeout=1.0)
    assert state is not None
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert state.dirty is True
    assert state.diff == ""
    assert "timed out" in state.errors["diff"]
    assert state.to_dict()["errors"] == {"diff": state.errors["diff"]}


def test_to_dict_is_json_and_leaves_out_the_texts(repo: Path) -> None:
    (repo / "train.py").write_text("print('secret sauce')\n")
    (repo / "untracked_name.txt").write_text("u")
    state = capture_git(repo)
    assert state is not None
    data = state.to_dict()
    text = json.dumps(data)
    assert "secret sauce" not in text
    assert "untracked_name" not in text
    assert data["diff_bytes"] == len(state.diff.encode())
    assert data["untracked_count"] == 1
    assert set(data) == {
        "root",
        "commit",
        "branch",
        "remote",
        "remote_url",
        "dirty",
        "diff_bytes",
        "diff_truncated",
        "untracked_count",
        "untracked_truncated",
    }
