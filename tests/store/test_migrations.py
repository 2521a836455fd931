"""Alembic migrations: the migrated schema is schema.py, and old databases upgrade."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from heron.errors import StoreError
from heron.store import chunks, migrate, open_store, schema
from tests.store.helpers import T0


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def alembic_upgrade(url: str, target: str) -> None:
    with connect(url) as conn:
        command.upgrade(migrate.alembic_config(conn), target)


def test_head_revision_constant_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_heads() == [migrate.HEAD_REVISION]


def test_migrated_schema_equals_schema_py(empty_db_url: str) -> None:
    open_store(empty_db_url).close()
    with connect(empty_db_url) as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
        assert diff == []
        assert migrate.current_revision(conn) == migrate.HEAD_REVISION


def test_downgrade_to_base_and_back(empty_db_url: str) -> None:
    alembic_upgrade(empty_db_url, "head")
    with connect(empty_db_url) as conn:
        command.downgrade(migrate.alembic_config(conn), "base")
    with connect(empty_db_url) as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    with open_store(empty_db_url) as store:
        assert store.list_projects() == []


def test_database_at_0001_with_data_opens(empty_db_url: str) -> None:
    alembic_upgrade(empty_db_url, "0001")
    data = chunks.encode(np.array([0, 1]), np.array([T0, T0 + 1]), np.array([2.0, np.nan]))
    with connect(empty_db_url) as conn:
        conn.execute(
            text("INSERT INTO projects (id, name, created_at) VALUES (1, 'old', :t)"), {"t": T0}
        )
        conn.execute(
            text(
                "INSERT INTO runs (id, project_id, name, state, notes, config, system, "
                "created_at, ingested_seq, last_step) VALUES ('oldrun0001', 1, 'legacy', "
                "'finished', '', '{\"lr\": 0.1}', '{}', :t, 7, 1)"
            ),
            {"t": T0},
        )
        conn.execute(
            text(
                "INSERT INTO run_summary (run_id, key, value, count, last, last_step, "
                "last_time, min, max, first_time, goal) VALUES ('oldrun0001', 'loss', NULL, "
                "2, NULL, 1, :t1, 2.0, 2.0, :t, 'last')"
            ),
            {"t": T0, "t1": T0 + 1},
        )
        conn.execute(
            text(
                "INSERT INTO metric_chunks (run_id, key, chunk, count, step_min, step_max, "
                "time_min, time_max, data) VALUES ('oldrun0001', 'loss', 0, 2, 0, 1, :t, :t1, :d)"
            ),
            {"t": T0, "t1": T0 + 1, "d": data},
        )
    with open_store(empty_db_url) as store:
        run = store.get_run("oldrun0001")
        assert (run.name, run.state, run.config, run.ingested_seq) == (
            "legacy",
            "finished",
            {"lr": 0.1},
            7,
        )
        assert np.isnan(run.metrics["loss"].last) and run.metrics["loss"].min == 2.0
        assert store.history("oldrun0001")["loss"].values[0] == 2.0
        blocks = store.block_summaries(["oldrun0001"], ["loss"])[("oldrun0001", "loss")]
        assert (blocks.total, blocks.finite.tolist(), blocks.y_max.tolist()) == (2, [1], [2.0])
    with connect(empty_db_url) as conn:  # backfilled by 0004, not computed on read
        assert (
            conn.execute(text("SELECT count(*) FROM metric_chunks WHERE lod IS NULL")).scalar() == 0
        )
    with connect(empty_db_url) as conn:
        assert migrate.current_revision(conn) == migrate.HEAD_REVISION


def test_unknown_revision_is_a_store_error(empty_db_url: str) -> None:
    alembic_upgrade(empty_db_url, "head")
    with connect(empty_db_url) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer Heron"):
        open_store(empty_db_url)


def test_concurrent_first_opens_upgrade_once(empty_db_url: str) -> None:
    def opener(_: int) -> None:
        open_store(empty_db_url).close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(opener, range(4)))  # re-raises an opener's error
    with connect(empty_db_url) as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_opening_a_current_store_does_not_import_alembic(empty_db_url: str) -> None:
    open_store(empty_db_url).close()
    code = (
        "import sys\n"
        "from heron.store import open_store\n"
        f"open_store({empty_db_url!r}).close()\n"
        "assert 'alembic' not in sys.modules, 'alembic imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_0006_moves_single_file_out_of_the_metadata_and_back(empty_db_url: str) -> None:
    alembic_upgrade(empty_db_url, "0005")
    metadata = {
        1: '{"single_file":true,"flavor":"torch","acc":NaN}',
        2: '{"single_file":false}',
        3: '{"note":"says \\"single_file\\" in a value"}',
        4: '{"nested":{"single_file":true}}',
        5: "{}",
    }
    with connect(empty_db_url) as conn:
        conn.execute(
            text("INSERT INTO projects (id, name, created_at) VALUES (1, 'p', :t)"), {"t": T0}
        )
        for version_id, text_ in metadata.items():
            conn.execute(
                text(
                    "INSERT INTO artifact_versions (id, project_id, name, version, type, digest, "
                    "size, file_count, metadata, created_by, created_at) VALUES (:id, 1, :name, "
                    "0, 'model', 'sha256:x', 0, 0, :metadata, NULL, :t)"
                ),
                {"id": version_id, "name": f"a{version_id}", "metadata": text_, "t": T0},
            )
    with open_store(empty_db_url) as store:
        got = {v.id: (v.single_file, v.metadata) for v in store.artifacts()}
    assert got[1][0] is True and got[1][1]["flavor"] == "torch" and "single_file" not in got[1][1]
    assert np.isnan(got[1][1]["acc"])
    assert got[2] == (False, {})
    assert got[3] == (False, {"note": 'says "single_file" in a value'})
    assert got[4] == (False, {"nested": {"single_file": True}})
    assert got[5] == (False, {})
    with connect(empty_db_url) as conn:
        command.downgrade(migrate.alembic_config(conn), "0005")
    with connect(empty_db_url) as conn:
        rows = dict(conn.execute(text("SELECT id, metadata FROM artifact_versions")).all())
    assert '"single_file":true' in rows[1] and "flavor" in rows[1]
    assert rows[2] == "{}" and rows[5] == "{}"
