"""``heron reproduce RUN --dir DIR``: a run started in a git repository with a dirty
tree and untracked files, its code rebuilt in a fresh folder by the real git."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import heron
from heron.artifacts.local import LocalArtifactStore
from heron.cli.main import cli
from heron.local_dir import LocalDir
from heron.reproduce.checkout import checkout, safe_relative
from heron.store import open_store
from tests.remote.inprocess import URL, remote_stores


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("reproduce")
    repo, root = base / "repo", base / "heron-runs"
    (repo / "src").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "src" / "train.py").write_text("LR = 0.1\n")
    (repo / "README").write_text("hello\n")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one")
    commit = _git(repo, "rev-parse", "HEAD")
    (repo / "src" / "train.py").write_text("LR = 0.2  # changed, not committed\n")
    (repo / "helper.py").write_text("HELP = 1\n")  # untracked, saved by the run
    (repo / "notes.txt").write_text("scratch\n")  # untracked, not saved
    previous = Path.cwd()
    os.chdir(repo / "src")
    try:
        with heron.init(project="p", dir=root, system_metrics=False, capture=True) as run:
            run.save_file(repo / "helper.py", name="code/untracked/helper.py")
            run_id = run.id
        with heron.init(project="p", dir=root, system_metrics=False, capture=False) as run:
            no_git = run.id
    finally:
        os.chdir(previous)
    # the repository moves on after the run
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-am", "two")
    return {"root": root, "repo": repo, "commit": commit, "run": run_id, "no_git": no_git}


def _reproduce(recorded: dict[str, Any], *args: str) -> Any:
    return CliRunner().invoke(
        cli, ["--dir", str(recorded["root"]), "reproduce", *args, "--python", sys.executable]
    )


def test_the_code_is_rebuilt_and_what_is_missing_is_named(
    recorded: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "rebuilt"
    result = _reproduce(recorded, recorded["run"], "--dir", str(out))
    assert result.exit_code == 1, result.output  # notes.txt was not saved
    assert (out / "src" / "train.py").read_text() == "LR = 0.2  # changed, not committed\n"
    assert (out / "README").read_text() == "hello\n"
    assert (out / "helper.py").read_text() == "HELP = 1\n"
    assert not (out / "notes.txt").exists()
    assert _git(out, "rev-parse", "HEAD") == recorded["commit"]
    assert "diff: applied" in result.stdout
    assert "restored untracked file: helper.py" in result.stdout
    assert "MISSING untracked file (not saved by the run): notes.txt" in result.stdout
    assert f"to run it again: cd {out / 'src'} && env " in result.stdout


def test_bad_input_exits_2(recorded: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    taken = _reproduce(recorded, recorded["run"], "--dir", str(tmp_path / "full"))
    assert taken.exit_code == 2 and "is not an empty folder" in taken.output
    no_git = _reproduce(recorded, recorded["no_git"], "--dir", str(tmp_path / "a"))
    assert no_git.exit_code == 2 and "recorded no git commit" in no_git.output
    unknown = _reproduce(recorded, "nosuchrun", "--dir", str(tmp_path / "b"))
    assert unknown.exit_code == 2
    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "-q")
    wrong = _reproduce(
        recorded, recorded["run"], "--dir", str(tmp_path / "c"), "--repo", str(other)
    )
    assert wrong.exit_code == 2 and f"commit {recorded['commit']} is not in" in wrong.output


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("a/b.py", True),
        ("../x", False),
        ("/etc/passwd", False),
        ("a/../../x", False),
        (".git/config", False),
        ("a\\b", False),
        ("", False),
    ],
)
def test_record_paths_stay_inside(path: str, ok: bool) -> None:
    assert (safe_relative(path) is not None) == ok


def test_a_run_on_a_server_is_rebuilt_too(recorded: dict[str, Any], tmp_path: Path) -> None:
    local = LocalDir.at(recorded["root"])
    with open_store(local.db_url) as sql:
        blobs = LocalArtifactStore(local.blobs, durable=False)
        with (
            remote_stores(sql, blobs, tmp_path) as remote,
            heron.Api(URL, transport=remote.transport) as api,
        ):
            report = checkout(api.run(recorded["run"]), tmp_path / "from-server")
    assert report.diff == "applied" and report.restored == ["helper.py"]
    assert report.missing == ["notes.txt"] and not report.complete
    assert (tmp_path / "from-server" / "helper.py").read_text() == "HELP = 1\n"


def test_a_changed_dataset_folder_is_named_with_its_sizes(tmp_path: Path) -> None:
    from heron.reproduce.checkout import check_datasets
    from heron.sdk.capture.datasets import hash_dataset

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("1,2\n")
    record = hash_dataset(folder, name="train").to_dict()
    (folder / "b.csv").write_text("3\n")  # a file more
    (checked,) = check_datasets({"datasets": {"train": record}})
    assert checked.status == "changed"
    assert checked.describe().endswith(
        "(1 files, 4 bytes recorded; 2 files, 6 bytes now): added b.csv"
    )
    (folder / "a.csv").write_text("1,3\n")  # one byte of a recorded file
    (folder / "b.csv").unlink()
    (checked,) = check_datasets({"datasets": {"train": record}})
    assert checked.files == ("changed a.csv",)
    without = {k: v for k, v in record.items() if k != "files"}  # a large folder's record
    (checked,) = check_datasets({"datasets": {"train": without}})
    assert checked.status == "changed" and checked.files == ()
    (gone,) = check_datasets({"datasets": {"train": {**record, "path": str(tmp_path / "x")}}})
    assert gone.status == "missing" and "is not on this machine" in gone.describe()
