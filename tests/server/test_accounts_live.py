"""Accounts over a real ``heron server`` process: the SDK and the CLI with a token,
``heron login``'s credentials file, and the server's refusals to start unsafely."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import heron
from heron.cli.main import cli
from tests.server.conftest import ServerFactory

PASSWORD = "correct horse battery"


def invoke(*args: str, env: dict[str, str], input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, list(args), input=input, env={"COLUMNS": "200", **env}, catch_exceptions=False
    )


@pytest.fixture
def live(server_process: ServerFactory, sqlite_url: str, tmp_path: Path) -> str:
    env = {"HERON_ADMIN_PASSWORD": PASSWORD}
    return server_process(sqlite_url, tmp_path / "blobs", "--auth", "--admin", "root", env=env).url


def test_login_keeps_a_private_token_that_the_sdk_and_cli_send(
    live: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    env = {"HERON_CONFIG_DIR": str(config), "HERON_URL": live, "HERON_TOKEN": ""}
    denied = invoke("runs", "ls", "-p", "demo", env=env)
    assert denied.exit_code != 0 and "heron login" in denied.output

    logged = invoke("login", live, "--user", "root", env=env, input=PASSWORD + "\n")
    assert logged.exit_code == 0, logged.output
    credentials = config / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert PASSWORD not in credentials.read_text()

    for name, value in {**env, "HERON_DIR": str(tmp_path / "spools")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HERON_TOKEN")
    with heron.init(project="demo", config={"lr": 0.1}) as run:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1)}, step=step)
    listed = invoke("runs", "ls", "-p", "demo", "--format", "json", env=env)
    assert listed.exit_code == 0, listed.output
    assert run.id in listed.output
    with heron.Api() as api:
        (found,) = api.runs("demo")
        assert found.created_by == "root" and found.summary["loss"] == pytest.approx(0.2)

    tokens = invoke("tokens", "ls", env=env)
    assert tokens.exit_code == 0 and "heron login" in tokens.output
    assert invoke("logout", live, env=env).exit_code == 0
    assert invoke("runs", "ls", "-p", "demo", env=env).exit_code != 0


def test_users_and_members_from_the_cli(live: str, tmp_path: Path) -> None:
    env = {"HERON_CONFIG_DIR": str(tmp_path / "config"), "HERON_URL": live}
    assert invoke("login", live, "--user", "root", env=env, input=PASSWORD + "\n").exit_code == 0
    made = invoke("users", "add", "ci", "--service", env=env)
    assert made.exit_code == 0, made.output
    issued = invoke("tokens", "create", "deploy", "--user", "ci", env=env)
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.strip().splitlines()[0]
    assert secret.startswith("heron_")
    assert invoke("members", "set", "demo", "ci", "viewer", env=env).exit_code == 0
    members = invoke("members", "ls", "demo", env=env)
    assert "ci" in members.output and "viewer" in members.output
    as_ci = {**env, "HERON_TOKEN": secret}
    assert invoke("users", "ls", env=as_ci).exit_code != 0  # not a site admin
    audit = invoke("audit", "--action", "role.set", env=env)
    assert audit.exit_code == 0 and "demo/ci" in audit.output


def test_the_server_refuses_to_listen_beyond_loopback_without_accounts(tmp_path: Path) -> None:
    env = {"HERON_CONFIG_DIR": str(tmp_path / "config"), "HERON_ADMIN_PASSWORD": ""}
    store = str(tmp_path / "store")
    refused = invoke("server", "--store", store, "--host", "0.0.0.0", "--no-auth", env=env)
    assert refused.exit_code == 2 and "--insecure-no-auth" in refused.output
    no_admin = invoke("server", "--store", store, "--host", "0.0.0.0", env=env)
    assert no_admin.exit_code == 2 and "first site admin" in no_admin.output


def test_the_first_admin_is_made_beside_the_database(tmp_path: Path) -> None:
    store = tmp_path / "store"
    env = {"HERON_CONFIG_DIR": str(tmp_path / "config")}
    made = invoke(
        "--dir", str(store), "users", "add", "alice", "--admin", "--password-stdin",
        env=env, input=PASSWORD + "\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    listed = invoke("--dir", str(store), "users", "ls", env=env)
    assert "alice" in listed.output and "yes" in listed.output
