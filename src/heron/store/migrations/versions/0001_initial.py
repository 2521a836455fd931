"""Initial schema: projects, runs, config, summaries, metric chunks, files, artifacts.

A frozen copy of ``heron.store.schema`` as it was at this revision (migrations never
import the live schema: it moves on, they must not).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_ID = sa.String(length=32)
KEY = sa.String(length=256)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def _fk(table: str, column: str, target: str, cascade: bool = True) -> sa.ForeignKeyConstraint:
    referred = target.partition(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=f"fk_{table}_{column}_{referred}",
        ondelete="CASCADE" if cascade else None,
    )


def _run_id(table: str) -> tuple[sa.Column[str], sa.ForeignKeyConstraint]:
    return sa.Column("run_id", RUN_ID, nullable=False), _fk(table, "run_id", "runs.id")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        _pk("projects", "id"),
        sa.UniqueConstraint("name", name="uq_projects_name"),
    )
    op.create_table(
        "runs",
        sa.Column("id", RUN_ID, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("group_name", sa.String(length=256), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("traceback", sa.Text(), nullable=True),
        sa.Column("resume_key", sa.String(length=128), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("ingested_seq", sa.BigInteger(), nullable=False),
        _pk("runs", "id"),
        _fk("runs", "project_id", "projects.id", cascade=False),
    )
    for columns in (("created_at",), ("name",), ("state",), ("resume_key",)):
        op.create_index(f"ix_runs_project_id_{columns[0]}", "runs", ["project_id", *columns])

    op.create_table(
        "run_tags",
        *_run_id("run_tags"),
        sa.Column("tag", sa.String(length=256), nullable=False),
        _pk("run_tags", "run_id", "tag"),
    )
    op.create_index("ix_run_tags_tag", "run_tags", ["tag"])

    op.create_table(
        "run_config",
        *_run_id("run_config"),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("vtype", sa.String(length=8), nullable=False),
        sa.Column("num", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        _pk("run_config", "run_id", "key"),
    )
    op.create_index("ix_run_config_key_num", "run_config", ["key", "num"])

    op.create_table(
        "run_summary",
        *_run_id("run_summary"),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("override", sa.Text(), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last", sa.Float(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("last_time", sa.Float(), nullable=True),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("first_time", sa.Float(), nullable=True),
        sa.Column("goal", sa.String(length=8), nullable=False),
        sa.Column("x_axis", KEY, nullable=True),
        _pk("run_summary", "run_id", "key"),
    )
    op.create_index("ix_run_summary_key_value", "run_summary", ["key", "value"])

    op.create_table(
        "metric_definitions",
        *_run_id("metric_definitions"),
        sa.Column("pattern", KEY, nullable=False),
        sa.Column("goal", sa.String(length=8), nullable=True),
        sa.Column("x_axis", KEY, nullable=True),
        _pk("metric_definitions", "run_id", "pattern"),
    )
    op.create_table(
        "metric_chunks",
        *_run_id("metric_chunks"),
        sa.Column("key", KEY, nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("step_min", sa.BigInteger(), nullable=False),
        sa.Column("step_max", sa.BigInteger(), nullable=False),
        sa.Column("time_min", sa.Float(), nullable=False),
        sa.Column("time_max", sa.Float(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _pk("metric_chunks", "run_id", "key", "chunk"),
    )
    op.create_table(
        "run_files",
        *_run_id("run_files"),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        _pk("run_files", "run_id", "path"),
    )
    op.create_index("ix_run_files_digest", "run_files", ["digest"])

    op.create_table(
        "artifact_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("created_by", RUN_ID, nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        _pk("artifact_versions", "id"),
        _fk("artifact_versions", "project_id", "projects.id", cascade=False),
        sa.UniqueConstraint(
            "project_id", "name", "version", name="uq_artifact_versions_project_id_name_version"
        ),
    )
    op.create_index("ix_artifact_versions_created_by", "artifact_versions", ["created_by"])

    op.create_table(
        "artifact_files",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        _pk("artifact_files", "version_id", "path"),
        _fk("artifact_files", "version_id", "artifact_versions.id"),
    )
    op.create_index("ix_artifact_files_digest", "artifact_files", ["digest"])

    op.create_table(
        "artifact_aliases",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("alias", sa.String(length=128), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        _pk("artifact_aliases", "project_id", "name", "alias"),
        _fk("artifact_aliases", "project_id", "projects.id", cascade=False),
        _fk("artifact_aliases", "version_id", "artifact_versions.id"),
    )
    op.create_table(
        "artifact_usage",
        *_run_id("artifact_usage"),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=False),
        _pk("artifact_usage", "run_id", "version_id"),
        _fk("artifact_usage", "version_id", "artifact_versions.id"),
    )


def downgrade() -> None:
    for table in (
        "artifact_usage",
        "artifact_aliases",
        "artifact_files",
        "artifact_versions",
        "run_files",
        "metric_chunks",
        "metric_definitions",
        "run_summary",
        "run_config",
        "run_tags",
        "runs",
        "projects",
    ):
        op.drop_table(table)  # drops the table's indexes with it
