"""Every environment variable Heron reads, declared once, with a type and a default.

Nothing else in the package reads ``os.environ`` for configuration; callers build a
:class:`Settings` (``Settings.from_env()``) and pass it down. ``docs/configuration.md``
lists the same variables, and a test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from heron.errors import InvalidInput


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise InvalidInput(f"expected a boolean (true/false), got {text!r}")


def _mode(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in {"online", "offline", "disabled"}:
        raise InvalidInput(f"HERON_MODE must be online, offline or disabled, got {text!r}")
    return lowered


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise InvalidInput(f"expected a whole number >= 0, got {text!r}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise InvalidInput(f"expected a port number 0-65535, got {text!r}")
    return value


def _workers(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise InvalidInput(f"expected 1-64 worker processes, got {text!r}")
    return value


LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _log_level(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in LOG_LEVELS:
        raise InvalidInput(f"expected one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return lowered


DISTRIBUTED_MODES = ("shared", "per_rank", "off")


def _launcher_count(text: str) -> int | None:
    """A launcher's number (RANK...): not Heron's variable, so one that is not a whole
    number >= 0 is ignored (None) rather than failing every Heron command."""
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else None


def _distributed(text: str) -> str:
    lowered = text.strip().lower().replace("-", "_")
    if lowered not in DISTRIBUTED_MODES:
        raise InvalidInput(f"expected one of {', '.join(DISTRIBUTED_MODES)}, got {text!r}")
    return lowered


def _sweep_trial(text: str) -> dict[str, Any]:
    """``HERON_SWEEP_TRIAL``: the JSON ``heron agent`` gives a trial's process."""
    import json

    try:
        trial = json.loads(text)
    except ValueError:
        raise InvalidInput("expected the JSON `heron agent` sets") from None
    if not (
        isinstance(trial, dict)
        and isinstance(trial.get("run_id"), str)
        and isinstance(trial.get("project"), str)
        and isinstance(trial.get("group"), str)
        and isinstance(trial.get("params"), dict)
    ):
        raise InvalidInput("expected {run_id, project, group, params} as `heron agent` sets")
    return trial


def _auth(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in {"auto", "on", "off"}:
        raise InvalidInput(f"HERON_AUTH must be auto, on or off, got {text!r}")
    return lowered


def _default_role(text: str) -> str | None:
    lowered = text.strip().lower()
    if lowered not in {"none", "viewer", "editor"}:
        raise InvalidInput(f"HERON_DEFAULT_ROLE must be none, viewer or editor, got {text!r}")
    return None if lowered == "none" else lowered


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value < 1e6:
        raise InvalidInput(f"expected a positive number, got {text!r}")
    return value


def _smtp_security(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in {"starttls", "ssl", "none"}:
        raise InvalidInput(f"expected starttls, ssl or none, got {text!r}")
    return lowered


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise InvalidInput(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _setting(env: str, parse: Callable[[str], Any], doc: str, default: Any) -> Any:
    return field(default=default, metadata={"env": env, "parse": parse, "doc": doc})


@dataclass(frozen=True)
class Settings:
    """Heron's configuration. Build one with :meth:`from_env`, or directly in tests."""

    dir: Path = _setting(
        "HERON_DIR", Path, "Folder of the embedded store (SQLite + blobs).", Path("heron-runs")
    )
    url: str | None = _setting(
        "HERON_URL", str, "URL of a Heron server; when set, runs log there.", None
    )
    mode: str = _setting(
        "HERON_MODE",
        _mode,
        "online (ship as you go), offline (spool only; `heron sync` later), disabled.",
        "online",
    )
    project: str | None = _setting(
        "HERON_PROJECT", str, "Default project for heron.init() when none is given.", None
    )
    system_metrics_interval: float = _setting(
        "HERON_SYSTEM_METRICS_INTERVAL",
        float,
        "Seconds between system metric samples; 0 turns the sampler off.",
        10.0,
    )
    heartbeat_interval: float = _setting(
        "HERON_HEARTBEAT_INTERVAL", float, "Seconds between run heartbeats.", 5.0
    )
    crash_after: float = _setting(
        "HERON_CRASH_AFTER",
        float,
        "Seconds without a heartbeat after which a running run is marked crashed.",
        60.0,
    )
    ship_interval: float = _setting(
        "HERON_SHIP_INTERVAL",
        float,
        "Seconds between shipping passes: the most a logged point waits in the spool "
        "before it is shipped, up to 10 times that while shipping would take more than "
        "0.1 % of a core (larger batches, less CPU).",
        1.0,
    )
    max_request_bytes: int = _setting(
        "HERON_MAX_REQUEST_BYTES",
        int,
        "Largest request body `heron server` accepts (a gzip batch also after decompression); "
        "blob uploads are streamed and not limited by it.",
        64 << 20,
    )
    s3_endpoint_url: str | None = _setting(
        "HERON_S3_ENDPOINT_URL",
        str,
        "Endpoint of an S3-compatible server (MinIO, Ceph, R2) for `s3://` artifact stores; "
        "unset: AWS S3 (region and credentials come from the standard AWS configuration).",
        None,
    )
    artifacts: str | None = _setting(
        "HERON_ARTIFACTS",
        str,
        "Where artifact blobs go: a folder, file:///path or s3://bucket/prefix. Unset: the "
        "store folder's blobs/ (required with a database URL store).",
        None,
    )
    store: str | None = _setting(
        "HERON_STORE",
        str,
        "The store `heron server` serves: a folder (SQLite + blobs) or a database URL "
        "(postgresql://user@host/db). Unset: HERON_DIR.",
        None,
    )
    server_host: str = _setting(
        "HERON_SERVER_HOST",
        str,
        "Interface `heron server` listens on; 0.0.0.0 exposes it to the network.",
        "127.0.0.1",
    )
    server_port: int = _setting(
        "HERON_SERVER_PORT", _port, "Port of `heron server` and `heron ui`.", 5310
    )
    server_workers: int = _setting(
        "HERON_SERVER_WORKERS", _workers, "Processes `heron server` runs (1-64).", 1
    )
    allowed_hosts: str | None = _setting(
        "HERON_ALLOWED_HOSTS",
        str,
        "Host names the server answers to (the Host header), comma-separated: names, "
        "addresses, *.example.com for any subdomain, * for any (not advised: it lets DNS "
        "rebinding pages in). Unset: localhost, 127.0.0.1, [::1] and the address "
        "`heron server` binds to when it is not a wildcard (0.0.0.0, ::).",
        None,
    )
    server_log_level: str = _setting(
        "HERON_SERVER_LOG_LEVEL",
        _log_level,
        "Log level of `heron server`: critical, error, warning, info or debug.",
        "info",
    )
    auth: str = _setting(
        "HERON_AUTH",
        _auth,
        "Whether `heron server` requires accounts: auto (required when it listens beyond "
        "loopback), on, or off (refused beyond loopback unless --insecure-no-auth).",
        "auto",
    )
    token: str | None = _setting(
        "HERON_TOKEN",
        str,
        "API token the SDK, the CLI and heron.Api send to a Heron server (`heron login` "
        "stores one in ~/.config/heron/credentials.json instead).",
        None,
    )
    config_dir: Path = _setting(
        "HERON_CONFIG_DIR",
        Path,
        "Folder of the user's Heron files: credentials.json, where `heron login` keeps "
        "tokens (mode 0600).",
        Path("~/.config/heron"),
    )
    secret_key: str | None = _setting(
        "HERON_SECRET_KEY",
        str,
        "Key that encrypts secrets at rest (webhook signing secrets): any long random "
        "string, the same on every server of one database. Unset: a key generated in "
        "HERON_CONFIG_DIR/server-secret.key (mode 0600).",
        None,
    )
    admin_user: str | None = _setting(
        "HERON_ADMIN_USER",
        str,
        "Name of the first site admin `heron server` creates when the store has no users "
        "(its password: HERON_ADMIN_PASSWORD).",
        None,
    )
    admin_password: str | None = _setting(
        "HERON_ADMIN_PASSWORD",
        str,
        "Password of the first site admin (12 characters or more; never a default).",
        None,
    )
    default_role: str | None = _setting(
        "HERON_DEFAULT_ROLE",
        _default_role,
        "Role every signed-in account has on every project: none, viewer or editor. "
        "Roles granted per project add to it.",
        None,
    )
    oidc_issuer: str | None = _setting(
        "HERON_OIDC_ISSUER",
        str,
        "OpenID Connect provider (its issuer URL, discovery at "
        "/.well-known/openid-configuration): the sign-in page offers single sign-on.",
        None,
    )
    oidc_client_id: str | None = _setting(
        "HERON_OIDC_CLIENT_ID", str, "This server's client id at the OIDC provider.", None
    )
    oidc_client_secret: str | None = _setting(
        "HERON_OIDC_CLIENT_SECRET", str, "This server's client secret at the OIDC provider.", None
    )
    oidc_name: str = _setting(
        "HERON_OIDC_NAME", str, "The provider's name on the sign-in button.", "single sign-on"
    )
    oidc_create_users: bool = _setting(
        "HERON_OIDC_CREATE_USERS",
        _bool,
        "Create an account on a person's first single sign-on (false: only accounts an "
        "admin made, matched by verified e-mail, may sign in).",
        True,
    )
    session_days: float = _setting(
        "HERON_SESSION_DAYS", _positive, "Days a browser session lasts after sign-in.", 14.0
    )
    capture_git: bool = _setting("HERON_CAPTURE_GIT", _bool, "Record git state at init.", True)
    capture_packages: bool = _setting(
        "HERON_CAPTURE_PACKAGES", _bool, "Record installed distributions at init.", True
    )
    capture_env: bool = _setting(
        "HERON_CAPTURE_ENV",
        _bool,
        "Record OS, CPU, RAM, GPU and allow-listed environment variables at init.",
        True,
    )
    capture_console: bool = _setting(
        "HERON_CAPTURE_CONSOLE",
        _bool,
        "Record what a run's script prints (stdout and stderr, as lines) with the run; "
        "heron.init(capture_console=...) overrides it.",
        True,
    )
    console_max_bytes: int = _setting(
        "HERON_CONSOLE_MAX_BYTES",
        _count,
        "Most bytes of console output recorded per run (and per process, for a resumed "
        "run); past it capture stops and a last line says so. 0: no limit.",
        100 << 20,
    )
    console_fd: bool = _setting(
        "HERON_CAPTURE_CONSOLE_FD",
        _bool,
        "Capture the console at the file-descriptor level too (C extensions, subprocesses, "
        "os.write), where it is safe (POSIX, fds 1 and 2 a terminal, pipe or file, no "
        "pytest capture); false: Python-level writes only.",
        True,
    )
    distributed: str = _setting(
        "HERON_DISTRIBUTED",
        _distributed,
        "What heron.init does in a distributed job (RANK and WORLD_SIZE set): shared (one "
        "run; rank 0 logs metrics, every rank its console and system metrics), per_rank "
        "(one run per rank, in one group) or off (ranks are unrelated scripts); "
        "heron.init(distributed=...) overrides it.",
        "shared",
    )
    distributed_id: str | None = _setting(
        "HERON_DISTRIBUTED_ID",
        str,
        "An id unique to one launch of a distributed job, the same on every rank (a "
        "scheduler's job id): the ranks' shared run is derived from it. Unset: derived "
        "from the launcher's variables below.",
        None,
    )
    rank: int | None = _setting(
        "RANK",
        _launcher_count,
        "Global rank of this process (torchrun, accelerate, DeepSpeed...).",
        None,
    )
    local_rank: int | None = _setting(
        "LOCAL_RANK",
        _launcher_count,
        "Rank of this process on its node (set by the launcher).",
        None,
    )
    world_size: int | None = _setting(
        "WORLD_SIZE",
        _launcher_count,
        "Processes in the distributed job (set by the launcher).",
        None,
    )
    local_world_size: int | None = _setting(
        "LOCAL_WORLD_SIZE",
        _launcher_count,
        "Processes of the job on this node (torchrun).",
        None,
    )
    launcher_run_id: str | None = _setting(
        "TORCHELASTIC_RUN_ID",
        str,
        "torchrun's rendezvous id (--rdzv-id; a fresh one with --standalone): part of the "
        "shared run's id.",
        None,
    )
    launcher_restart: int | None = _setting(
        "TORCHELASTIC_RESTART_COUNT",
        _launcher_count,
        "How often torchrun restarted the job's workers: a restart is a new run.",
        None,
    )
    master_addr: str | None = _setting(
        "MASTER_ADDR", str, "The job's rendezvous host (set by the launcher).", None
    )
    master_port: str | None = _setting(
        "MASTER_PORT", str, "The job's rendezvous port (set by the launcher).", None
    )
    slurm_job_id: str | None = _setting(
        "SLURM_JOB_ID", str, "The SLURM job, when the ranks run under SLURM.", None
    )
    job_handoff: str | None = _setting(
        "HERON_JOB_RUN",
        str,
        "Set by heron.init for the processes it starts (Lightning's launcher starts ranks "
        "1..N from rank 0): `run id:pid`; a child of that pid joins that run.",
        None,
    )
    webhook_allow: str | None = _setting(
        "HERON_WEBHOOK_ALLOW",
        str,
        "Where webhooks (model registry and alert rules) may POST: comma-separated "
        "host[:port] patterns "
        "(*.example.com) and addresses or CIDRs (10.0.0.0/8). Unset: public addresses "
        "only (no loopback, private, link-local or metadata addresses).",
        None,
    )

    sweep_trial: dict[str, Any] | None = _setting(
        "HERON_SWEEP_TRIAL",
        _sweep_trial,
        "Set by `heron agent` for a trial's process (JSON: run id, project, group, "
        "parameters): heron.init() then starts that run with the parameters as config.",
        None,
    )

    reproduce: str | None = _setting(
        "HERON_REPRODUCE",
        str,
        "Set by `heron reproduce --run` for the process it starts: the path of a JSON file "
        "(the original run's id, config and seed); heron.init() then starts a run linked "
        "to it (system.reproduction.of) with that config, and heron.seed_everything() uses "
        "that seed.",
        None,
    )

    smtp_host: str | None = _setting(
        "HERON_SMTP_HOST",
        str,
        "SMTP server that alert e-mails go through (docs/alerts.md). Unset: no e-mail.",
        None,
    )
    smtp_port: int = _setting("HERON_SMTP_PORT", _port, "Port of HERON_SMTP_HOST.", 587)
    smtp_security: str = _setting(
        "HERON_SMTP_SECURITY",
        _smtp_security,
        "How alert e-mail reaches HERON_SMTP_HOST: starttls, ssl (implicit TLS, port 465) "
        "or none (a relay on a trusted network).",
        "starttls",
    )
    smtp_user: str | None = _setting(
        "HERON_SMTP_USER", str, "User name for HERON_SMTP_HOST; unset: no login.", None
    )
    smtp_password: str | None = _setting(
        "HERON_SMTP_PASSWORD", str, "Password of HERON_SMTP_USER.", None
    )
    smtp_from: str = _setting(
        "HERON_SMTP_FROM", str, "The From address of alert e-mails.", "heron@localhost"
    )
    alert_dedup_seconds: float = _setting(
        "HERON_ALERT_DEDUP_SECONDS",
        _seconds,
        "An alert repeating one already raised (same rule, run and metric; or the same "
        "run.alert title) within this many seconds is counted on the first, not raised.",
        3600.0,
    )
    alert_rate_limit: int = _setting(
        "HERON_ALERT_RATE_LIMIT",
        _count,
        "Most alerts per project per hour delivered to webhooks and e-mail; past it "
        "alerts are kept (status throttled) but not delivered.",
        30,
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment; keyword overrides win (None means unset)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            if name in env and env[name] != "":
                try:
                    values[f.name] = f.metadata["parse"](env[name])
                except (ValueError, InvalidInput) as exc:
                    raise InvalidInput(f"{name}={env[name]!r}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, str, Any]]:
        """(variable, description, default) for every setting: the docs are built from it."""
        return [(f.metadata["env"], f.metadata["doc"], f.default) for f in fields(cls)]
