"""Revision 0002 (the registry tables) upgrades a 0001 database that holds data, on
SQLite and PostgreSQL, and the old artifacts can be registered afterwards."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from heron.registry.requests import NewVersion, Transition
from heron.registry.sql import SqlRegistry
from heron.store import migrate, open_store
from tests.registry.conftest import ADMIN

REGISTRY_TABLES = {
    "registered_models",
    "model_versions",
    "model_aliases",
    "model_history",
    "webhooks",
    "webhook_deliveries",
}
DIGEST = "sha256:" + "ab" * 32


def alembic(url: str, action: str, target: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            getattr(command, action)(migrate.alembic_config(conn), target)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_0001_with_data_then_register_an_old_artifact(empty_db_url: str) -> None:
    alembic(empty_db_url, "upgrade", "0001")
    assert not REGISTRY_TABLES & tables(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO projects (id, name, created_at) VALUES (1, 'old', 1.0)"))
        conn.execute(
            text(
                "INSERT INTO runs (id, project_id, name, state, notes, config, system, "
                "created_at, ingested_seq) VALUES ('oldrun0001', 1, 'legacy', 'finished', '', "
                "'{}', '{}', 1.0, 7)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO artifact_versions (id, project_id, name, version, type, digest, "
                "size, file_count, metadata, created_by, created_at) VALUES (5, 1, 'ckpt', 0, "
                "'checkpoint', :d, 3, 1, '{}', 'oldrun0001', 1.0)"
            ),
            {"d": DIGEST},
        )
        conn.execute(
            text(
                "INSERT INTO artifact_files (version_id, path, digest, size) "
                "VALUES (5, 'model.pt', :d, 3)"
            ),
            {"d": DIGEST},
        )
    engine.dispose()

    with open_store(empty_db_url) as store:  # upgrades to head
        assert tables(empty_db_url) >= REGISTRY_TABLES
        registry = SqlRegistry(store)
        made = registry.create_version("legacy", NewVersion(artifact_id=5), ADMIN)
        assert (made.version, made.run_id, made.artifact_digest) == (1, "oldrun0001", DIGEST)
        registry.transition("legacy", Transition(1, "production"), ADMIN)
        assert store.get_run("oldrun0001").ingested_seq == 7

    alembic(empty_db_url, "downgrade", "0001")
    assert not REGISTRY_TABLES & tables(empty_db_url)
    with open_store(empty_db_url) as store:
        assert store.artifact_by_id(5).digest == DIGEST  # 0001's data survived both ways
        assert SqlRegistry(store).list_models() == []
