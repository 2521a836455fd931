"""The SQL schema, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Changes go through an Alembic migration in ``store/migrations/versions`` as well:
``tests/store/test_migrations.py`` checks that the migrated schema equals this one.

Layout (why, briefly):
- ``runs`` holds config and system info as JSON text (read whole); ``run_config``
  flattens config to one row per dotted path with a numeric and a text column, so
  the filter language compares numbers as numbers with plain, portable SQL.
- ``run_summary`` has one row per (run, metric key or summary override): the runs
  table filters and sorts on ``value`` without touching metric data.
- ``metric_chunks`` keeps series as compressed columnar chunks (``store.chunks``).
- ``run_console`` keeps what a run printed, a row per line.
- Artifacts: versions of named artifacts, their files (blob digests), aliases and
  which runs used them (lineage); ``run_files`` are a run's unnamed files.
- Floats: SQLite turns NaN into NULL. Numeric summary columns therefore read NULL
  as NaN when the row's ``count`` is positive; ``store.sql`` does that mapping.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Keys and paths are validated before they reach the store (heron.keys).
KEY = String(256)
RUN_ID = String(32)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", RUN_ID, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("group_name", String(256), nullable=True),
    Column("state", String(16), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("config", Text, nullable=False, default="{}"),  # JSON
    Column("system", Text, nullable=False, default="{}"),  # JSON
    Column("created_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("heartbeat_at", Float, nullable=True),
    Column("error", Text, nullable=True),
    Column("traceback", Text, nullable=True),
    Column("resume_key", String(128), nullable=True),
    Column("last_step", BigInteger, nullable=True),
    Column("ingested_seq", BigInteger, nullable=False, default=-1),
    # When the run's content last changed (not heartbeats): live pollers read it (0003).
    Column("updated_at", Float, nullable=True),
    # Who created it: the server's authenticated account (0007); None on a local store.
    Column("created_by", String(64), nullable=True),
    Index(None, "project_id", "created_at"),
    Index(None, "project_id", "name"),
    Index(None, "project_id", "state"),
    Index(None, "project_id", "resume_key"),
    Index(None, "updated_at"),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(256), primary_key=True),
    Index(None, "tag"),
)

# One row per dotted config path to a leaf (lists are leaves). vtype is one of
# int, float, bool, str, null, list; num holds int/float/bool (bool as 0/1), text str.
run_config = Table(
    "run_config",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("vtype", String(8), nullable=False),
    Column("num", Float, nullable=True),
    Column("text", Text, nullable=True),
    Index(None, "key", "num"),
)

run_summary = Table(
    "run_summary",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    # What filters and sorts: the override if numeric, else last/min/max per goal.
    Column("value", Float, nullable=True),
    Column("override", Text, nullable=True),  # JSON of run.summary[key] = v, if set
    Column("count", BigInteger, nullable=False, default=0),
    Column("last", Float, nullable=True),
    Column("last_step", BigInteger, nullable=True),
    Column("last_time", Float, nullable=True),
    Column("min", Float, nullable=True),
    Column("max", Float, nullable=True),
    Column("first_time", Float, nullable=True),
    Column("goal", String(8), nullable=False, default="last"),
    Column("x_axis", KEY, nullable=True),
    Index(None, "key", "value"),
)

# Declarations from run.define_metric(pattern, goal=, x_axis=); pattern may be a glob.
metric_definitions = Table(
    "metric_definitions",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("pattern", KEY, primary_key=True),
    Column("goal", String(8), nullable=True),
    Column("x_axis", KEY, nullable=True),
)

metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("chunk", Integer, primary_key=True),  # 0, 1, 2, ... in log order
    Column("count", Integer, nullable=False),
    Column("step_min", BigInteger, nullable=False),
    Column("step_max", BigInteger, nullable=False),
    Column("time_min", Float, nullable=False),
    Column("time_max", Float, nullable=False),
    Column("data", LargeBinary, nullable=False),
    # Block summaries of ``data`` for charts (``store.lod``); NULL only for a chunk
    # written by a Heron older than revision 0004 that was still running.
    Column("lod", LargeBinary, nullable=True),
)

run_files = Table(
    "run_files",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("digest", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Index(None, "digest"),
)

# What a run printed, one row per line (store/console.py; revision 0005). ``line``
# numbers the run's lines 1, 2, 3... in print order; the index finds a stream's last
# line, the one an unfinished ("partial") line's later text rewrites.
run_console = Table(
    "run_console",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("line", BigInteger, primary_key=True),
    Column("stream", String(8), nullable=False),
    Column("time", Float, nullable=False),
    Column("text", Text, nullable=False),
    Column("truncated", Boolean, nullable=False, default=False),
    Column("partial", Boolean, nullable=False, default=False),
    Index(None, "run_id", "stream", "line"),
)

# Runs that were deleted (revision 0011): ingest refuses their later records, so a
# run deleted while its process logs stays deleted (store.ingest).
deleted_runs = Table(
    "deleted_runs",
    metadata,
    Column("run_id", RUN_ID, primary_key=True),
    Column("deleted_at", Float, nullable=False),
)

# Media a run logged (heron.media; store/media_sql.py; revision 0008): one row per
# (run, key, step), a later item at the same step replacing it. ``digest`` is the
# item's blob (NULL for a histogram: its bins are in ``meta``, JSON);
# ``run_media_refs`` holds the other blobs an item names (a mask, a table's image
# cells), so garbage collection and the blob route see every digest.
run_media = Table(
    "run_media",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("digest", String(80), nullable=True),
    Column("size", BigInteger, nullable=False),
    Column("meta", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Index(None, "digest"),
)

run_media_refs = Table(
    "run_media_refs",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", KEY, primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("digest", String(80), primary_key=True),
    Index(None, "digest"),
)

artifact_versions = Table(
    "artifact_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("digest", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("metadata", Text, nullable=False, default="{}"),  # JSON
    Column("created_by", RUN_ID, nullable=True),
    Column("created_at", Float, nullable=False),
    # Logged from one file: a download gives the file itself (revision 0006).
    Column("single_file", Boolean, nullable=False, default=False, server_default=false()),
    UniqueConstraint("project_id", "name", "version"),
    Index(None, "created_by"),
)

artifact_files = Table(
    "artifact_files",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("path", String(1024), primary_key=True),
    Column("digest", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index(None, "digest"),
)

artifact_aliases = Table(
    "artifact_aliases",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("alias", String(128), primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
)

artifact_usage = Table(
    "artifact_usage",
    metadata,
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("used_at", Float, nullable=False),
)

# --- the model registry (heron.registry) --------------------------------------
# Models are global (not per project); a version points at an artifact version by id
# and keeps the manifest digest it had when registered. ``model_history`` is
# append-only: rows are inserted, never updated or deleted (heron.registry.sql).

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("tags", Text, nullable=False, default="{}"),  # JSON {str: str}
    Column("protected", Text, nullable=False, default="[]"),  # JSON [stage or alias]
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    Column("version", Integer, nullable=False),  # 1, 2, ... per model
    Column("stage", String(16), nullable=False, default="none"),
    Column("description", Text, nullable=False, default=""),
    Column("tags", Text, nullable=False, default="{}"),  # JSON {str: str}
    Column("run_id", RUN_ID, nullable=True),  # the source run (no FK: runs may be deleted)
    Column("artifact_id", Integer, ForeignKey("artifact_versions.id"), nullable=False),
    Column("artifact_digest", String(80), nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("model_id", "version"),
    Index(None, "model_id", "stage"),
    Index(None, "run_id"),
    Index(None, "artifact_id"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("model_id", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("alias", String(128), primary_key=True),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
)

model_history = Table(
    "model_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # the order of events
    Column("model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    Column("version", Integer, nullable=True),
    Column("kind", String(8), nullable=False),  # "stage" or "alias"
    Column("name", String(128), nullable=True),  # the alias; None for stage changes
    Column("from_value", String(128), nullable=True),  # stage, or alias: version number
    Column("to_value", String(128), nullable=True),
    Column("actor", String(256), nullable=False),
    Column("actor_admin", Boolean, nullable=False),
    Column("reason", Text, nullable=True),
    Column("time", Float, nullable=False),
    Column("rollback_of", Integer, nullable=True),  # the history row a rollback undid
    Index(None, "model_id", "id"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id"),
        nullable=True,  # None: every model
    ),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),  # JSON list of event names
    Column("secret", Text, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("delivery", String(36), nullable=False),  # one id per event; attempts share it
    Column("event", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # delivered, retrying, failed, refused
    Column("response_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("time", Float, nullable=False),
    Index(None, "webhook_id", "id"),
)

# --- accounts (0007): the server's users, their tokens, roles per project, audit ---------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("email", String(256), nullable=True),
    Column("password_hash", Text, nullable=True),  # argon2; None: no password login
    Column("is_admin", Boolean, nullable=False, server_default=false()),  # site admin
    Column("kind", String(16), nullable=False),  # person | service
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("oidc_subject", String(512), nullable=True, unique=True),  # issuer + " " + sub
    Column("created_at", Float, nullable=False),
    Column("created_by", String(64), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # api | session
    Column("name", String(128), nullable=False),
    Column("prefix", String(16), nullable=False),  # shown in lists; the secret never is
    Column("hash", String(64), nullable=False, unique=True),  # sha256 hex of the secret
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("last_used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index(None, "user_id", "kind"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # by name: a role may be granted before the project's first run creates it
    Column("project", String(128), nullable=False),
    Column("role", String(16), nullable=False),  # viewer | editor | admin
    UniqueConstraint("user_id", "project"),
    Index(None, "project"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", Float, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON object
    Column("ip", String(64), nullable=True),
    Index(None, "action", "id"),
    Index(None, "actor", "id"),
)

# --- alerts (0009): rules per project, the alerts they raise, every delivery attempt -------

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(128), nullable=False),  # by name: a rule may precede its runs
    Column("name", String(256), nullable=False),
    Column("kind", String(16), nullable=False),  # heron.alerts.base.RULE_KINDS
    Column("key", KEY, nullable=True),  # a metric key or glob (metric rules)
    Column("params", Text, nullable=False, default="{}"),  # JSON, per kind
    Column("min_level", String(8), nullable=False, default="info"),
    Column("webhooks", Text, nullable=False, default="[]"),  # JSON list of URLs
    Column("emails", Text, nullable=False, default="[]"),  # JSON list of addresses
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Index(None, "project"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(128), nullable=False),
    Column("run_id", RUN_ID, nullable=True),  # no foreign key: alerts outlive their run
    Column("rule_id", Integer, nullable=True),  # None: run.alert() from code
    Column("level", String(8), nullable=False),
    Column("title", String(256), nullable=False),
    Column("text", Text, nullable=False),
    Column("dedup_key", String(512), nullable=False),
    Column("status", String(16), nullable=False),  # sent, quiet (no channel), throttled
    Column("repeats", Integer, nullable=False, default=0),  # deduplicated since
    Column("created_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("read_at", Float, nullable=True),
    Index(None, "project", "id"),
    Index(None, "dedup_key", "created_at"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(16), nullable=False),  # webhook, email
    Column("target", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # delivered, retrying, failed, refused
    Column("response_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("time", Float, nullable=False),
    Index(None, "alert_id", "id"),
)

# a run group whose group_done alert its driver (a sweep) raises when it finishes (0015)
alert_group_holds = Table(
    "alert_group_holds",
    metadata,
    Column("project", String(128), primary_key=True),  # by name, like alert rules
    Column("group_name", String(256), primary_key=True),
    Column("holder", String(256), primary_key=True),  # e.g. "sweep NAME"
    Column("created_at", Float, nullable=False),
)

# --- saved views (0012): a project's named views, shared by link (heron.service.views) -----

saved_views = Table(
    "saved_views",
    metadata,
    Column("id", String(32), primary_key=True),  # random, URL-safe: the link names it
    Column("project", String(128), nullable=False),  # by name, like alert rules
    Column("name", String(128), nullable=False),
    Column("state", Text, nullable=False),  # JSON: workspace layout and runs-table state
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project", "name"),
)

# --- reports and run comments (0013): heron.service.reports, heron.service.comments ---------

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(128), nullable=False),  # by name, like alert rules
    Column("title", String(256), nullable=False),
    Column("body", Text, nullable=False),  # Markdown with heron blocks (docs/ui.md)
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("updated_at", Float, nullable=False),
    Index(None, "project", "id"),
)

run_comments = Table(
    "run_comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", RUN_ID, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("author", String(256), nullable=False),
    Column("body", Text, nullable=False),  # Markdown
    Column("created_at", Float, nullable=False),
    Column("edited_at", Float, nullable=True),
    Index(None, "run_id", "id"),
)

# --- project marks (0014): a project's tags and deletion mark (heron.store.project_marks) -

project_marks = Table(
    "project_marks",
    metadata,
    Column("project", String(128), primary_key=True),  # by name, like alert rules
    Column("tags", Text, nullable=False),  # JSON {str: str}
    Column("deleted_at", Float, nullable=True),  # None: not deleted
)

__all__ = [
    "alert_deliveries",
    "alert_group_holds",
    "alert_rules",
    "alerts",
    "artifact_aliases",
    "artifact_files",
    "artifact_usage",
    "artifact_versions",
    "audit_log",
    "deleted_runs",
    "memberships",
    "metadata",
    "metric_chunks",
    "metric_definitions",
    "model_aliases",
    "model_history",
    "model_versions",
    "project_marks",
    "projects",
    "registered_models",
    "reports",
    "run_comments",
    "run_config",
    "run_files",
    "run_media",
    "run_media_refs",
    "run_summary",
    "run_tags",
    "runs",
    "saved_views",
    "tokens",
    "users",
    "webhook_deliveries",
    "webhooks",
]
