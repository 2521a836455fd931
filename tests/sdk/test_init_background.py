"""``heron.init`` on the embedded store does only what must be synchronous (issue 19,
items 2 and 5): the store is opened by the shipper's first pass, in its thread. The
run exists in the store from that pass on; a read of the run before it (the summary)
creates it; a process killed before it leaves a spool the next start ships; a store
that cannot be opened stops the shipper with one message and loses no point."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import heron
from heron.errors import NotFound, ShippingError
from heron.sdk.backend import EmbeddedBackend
from heron.sdk.sync import sync
from heron.settings import Settings

from .conftest import local_backend, recovered, run_python, script, start_run

# What the training loop's start must not import: the store, its migrations, the
# rules layer and accounts, HTTP, password hashing, numpy.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "httpx",
    "argon2",
    "cryptography",
    "numpy",
    "heron.store.sql",
    "heron.service",
    "heron.accounts",
    "heron.alerts",
)

START = """
import sys
import heron

run = heron.init(project="p", dir=sys.argv[1])
run.log({"loss": 1.0, "acc": 0.5})
loaded = [m for m in HEAVY if m in sys.modules]
print("at-log", ",".join(loaded))
run.finish()
print("after-finish", ",".join(m for m in HEAVY if m in sys.modules))
print("id", run.id, run.name)
"""


@pytest.mark.parametrize("folder", ["existing", "empty"])
def test_init_and_the_first_log_import_no_store_machinery(tmp_path: Path, folder: str) -> None:
    """Defaults (capture, system metrics, console capture on), a fresh process, a
    folder that holds a store or an empty one (the folder's first run makes the
    database in ``init``, with sqlite3 alone). The shipper's first pass waits for a
    flush here (a long interval), so what was imported when ``log`` returned is what
    ``init`` and ``log`` imported."""
    if folder == "existing":
        start_run(tmp_path / "store").finish()
    body = f"HEAVY = {HEAVY!r}\n" + START
    done = run_python(
        script(tmp_path, body),
        str(tmp_path / "store"),
        env={"HERON_SHIP_INTERVAL": "60"},
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["at-log"] == "", f"imported before the first log returned: {lines['at-log']}"
    # finish shipped the run, which opened the store: the check above can fail.
    assert "sqlalchemy" in lines["after-finish"]
    run_id, name = lines["id"].split(" ", 1)
    with heron.Api(tmp_path / "store") as api:
        stored = api.run(run_id)
        assert stored.name == name and stored.state == "finished"
        assert stored.summary["loss"] == 1.0


def test_the_first_run_of_a_folder_makes_the_store_in_init(store_dir: Path) -> None:
    """The database is made in ``init`` (at the head revision, store.head_schema)
    but opened, as for a second run, by the shipper's first pass."""
    run = start_run(store_dir)
    backend = run.backend
    assert isinstance(backend, EmbeddedBackend) and not backend.opened
    assert (store_dir / "heron.db").exists()  # there for the script's next step
    with heron.Api(store_dir) as api:  # (an Api on a folder without a store raises)
        api.runs()
    run.log({"x": 1.0})
    run.finish()
    with heron.Api(store_dir) as api:
        assert api.run(run.id).state == "finished"


def test_the_run_is_created_by_the_first_pass(store_dir: Path) -> None:
    start_run(store_dir).finish()
    run = start_run(store_dir)
    backend = run.backend
    assert isinstance(backend, EmbeddedBackend)
    assert not backend.opened  # init did not open the store
    run.log({"x": 1.0})
    assert run.flush(timeout=60)
    assert backend.opened
    with heron.Api(store_dir) as api:
        stored = api.run(run.id)
        assert (stored.name, stored.state, stored.project) == (run.name, "running", "test")
    run.finish()


def test_a_read_before_the_first_pass_creates_the_run(store_dir: Path) -> None:
    start_run(store_dir).finish()
    settings = Settings.from_env({"HERON_SHIP_INTERVAL": "60"}, dir=store_dir)
    run = heron.init("test", settings=settings, capture=False, system_metrics=False)
    run.summary["best"] = 0.5  # a record: not shipped yet
    assert run.summary.get("loss") is None  # a read asks the store: the run is made for it
    with heron.Api(store_dir) as api:
        assert api.run(run.id).name == run.name
    run.log({"loss": 0.25})
    run.finish()
    with heron.Api(store_dir) as api:
        stored = api.run(run.id)
        assert stored.state == "finished" and stored.summary["best"] == 0.5
        assert stored.summary["loss"] == 0.25


KILLED = """
import os, signal, sys
import heron

run = heron.init(project="p", dir=sys.argv[1], capture=False)
for step in range(3):
    run.log({"x": float(step)})
print(run.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_kill_9_right_after_init_leaves_a_run_the_next_start_recovers(tmp_path: Path) -> None:
    """Killed before the store was ever opened: the spool's ``create`` record makes
    the run when the next start ships the dead spool."""
    store_dir = tmp_path / "store"
    start_run(store_dir).finish()
    done = subprocess.run(
        [sys.executable, str(script(tmp_path, KILLED)), str(store_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HERON_SHIP_INTERVAL": "60"},
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    run_id = done.stdout.strip()
    with local_backend(store_dir) as backend, pytest.raises(NotFound):
        backend.get_run(run_id)  # never shipped: only its spool knows it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start_run(store_dir).finish()  # the next start ships what the dead one left
    with local_backend(store_dir) as backend:
        assert backend.get_run(run_id).state == "crashed"
        assert backend.store.history(run_id, ["x"])["x"].values.tolist() == [0.0, 1.0, 2.0]


def test_a_store_that_cannot_be_opened_stops_shipping_and_loses_nothing(
    store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the shipper's thread, after init returned: one error from
    ``heron.shipper``, ``log`` goes on, ``flush`` says why, ``finish`` keeps the
    spool (with a warning); ``heron sync`` ships all of it once the store opens."""
    store_dir.mkdir(parents=True)
    database = store_dir / "heron.db"
    database.write_bytes(b"this is not a SQLite database" * 100)
    with caplog.at_level(logging.ERROR, logger="heron.shipper"):
        run = start_run(store_dir)
        for step in range(5):
            run.log({"x": float(step)})
        with pytest.raises(ShippingError, match="cannot open the store"):
            run.flush(timeout=60)
        run.log({"x": 5.0})  # never raises
        with pytest.warns(RuntimeWarning, match="heron sync"):
            run.finish()
    stopped = [r.getMessage() for r in caplog.records if r.name == "heron.shipper"]
    assert len(stopped) == 1 and "cannot open the store" in stopped[0]
    database.unlink()
    _, report = sync(store_dir, settings=Settings.from_env({}, dir=store_dir))
    assert [r.run_id for r in report.shipped] == [run.id]
    with recovered(store_dir) as backend:
        info = backend.get_run(run.id)
        assert info.state == "finished"
        steps = backend.store.history(run.id, ["x"])["x"].steps.tolist()
        assert steps == [0, 1, 2, 3, 4, 5]
