"""``heron reproduce RUN --dir DIR --run``: a deterministic numpy training script in a git
repository with a dirty tree and an untracked file, rebuilt in a fresh folder and run
again as a new run linked to the original; ``heron verify`` finds identical metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import heron
from heron.cli.main import cli
from heron.reproduce.environment import plan
from heron.reproduce.rerun import prepare, store_env

TRAIN = """\
import random
import sys
from pathlib import Path

import numpy as np

import heron
from helper import noise

sys.modules["torch"] = None  # numpy only: seed_everything must not import torch (seconds)
data = Path(sys.argv[1])
seed = int(sys.argv[2]) if len(sys.argv) > 2 else random.randrange(2**32)
heron.seed_everything(seed)
with heron.init(project="loop", system_metrics=False, config={"lr": 0.1, "epochs": 6}) as run:
    run.use_dataset(data, name="train")
    run.save_file("helper.py", name="code/untracked/helper.py")
    x = np.loadtxt(data)
    w = np.random.normal(size=x.shape[1] - 1)
    for step in range(run.config["epochs"]):
        err = x[:, :-1] @ w - x[:, -1]
        w -= run.config["lr"] * (x[:, :-1].T @ err) / len(x) + noise()
        run.log({"loss": float(np.mean(err**2)), "w0": float(w[0])}, step=step)
"""


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the script: committed with lr 0.5, run with the uncommitted lr 0.1
    and an untracked helper, its seed drawn at random (so only the record has it)."""
    base = tmp_path_factory.mktemp("rerun")
    repo, root = base / "repo", base / "heron-runs"
    repo.mkdir()
    data = base / "train.txt"
    data.write_text("1 2 3\n2 0 1\n0 1 2\n3 1 0\n")
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("__pycache__/\n")
    (repo / "train.py").write_text(TRAIN.replace('"lr": 0.1', '"lr": 0.5'))
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one")
    (repo / "train.py").write_text(TRAIN)  # the uncommitted change the run ran with
    (repo / "helper.py").write_text(  # untracked, saved by the run
        "import numpy as np\n\ndef noise():\n    return np.random.normal() * 1e-3\n"
    )
    env = {**os.environ, "HERON_DIR": str(root)}
    env.pop("HERON_URL", None)
    subprocess.run([sys.executable, "train.py", str(data)], cwd=repo, env=env, check=True)
    with heron.Api(root) as api:
        (run,) = api.runs()
        return {"root": root, "repo": repo, "data": data, "id": run.id, "base": base}


def _cli(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--dir", str(root), *args])


def test_run_again_in_a_fresh_folder_gives_identical_metrics(original: dict[str, Any]) -> None:
    root, run_id = original["root"], original["id"]
    fresh = original["base"] / "fresh"
    result = _cli(
        root, "reproduce", run_id, "--dir", str(fresh), "--python", sys.executable, "--run"
    )
    assert result.exit_code == 0, result.output
    assert "restored untracked file: helper.py" in result.output
    assert "dataset 'train': unchanged" in result.output
    new_id = result.output.split("new run ")[1].split(":")[0]
    assert f"reproduction of {run_id}" in result.output
    verified = _cli(root, "verify", run_id, new_id)
    assert verified.exit_code == 0, verified.output
    assert "reproduced: 2 metrics, 12 points identical" in verified.output
    with heron.Api(root) as api:
        again, first = api.run(new_id), api.run(run_id)
        assert again.system["reproduction"] == {
            "of": run_id,
            "of_name": first.name,
            "of_project": "loop",
        }
        assert again.system["seed"]["seed"] == first.system["seed"]["seed"]
        assert again.config == first.config
        linked = api.runs(filter=f'system.reproduction.of = "{run_id}"')
        assert [r.id for r in linked] == [new_id]
    shown = _cli(root, "runs", "show", new_id)
    assert "reproduction" in shown.output and run_id in shown.output


def test_a_changed_byte_of_the_dataset_is_named_and_not_run(
    original: dict[str, Any], tmp_path: Path
) -> None:
    data: Path = original["data"]
    before = data.read_bytes()
    data.write_bytes(before.replace(b"3 1 0", b"3 1 1"))
    try:
        result = _cli(
            original["root"],
            "reproduce",
            original["id"],
            "--dir",
            str(tmp_path / "d"),
            "--python",
            sys.executable,
            "--run",
        )
    finally:
        data.write_bytes(before)
    assert result.exit_code == 1, result.output
    assert f"DATASET dataset 'train' at {data} changed: recorded sha256:" in result.output
    assert "not run: dataset 'train' changed" in result.output


def test_the_cli_reports_packages_not_installed_without_a_traceback(
    original: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith(("PIP_", "UV_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PATH", os.defpath)  # no uv
    root = original["root"]
    import numpy

    packages = [
        {"name": "numpy", "version": numpy.__version__},  # seen through the system site
        {"name": "heron-no-such-package", "version": "1.0"},
    ]
    with heron.Api(root) as api:  # the original's code and command, these packages
        recorded = api.run(original["id"]).system
    system = {"git": recorded["git"], "program": recorded["program"], "packages": packages}
    with heron.init(project="loop", dir=root, system_metrics=False, capture=False) as run:
        run.record_system(system)
        broken = run.id
    result = _cli(root, "reproduce", broken, "--dir", str(tmp_path / "d"), "--system-site-packages")
    assert result.exit_code == 1, result.output
    assert "(pip): 1 packages installed" in result.output
    assert (
        "PACKAGE NOT INSTALLED heron-no-such-package==1.0: this version is not on the "
        "package index (or no build for this platform)" in result.output
    )
    assert "Traceback" not in result.output and "ERROR" not in result.output
    assert (tmp_path / "d-heron" / "venv" / "bin" / "python").exists()
    assert "to run it again: cd " in result.output
    assert str(tmp_path / "d-heron" / "venv") in result.output


@pytest.mark.parametrize(
    ("recorded", "gpu", "spec", "issue"),
    [
        ({"name": "numpy", "version": "1.26.4"}, False, "numpy==1.26.4", None),
        ({"name": "torch", "version": "2.3.1+cu121"}, False, "torch==2.3.1", "CUDA build"),
        ({"name": "torch", "version": "2.3.1+cu121"}, True, "torch==2.3.1+cu121", None),
        ({"name": "torch", "version": "2.3.1+cpu"}, False, "torch==2.3.1+cpu", None),
        (
            {"name": "x", "version": "1", "source": "vcs", "url": "git+https://h/x"}
            | {"commit": "ab"},
            False,
            "x @ git+https://h/x@ab",
            None,
        ),
        (
            {"name": "mine", "version": "0.1", "source": "editable", "url": "file:///gone/mine"},
            False,
            "mine==0.1",
            "local path (/gone/mine), not on this machine",
        ),
        ({"name": "pip", "version": "24.0"}, False, None, None),
    ],
)
def test_the_install_plan(
    recorded: dict[str, Any], gpu: bool, spec: str | None, issue: str | None
) -> None:
    reqs, issues = plan([recorded], {"cu": gpu})
    assert [r.spec for r in reqs] == ([spec] if spec else [])
    assert [i.reason for i in issues if issue and issue in i.reason] == [i.reason for i in issues]
    assert bool(issues) == bool(issue)


def test_secrets_on_the_command_line_are_asked_for_or_taken_from_the_environment(
    original: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["train.py", "--api-key=abc", "--hf-token", "xyz", "--lr", "0.1"]
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.chdir(original["repo"])
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("HOSTNAME", "gpu7")
    monkeypatch.setenv("CONDA_DEFAULT_ENV", "base")
    root = original["root"]
    with heron.init(project="loop", dir=root, system_metrics=False, config={"lr": 0.1}) as run:
        run_id = run.id
    monkeypatch.setenv("HF_TOKEN", "from-env")
    with heron.Api(root) as api:
        recorded = api.run(run_id)
        masked = ["--api-key=***", "--hf-token", "***"]
        assert recorded.system["program"]["process"]["argv"][1:4] == masked
        launch = prepare(
            recorded,
            tmp_path,
            "python",
            tmp_path / "r.json",
            store=({"HERON_DIR": "x"}, ["HERON_URL"]),
            ask=lambda flag: "typed" if flag == "--api-key" else None,
        )
    assert launch is not None
    filled = ["train.py", "--api-key=typed", "--hf-token", "from-env", "--lr", "0.1"]
    assert launch.args[1:] == filled
    assert launch.notes == ["--hf-token: taken from the environment variable HF_TOKEN"]
    assert "typed" not in launch.shell() and "from-env" not in launch.shell()
    assert launch.restored_env["OMP_NUM_THREADS"] == "1"
    assert {"HOSTNAME", "CONDA_DEFAULT_ENV"} <= set(launch.not_restored)
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["of"] == run_id and saved["config"] == {"lr": 0.1}


def test_a_run_read_through_a_server_is_rerun_against_it(
    original: dict[str, Any], tmp_path: Path
) -> None:
    """Read through HERON_URL (an in-process server here), the launch sends the new
    run to that server and not to a folder."""
    from heron.artifacts.local import LocalArtifactStore
    from heron.local_dir import LocalDir
    from heron.store import open_store
    from tests.remote.inprocess import URL, remote_stores

    local = LocalDir.at(original["root"])
    with open_store(local.db_url) as sql:
        blobs = LocalArtifactStore(local.blobs, durable=False)
        with (
            remote_stores(sql, blobs, tmp_path) as remote,
            heron.Api(URL, transport=remote.transport) as api,
        ):
            store = store_env(api)
            launch = prepare(
                api.run(original["id"]), tmp_path / "d", "py", tmp_path / "r.json", store=store
            )
    assert store == ({"HERON_URL": URL}, ["HERON_DIR"])
    assert launch is not None
    assert launch.env["HERON_URL"] == URL and launch.unset == ["HERON_DIR"]
    assert (
        f"env -u HERON_DIR HERON_REPRODUCE={tmp_path / 'r.json'} HERON_URL={URL}" in launch.shell()
    )
