"""A store written by the real SDK once per session; tests that change it get a copy."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import heron
from heron.cli.main import cli


@dataclass(frozen=True)
class Store:
    root: Path
    baseline: str  # vision, finished, captured git/env, a saved file, logs model:v0
    high_lr: str  # vision, finished, uses model:latest
    broken: str  # nlp, failed with a traceback


def _init(root: Path, project: str, **kwargs: object) -> heron.Run:
    options: dict[str, object] = {"system_metrics": False, "capture": False}
    options.update(kwargs)
    return heron.init(project=project, dir=root, **options)  # type: ignore[arg-type]


def build_store(root: Path, scratch: Path) -> Store:
    config = {"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}, "seed": 1}
    previous = Path.cwd()
    os.chdir(scratch)  # capture=True records this folder (not a git repository)
    try:
        with _init(
            root,
            "vision",
            name="baseline",
            config=config,
            tags=["baseline"],
            group="sweep",
            capture=True,
        ) as run:
            for step in range(20):
                run.log({"train/loss": 1.0 / (step + 1), "val/acc": step / 20}, step=step)
            run.log({"epoch": 1}, step=19)
            run.summary["best/acc"] = 0.95
            (scratch / "notes.txt").write_text("hello")
            run.save_file(scratch / "notes.txt")
            (scratch / "model.bin").write_bytes(b"weights v0")
            run.log_artifact(scratch / "model.bin", name="model", type="model")
            baseline = run.id
    finally:
        os.chdir(previous)
    with _init(root, "vision", name="high-lr", config={**config, "lr": 0.5}) as run:
        for step in range(20):
            run.log({"train/loss": 2.0 / (step + 1), "val/acc": float("nan")}, step=step)
        run.use_artifact("model")
        high_lr = run.id
    try:
        with _init(root, "nlp", name="broken", config={"lr": 1e-3}) as run:
            run.log({"train/loss": float("inf")})
            broken = run.id
            raise ValueError("exploded")
    except ValueError:
        pass
    return Store(root, baseline, high_lr, broken)


@pytest.fixture(scope="session")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Read-only: every test may read it, none may change it."""
    base = tmp_path_factory.mktemp("shared")
    (base / "scratch").mkdir()
    return build_store(base / "heron-runs", base / "scratch")


@pytest.fixture
def store_copy(shared_store: Store, tmp_path: Path) -> Store:
    """A private copy for tests that delete or sync."""
    root = tmp_path / "heron-runs"
    shutil.copytree(shared_store.root, root)
    return Store(root, shared_store.baseline, shared_store.high_lr, shared_store.broken)


@pytest.fixture
def run_cli() -> Iterator[CliRunnerCall]:
    yield CliRunnerCall()


class CliRunnerCall:
    """``run_cli(store, "runs", "ls")``: ``heron --dir STORE runs ls`` in-process."""

    def __call__(
        self,
        store: Store | Path | None,
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        prefix = [] if store is None else ["--dir", str(getattr(store, "root", store))]
        runner = CliRunner()
        return runner.invoke(
            cli,
            [*prefix, *args],
            input=input,
            env={"COLUMNS": "200", **(env or {})},
            catch_exceptions=False,
        )
