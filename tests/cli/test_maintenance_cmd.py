"""``heron sync`` and ``heron gc`` on real spools and blobs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import heron
from heron.artifacts import LocalArtifactStore
from heron.local_dir import LocalDir

from .conftest import CliRunnerCall, Store


def die_while_logging(root: Path, tmp_path: Path, points: int = 50) -> str:
    """A process that logs offline and dies without finishing; returns its run id."""
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, heron
        run = heron.init(project="offline", dir={str(root)!r}, mode="offline",
                         system_metrics=False, capture=False)
        for step in range({points}):
            run.log({{"loss": float(step)}})
        print(run.id, flush=True)
        os._exit(0)
    """)
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.split()[0]


def test_sync_ships_dead_spools_once(
    store_copy: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    run_id = die_while_logging(store_copy.root, tmp_path)
    result = run_cli(None, "sync", str(store_copy.root))
    assert result.exit_code == 0, result.output
    assert f"shipped {run_id}: 50 points" in result.stdout and "marked crashed" in result.stdout
    assert "1 spools shipped (50 points); 1 runs marked crashed." in result.stdout
    again = run_cli(None, "sync", str(store_copy.root))
    assert again.exit_code == 0 and "Nothing to sync" in again.stdout
    with heron.Api(store_copy.root) as api:
        run = api.run(run_id)
        assert run.state == "crashed" and run.metrics["loss"].count == 50


def test_sync_uses_dir_when_no_path_is_given(store_copy: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(store_copy, "sync")
    assert result.exit_code == 0 and "Nothing to sync" in result.stdout


def test_every_command_recovers_dead_spools_first(
    store_copy: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    run_id = die_while_logging(store_copy.root, tmp_path, points=5)
    result = run_cli(store_copy, "runs", "show", run_id, "--json")
    assert result.exit_code == 0, result.output
    assert '"state": "crashed"' in result.stdout and '"count": 5' in result.stdout


def _orphan(root: Path, tmp_path: Path, data: bytes, age: float) -> str:
    source = tmp_path / "orphan.bin"
    source.write_bytes(data)
    blobs = LocalArtifactStore(LocalDir.at(root).blobs)
    digest = blobs.put_file(source).digest
    then = time.time() - age
    os.utime(blobs.local_path(digest), (then, then))
    return digest


def test_gc_is_a_dry_run_until_yes(
    store_copy: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    old = _orphan(store_copy.root, tmp_path, b"old bytes", age=7200)
    young = _orphan(store_copy.root, tmp_path, b"young bytes", age=0)
    blobs = LocalArtifactStore(LocalDir.at(store_copy.root).blobs)
    dry = run_cli(store_copy, "gc")
    assert dry.exit_code == 0, dry.output
    assert old in dry.stdout and young not in dry.stdout and "Dry run" in dry.stdout
    assert blobs.has(old)
    wet = run_cli(store_copy, "gc", "--yes")
    assert "Deleted 1 blobs, freed 9 B" in wet.stdout
    assert not blobs.has(old) and blobs.has(young)
    assert run_cli(store_copy, "gc", "--grace", "0", "-y").stdout.count("Deleted 1 blobs") == 1
    assert not blobs.has(young)
    with heron.Api(store_copy.root) as api:  # referenced blobs survive: files still download
        path = api.run(store_copy.baseline).download("notes.txt", tmp_path / "dl")
        assert path.read_text() == "hello"
    assert "No orphaned blobs" in run_cli(store_copy, "gc", "--grace", "0").stdout


def _hints(output: str) -> list[list[str]]:
    """The heron commands an output tells to run (between backquotes), as arguments."""
    return [hint.split() for hint in re.findall(r"`heron ([^`]+)`", " ".join(output.split()))]


def test_gc_hints_name_commands_that_delete(
    store_copy: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    young = _orphan(store_copy.root, tmp_path, b"young bytes", age=0)
    blobs = LocalArtifactStore(LocalDir.at(store_copy.root).blobs)
    spared = run_cli(store_copy, "gc")
    assert "No orphaned blobs older than 3600 s" in spared.stdout
    assert "1 younger orphaned blobs (11 B) are spared" in " ".join(spared.stdout.split())
    (hint,) = _hints(spared.stdout)
    assert hint == ["gc", "--grace", "0", "--yes"]
    dry = run_cli(store_copy, *hint[:-1])  # the same without --yes: a dry run
    assert young in dry.stdout and blobs.has(young)
    (again,) = _hints(dry.stdout)  # it names the grace it was given
    assert again == ["gc", "--yes", "--grace", "0"]
    assert "Deleted 1 blobs" in run_cli(store_copy, *again).stdout
    assert not blobs.has(young)


def test_gc_after_rm_frees_what_only_the_deleted_run_used(
    store_copy: Store, run_cli: CliRunnerCall
) -> None:
    removed = run_cli(store_copy, "runs", "rm", "-y", store_copy.baseline)
    assert removed.exit_code == 0
    later, now = _hints(removed.stdout)
    assert later == ["gc", "--yes"]  # once the blobs are older than the grace period
    assert now == ["gc", "--grace", "0", "--yes"]
    result = run_cli(store_copy, *now)
    assert result.exit_code == 0
    assert "Deleted 2 blobs" in result.stdout  # notes.txt and requirements.txt
    with heron.Api(store_copy.root) as api:  # the model artifact is kept: versions outlive runs
        assert api.artifact("vision", "model").ref == "model:v0"


def test_gc_rejects_a_negative_grace(store_copy: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(store_copy, "gc", "--grace", "-1")
    assert result.exit_code == 2 and "-1" in result.stderr
