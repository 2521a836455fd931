"""``heron projects ls / rename`` against a store the real SDK wrote."""

from __future__ import annotations

import heron

from .conftest import CliRunnerCall, Store


def test_ls_lists_projects(shared_store: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(shared_store, "projects", "ls")
    assert result.exit_code == 0, result.output
    assert "vision" in result.stdout and "nlp" in result.stdout


def test_rename_moves_runs_and_artifacts(store_copy: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(store_copy, "projects", "rename", "vision", "cv")
    assert result.exit_code == 0, result.output
    assert "Renamed project vision to cv" in result.stdout
    with heron.Api(store_copy.root) as api:
        assert sorted(p.name for p in api.projects()) == ["cv", "nlp"]
        assert {r.id for r in api.runs("cv")} == {store_copy.baseline, store_copy.high_lr}
        assert api.artifact("cv", "model:v0").project == "cv"
    taken = run_cli(store_copy, "projects", "rename", "cv", "nlp")
    assert taken.exit_code == 1 and "already exists" in taken.stderr
    bad = run_cli(store_copy, "projects", "rename", "cv", "no/slash")
    assert bad.exit_code == 2 and "is not valid" in bad.stderr  # bad input, like usage
