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


def test_rest_reference_objects_are_written_from_the_openapi_document() -> None:
    from heron.server import openapi_docs

    current = (DOCS / "rest-api.md").read_text(encoding="utf-8")
    spec = openapi_docs.openapi()
    assert openapi_docs.render(current, spec) == current, (
        "docs/rest-api.md is stale: run python -m heron.server.openapi_docs"
    )
    for name, schema in spec["components"]["schemas"].items():
        if name in {"HTTPValidationError", "ValidationError"}:  # FastAPI's, never answered
            continue
        assert f"### `{name}`" in current, name
        for field in schema.get("properties", {}):
            assert f"| `{field}` |" in current, f"{name}.{field}"


def test_every_route_is_in_the_rest_reference() -> None:
    import re

    from heron.server import openapi_docs

    def plain(path: str) -> str:  # parameters by position, not name; no query string
        return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])

    text = (DOCS / "rest-api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE|HEAD) \| `([^`]+)`", text, re.M)
    documented = {(method, plain(path)) for method, path in rows}
    routes = {
        (method.upper(), plain(path.removeprefix("/api/v1")))
        for path, operations in openapi_docs.openapi()["paths"].items()
        for method in operations
    }
    assert len(routes) > 40
    assert routes <= documented, f"not in docs/rest-api.md: {sorted(routes - documented)}"
    assert documented <= routes, f"documented, not served: {sorted(documented - routes)}"


def test_rest_reference_says_how_non_finite_numbers_travel() -> None:
    text = (DOCS / "rest-api.md").read_text(encoding="utf-8")
    conventions = text.split("## Conventions", 1)[1].split("\n## ", 1)[0]
    for spelled in ('"NaN"', '"Infinity"', '"-Infinity"', "WireFloat"):
        assert spelled in conventions, spelled
    assert '### `WireFloat`\n\nA value of type: number or one of `"NaN"`' in text
