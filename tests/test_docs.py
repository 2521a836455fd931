"""The reference pages cannot drift: they are generated, and these tests fail when stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from heron.cli import docs
from heron.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("page", ["cli.md", "configuration.md"])
def test_generated_pages_are_up_to_date(page: str) -> None:
    expected = docs.generated()[page]
    current = (DOCS / page).read_text(encoding="utf-8") if (DOCS / page).exists() else ""
    assert current == expected, f"docs/{page} is stale: run python -m heron.cli.docs"


def test_every_cli_command_is_in_the_cli_reference() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    names = [name for name, _ in docs.commands()]
    assert {"heron runs ls", "heron export", "heron sync", "heron gc"} <= set(names)
    for name in names:
        assert f"## `{name}`" in text, name


def test_every_setting_is_in_the_configuration_page() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for env, description, _default in Settings.documented():
        assert f"`{env}`" in text and description in text, env


def test_check_mode_reports_stale_pages(tmp_path: Path) -> None:
    runner = CliRunner()
    stale = runner.invoke(docs.docs, [str(tmp_path), "--check"])
    assert stale.exit_code == 1 and "cli.md" in stale.stderr
    assert runner.invoke(docs.docs, [str(tmp_path)]).exit_code == 0
    assert runner.invoke(docs.docs, [str(tmp_path), "--check"]).exit_code == 0
    assert (tmp_path / "cli.md").read_text() == docs.generated()["cli.md"]


def test_every_public_member_of_the_read_api_is_documented() -> None:
    from heron.api import Api, ApiRun, Runs, SyncReport

    text = (DOCS / "python-api.md").read_text(encoding="utf-8")
    for cls in (Api, ApiRun, Runs, SyncReport):
        members = [n for n in vars(cls) if not n.startswith("_")]
        members += [n for n in getattr(cls, "__dataclass_fields__", {}) if not n.startswith("_")]
        for name in members:
            assert f"`{name}" in text or f"{name}(" in text or f", `{name}`" in text, (
                f"{cls.__name__}.{name} is not in docs/python-api.md"
            )
