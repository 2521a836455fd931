"""``heron models``: every command against a real store, tables and --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import heron
from heron.models import close_all

from .conftest import CliRunnerCall


@pytest.fixture
def registry_store(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A store with model "clf" at versions 1-3 (all from one run) and the run's id."""
    root = tmp_path / "heron-runs"
    with heron.init(project="p", dir=root, capture=False, system_metrics=False) as run:
        for i in range(3):
            weights = tmp_path / f"w{i}.bin"
            weights.write_bytes(f"weights {i}".encode())
            heron.models.register(run, weights, name="clf")
        run_id = run.id
    close_all()
    yield str(root), run_id  # a str: run_cli reads a Path's .root
    close_all()


def test_register_promote_alias_rollback_history(
    registry_store: tuple[str, str], run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    root, run_id = registry_store
    (tmp_path / "v4.bin").write_bytes(b"weights 4")
    made = run_cli(root, "models", "register", run_id, str(tmp_path / "v4.bin"), "--name", "clf")
    assert made.exit_code == 0, made.stderr
    assert "registered clf v4 (models:/clf/4)" in made.stdout
    promoted = run_cli(
        root, "models", "promote", "clf", "3", "--to", "production", "--reason", "beats v2"
    )
    assert promoted.exit_code == 0 and "clf v3 is now in production" in promoted.stdout
    assert run_cli(root, "models", "promote", "clf", "4", "--to", "Production").exit_code == 0
    kept = run_cli(root, "models", "promote", "clf", "2", "--to", "production", "--keep-existing")
    assert kept.exit_code == 0
    aliased = run_cli(root, "models", "alias", "clf", "4", "champion")
    assert aliased.exit_code == 0 and "clf@champion now points at v4" in aliased.stdout
    back = run_cli(root, "models", "rollback", "clf", "--stage", "production", "--json")
    assert back.exit_code == 0 and json.loads(back.stdout)["version"] == 4

    history = run_cli(root, "models", "history", "clf", "--json")
    entries = [json.loads(line) for line in history.stdout.splitlines()]
    assert [(e["version"], e["from_value"], e["to_value"]) for e in entries] == [
        (3, "none", "production"),
        (4, "none", "production"),
        (3, "production", "archived"),
        (2, "none", "production"),
        (4, None, "4"),
        (2, "production", "archived"),
        (4, "production", "production"),
    ]
    assert entries[0]["reason"] == "beats v2" and entries[-1]["rollback_of"] == entries[3]["id"]
    table = run_cli(root, "models", "history", "clf")
    assert table.exit_code == 0
    assert "none → production" in table.stdout and "@champion: - → v4" in table.stdout
    assert "rollback of #" in table.stdout and "beats v2" in table.stdout


def test_ls_show_versions(registry_store: tuple[str, str], run_cli: CliRunnerCall) -> None:
    root, run_id = registry_store
    run_cli(root, "models", "promote", "clf", "2", "--to", "staging")
    listed = run_cli(root, "models", "ls")
    assert listed.exit_code == 0 and "clf" in listed.stdout and "1 model" in listed.stdout
    rows = [
        json.loads(line) for line in run_cli(root, "models", "ls", "--json").stdout.splitlines()
    ]
    assert rows[0]["name"] == "clf" and rows[0]["latest_version"] == 3
    assert rows[0]["stages"] == {"staging": [2]}
    shown = run_cli(root, "models", "show", "clf")
    assert shown.exit_code == 0 and "v3" in shown.stdout and "staging" in shown.stdout
    data = json.loads(run_cli(root, "models", "show", "clf", "--json").stdout)
    assert [v["version"] for v in data["versions"]] == [3, 2, 1]
    lines = run_cli(root, "models", "versions", "clf", "--json").stdout.splitlines()
    assert [json.loads(x)["run_id"] for x in lines] == [run_id] * 3
    table = run_cli(root, "models", "versions", "clf")
    assert table.exit_code == 0 and run_id in table.stdout


def test_errors_are_one_line_with_the_right_status(
    registry_store: tuple[str, str], run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    root, _ = registry_store
    missing = run_cli(root, "models", "show", "nope")
    assert missing.exit_code == 1 and "model 'nope' not found" in missing.stderr
    bad = run_cli(root, "models", "alias", "clf", "1", "production")
    assert bad.exit_code == 2 and "would read as a version or a stage" in bad.stderr
    nothing = run_cli(root, "models", "rollback", "clf", "--stage", "production")
    assert nothing.exit_code == 1 and "nothing to roll back to" in nothing.stderr
    both = run_cli(root, "models", "rollback", "clf")
    assert both.exit_code == 2 and "exactly one of --stage and --alias" in both.stderr
    stage = run_cli(root, "models", "promote", "clf", "1", "--to", "prod")
    assert stage.exit_code == 2
    empty = run_cli(str(tmp_path / "nowhere"), "models", "ls")
    assert empty.exit_code == 1 and "no Heron store" in empty.stderr


def test_ls_on_a_store_without_models(tmp_path: Path, run_cli: CliRunnerCall) -> None:
    root = tmp_path / "heron-runs"
    with heron.init(project="p", dir=root, capture=False, system_metrics=False):
        pass
    result = run_cli(str(root), "models", "ls")
    assert result.exit_code == 0 and "No registered models" in result.stdout
