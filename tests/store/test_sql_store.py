"""SqlStore beyond the contracts: what it writes in SQL, how many queries it asks, and
how a damaged or unreachable database fails (a StoreError saying what to do, never a
driver's or codec's exception)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, event, select, update
from sqlalchemy.engine import Connection

from heron.errors import HeronError, NotFound, StoreError
from heron.store import chunks, idle_engines, open_store, schema
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, digest, new_run


@contextmanager
def sql(store: SqlStore) -> Iterator[Connection]:
    """A connection of its own to the store's database, committed at the end."""
    engine = create_engine(store.url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


# --- what is written ------------------------------------------------------------


def test_config_is_flattened_to_typed_rows(store: SqlStore) -> None:
    config = {
        "lr": 0.001,
        "epochs": 10,
        "big": 2**80,
        "huge": 10**400,
        "nan": math.nan,
        "inf": -math.inf,
        "amp": True,
        "name": "adam",
        "none": None,
        "layers": [64, 32],
        "optim": {"betas": [0.9, 0.999], "kind": {"name": "adamw", "decay": 0.01}},
        "empty": {},
    }
    run = new_run(store, config=config)
    assert store.get_run(run.id).config["huge"] == 10**400
    c = schema.run_config.c
    with sql(store) as conn:
        rows = conn.execute(select(c.key, c.vtype, c.num, c.text).where(c.run_id == run.id))
        got = {key: (vtype, num, txt) for key, vtype, num, txt in rows}
    assert got == {
        "lr": ("float", 0.001, None),
        "epochs": ("int", 10.0, None),
        "big": ("int", float(2**80), None),
        "huge": ("int", None, str(10**400)),
        "nan": ("float", None, None),
        "inf": ("float", -math.inf, None),
        "amp": ("bool", 1.0, None),
        "name": ("str", None, "adam"),
        "none": ("null", None, None),
        "layers": ("list", None, "[64,32]"),
        "optim.betas": ("list", None, "[0.9,0.999]"),
        "optim.kind.name": ("str", None, "adamw"),
        "optim.kind.decay": ("float", 0.01, None),
        "empty": ("dict", None, "{}"),
    }


def test_deleting_a_run_leaves_no_row_of_it(store: SqlStore) -> None:
    gone = new_run(store, tags=("t",), config={"a": 1})
    events = [
        {"type": "define_metric", "pattern": "loss", "goal": "min"},
        {"type": "file", "file": {"path": "out.txt", "digest": digest("aa"), "size": 1}},
        {"type": "console", "stream": "stdout", "time": T0, "lines": ["hi"]},
    ]
    store.ingest(batch(gone.id, 1, events, loss=[1.0]))
    assert store.delete_runs([gone.id]) == 1
    with sql(store) as conn:
        for table in (
            schema.run_tags,
            schema.run_config,
            schema.run_summary,
            schema.metric_chunks,
            schema.metric_definitions,
            schema.run_files,
            schema.run_console,
        ):
            assert conn.execute(select(table).where(table.c.run_id == gone.id)).first() is None


def test_deleting_many_runs_is_all_or_nothing_across_batches(store: SqlStore) -> None:
    ids = [new_run(store).id for _ in range(620)]  # more than one IN (...) list
    with pytest.raises(NotFound, match="nosuchrun0"):
        store.delete_runs([*ids, "nosuchrun0"])
    assert store.count_runs() == 620
    assert store.delete_runs(ids) == 620
    assert store.count_runs() == 0


def test_runs_table_of_many_runs_takes_a_constant_number_of_queries(store: SqlStore) -> None:
    for i in range(1200):  # more than one page by id: the subquery path
        new_run(store, config={"i": i})
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = store.transactor.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        table = store.runs_table("proj", columns=["config.i", "metrics.x"], limit=1100)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(table.ids) == 1100 and table.total == 1200
    assert sorted(table.columns["config.i"], reverse=True) == table.columns["config.i"]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 5  # page, count, tags, one per column


def test_artifact_single_file_is_a_column_not_metadata(store: SqlStore) -> None:
    run = new_run(store)
    files = [{"path": "m.pt", "digest": "sha256:" + "a" * 64, "size": 1}]
    old_style = {"type": "artifact", "name": "m", "files": files, "metadata": {"single_file": 1}}
    store.ingest(batch(run.id, 1, [old_style]))
    v = schema.artifact_versions.c
    with sql(store) as conn:
        row = conn.execute(select(v.single_file, v.metadata).where(v.name == "m")).one()
    assert (bool(row.single_file), row.metadata) == (True, "{}")


# --- damaged data -----------------------------------------------------------------


def test_a_corrupt_chunk_is_a_store_error_naming_the_series(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, loss=[1.0, 2.0], acc=[0.5]))
    c = schema.metric_chunks.c
    with sql(store) as conn:
        conn.execute(update(schema.metric_chunks).where(c.key == "loss").values(data=b"garbage!!"))
    for read in (
        lambda: store.history(run.id),
        lambda: store.history(run.id, ["loss"]),
        lambda: store.block_points({(run.id, "loss"): [(0, 0, 2)]}),
        lambda: store.ingest(batch(run.id, 2, loss=[3.0])),  # appending decodes the tail
    ):
        with pytest.raises(StoreError) as caught:
            read()
        message = str(caught.value)
        assert "'loss'" in message and run.id in message and "backup" in message
    assert store.history(run.id, ["acc"])["acc"].values.tolist() == [0.5]  # others are fine


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x07\x00\x02\x00\x00\x00",  # a newer format
        chunks.encode(np.arange(3), np.zeros(3), np.ones(3))[:-4],  # truncated
        chunks.encode(np.arange(3), np.zeros(3), np.ones(3))[:2]
        + (2**32 - 1).to_bytes(4, "little")  # four billion points claimed
        + chunks.encode(np.arange(3), np.zeros(3), np.ones(3))[6:],
    ],
)
def test_chunk_decoding_fails_as_a_store_error(data: bytes) -> None:
    with pytest.raises(chunks.ChunkFormatError) as caught:
        chunks.decode(data)
    assert isinstance(caught.value, StoreError)


def test_a_corrupt_block_summary_is_a_store_error(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, loss=[1.0, 2.0]))
    with sql(store) as conn:
        conn.execute(update(schema.metric_chunks).values(lod=b"\x01\x05\x00short"))
    with pytest.raises(StoreError, match=r"'loss'.*unreadable"):
        store.block_summaries([run.id], ["loss"])


def test_damaged_json_in_a_row_is_a_store_error(store: SqlStore) -> None:
    run = new_run(store, config={"a": 1})
    with sql(store) as conn:
        conn.execute(update(schema.runs).values(config="{not json"))
    with pytest.raises(StoreError, match="damaged"):
        store.get_run(run.id)


def test_a_file_that_is_not_a_database_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "heron.db"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(StoreError, match=r"not a Heron store|damaged") as caught:
        open_store(f"sqlite:///{path}")
    assert str(path) in str(caught.value) and "backup" in str(caught.value)


def test_a_database_damaged_after_opening_fails_as_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "heron.db"
    with open_store(f"sqlite:///{path}") as store:
        run = new_run(store)
        store.ingest(batch(run.id, 1, loss=[1.0]))
    data = bytearray(path.read_bytes())
    data[100:] = os.urandom(len(data) - 100)  # keep the header, wreck every page
    idle_engines.dispose_all()  # no kept connection may serve pages from its cache
    path.write_bytes(bytes(data))
    with pytest.raises(HeronError) as caught, open_store(f"sqlite:///{path}") as store:
        store.get_run(run.id)
        store.history(run.id)
    assert isinstance(caught.value, StoreError)


def test_a_read_only_database_says_so(tmp_path: Path) -> None:
    path = tmp_path / "heron.db"
    open_store(f"sqlite:///{path}").close()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with pytest.raises(StoreError, match=r"read-?only") as caught, open_store(read_only) as store:
        new_run(store)
    assert "may read and write" in str(caught.value)
