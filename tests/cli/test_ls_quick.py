"""``heron runs ls`` without a filter or a sort reads the store with the standard
library (heron.store.lite) when opening heron.Api would only open it: the same table,
without importing SQLAlchemy or numpy; a store with something to recover still goes
through heron.Api, which recovers it first."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from heron.store import open_store
from heron.store.base import RunSpec

from .conftest import CliRunnerCall, Store

_LS = """
import json, sys
from heron.cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="heron", standalone_mode=False)
finally:
    loaded = {m: m in sys.modules for m in ("sqlalchemy", "numpy")}
    print(json.dumps(loaded), file=sys.stderr)
"""


def _ls(root: Path, *args: str) -> tuple[str, dict[str, bool]]:
    """``heron --dir root runs ls ARGS`` in a new process: its stdout, and which heavy
    modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _LS, "--dir", str(root), "runs", "ls", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(root.parent)},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def test_a_plain_listing_reads_without_sqlalchemy_and_shows_the_same(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    for project in ([], ["-p", "vision"], ["-n", "1"]):
        quick, loaded = _ls(shared_store.root, *project)
        assert loaded == {"sqlalchemy": False, "numpy": False}
        through_api, loaded = _ls(shared_store.root, *project, "-s", "-created")
        assert loaded["sqlalchemy"]
        assert quick == through_api
    assert "1 of 3 runs" in quick and shared_store.broken in quick


def test_an_unknown_project_still_says_did_you_mean(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(shared_store, "runs", "ls", "-p", "visoin")
    assert result.exit_code == 2
    assert "did you mean 'vision'" in result.output


def test_a_store_with_a_spool_or_a_stale_run_is_opened_through_the_api(
    store_copy: Store,
) -> None:
    (store_copy.root / "spool" / "leftover").mkdir(parents=True)
    out, loaded = _ls(store_copy.root)
    assert loaded["sqlalchemy"] and "3 runs" in out
    (store_copy.root / "spool" / "leftover").rmdir()
    with open_store(f"sqlite:///{store_copy.root / 'heron.db'}") as store:
        long_ago = time.time() - 30 * 86_400
        store.create_run(RunSpec(id="stale00001", project="nlp", created_at=long_ago))
    out, loaded = _ls(store_copy.root, "-p", "nlp")
    assert loaded["sqlalchemy"]  # heron.Api reaped the run before listing it
    line = next(x for x in out.splitlines() if "stale00001" in x)
    assert "crashed" in line
    out, loaded = _ls(store_copy.root, "-p", "nlp")
    assert not loaded["sqlalchemy"] and "crashed" in out  # nothing left to recover


def test_names_that_look_like_emoji_codes_are_printed_as_they_are(store_copy: Store) -> None:
    """The consoles do not replace ``:code:`` with emoji: a run named ``:rocket:`` is
    listed as ``:rocket:`` (and a plain listing does not load rich's emoji table)."""
    with open_store(f"sqlite:///{store_copy.root / 'heron.db'}") as store:
        spec = RunSpec(id="emoji00001", project="emoji", name=":rocket:", created_at=time.time())
        store.create_run(spec)
    out, _ = _ls(store_copy.root, "-p", "emoji")
    assert ":rocket:" in out and "\U0001f680" not in out
    done = subprocess.run(
        [sys.executable, "-c", _LS.replace('("sqlalchemy", "numpy")', '("rich._emoji_codes",)'),
         "--dir", str(store_copy.root), "runs", "ls", "-p", "emoji"],
        capture_output=True, text=True, timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(store_copy.root.parent)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == {"rich._emoji_codes": False}
