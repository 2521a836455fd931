"""``heron models``: the model registry from the command line (a skin over heron.models)."""

from __future__ import annotations

from collections.abc import Sequence

import click
from rich.table import Table
from rich.text import Text

from heron.cli import render
from heron.cli.context import CliState
from heron.models import Models
from heron.registry.base import STAGES, HistoryEntry, ModelVersion
from heron.registry.wire import history_to_json, model_to_json, version_to_json

STAGE_STYLES = {"production": "bold green", "staging": "yellow", "archived": "dim"}
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead.")


def open_models() -> Models:
    """The registry of ``heron --dir``, else of HERON_URL, HERON_DIR or ./heron-runs
    (``heron.connect``'s order), closed with the command."""
    ctx = click.get_current_context()
    state = ctx.find_object(CliState)
    models = Models.open(state.dir if state is not None else None)
    ctx.call_on_close(models.close)
    return models


def stage_text(stage: str) -> Text:
    return Text(stage, style=STAGE_STYLES.get(stage, ""))


@click.group()
def models() -> None:
    """Registered models: versions, stages, aliases, history, rollback."""


@models.command("ls")
@_json_option
def ls(as_json: bool) -> None:
    """List registered models with their latest version, stages and aliases."""
    found = open_models().list_models()
    if as_json:
        for model in found:
            click.echo(render.dumps(model_to_json(model)))
        return
    out = render.stdout()
    if not found:
        out.print("No registered models. Register one with `heron models register`.")
        return
    table = Table(
        "name",
        "latest",
        "production",
        "staging",
        "aliases",
        "updated",
        caption=f"{len(found)} model{'s' * (len(found) != 1)}",
    )
    for m in found:
        table.add_row(
            Text(m.name, style="cyan"),
            _number(m.latest_version),
            _versions(m.stages.get("production", ())),
            _versions(m.stages.get("staging", ())),
            Text(", ".join(f"{a}→v{v}" for a, v in m.aliases.items())),
            render.when(m.updated_at),
        )
    out.print(table)


@models.command()
@click.argument("name")
@_json_option
def show(name: str, as_json: bool) -> None:
    """Show a model: description, tags, protected stages, its newest versions."""
    api = open_models()
    model = api.get_model(name)
    recent = api.versions(name)[:10]
    if as_json:
        data = {**model_to_json(model), "versions": [version_to_json(v) for v in recent]}
        click.echo(render.dumps(data))
        return
    out = render.stdout()
    grid = Table.grid(padding=(0, 2))
    grid.add_row("model", Text(model.name, style="bold cyan"))
    grid.add_row("description", Text(model.description or "-"))
    grid.add_row("tags", Text(", ".join(f"{k}={v}" for k, v in model.tags.items()) or "-"))
    grid.add_row("protected", Text(", ".join(model.protected) or "-"))
    grid.add_row("created", f"{render.when(model.created_at)} by {model.created_by}")
    out.print(grid)
    if recent:
        out.print(_versions_table(recent, f"newest {len(recent)} versions"))


@models.command()
@click.argument("name")
@_json_option
def versions(name: str, as_json: bool) -> None:
    """List every version of a model, newest first."""
    found = open_models().versions(name)
    if as_json:
        for v in found:
            click.echo(render.dumps(version_to_json(v)))
        return
    render.stdout().print(_versions_table(found, f"model {name}"))


@models.command()
@click.argument("name")
@click.argument("version", type=click.IntRange(min=1))
@click.option(
    "--to",
    "stage",
    required=True,
    type=click.Choice(STAGES, case_sensitive=False),
    help="The stage to move the version to.",
)
@click.option("--reason", help="Why: recorded in the history.")
@click.option(
    "--keep-existing",
    is_flag=True,
    help="Promoting to production: leave the current production version there.",
)
@_json_option
def promote(
    name: str, version: int, stage: str, reason: str | None, keep_existing: bool, as_json: bool
) -> None:
    """Move VERSION of model NAME to a stage (production archives the previous one)."""
    moved = open_models().transition(
        name, version, stage, reason=reason, archive_existing=not keep_existing
    )
    _done(moved, as_json, f"{name} v{moved.version} is now in {moved.stage}")


@models.command()
@click.argument("name")
@click.option("--stage", help="Roll this stage back (staging or production).")
@click.option("--alias", help="Roll this alias back.")
@click.option("--reason", help="Why: recorded in the history.")
@_json_option
def rollback(
    name: str, stage: str | None, alias: str | None, reason: str | None, as_json: bool
) -> None:
    """Give a stage or an alias back to the version that held it before.

    Repeating goes one further back each time (docs/registry.md).
    """
    if (stage is None) == (alias is None):
        raise click.UsageError("give exactly one of --stage and --alias")
    restored = open_models().rollback(name, stage=stage, alias=alias, reason=reason)
    if restored is None:
        if as_json:
            click.echo(render.dumps(None))
        else:
            render.stdout().print(f"alias {alias} of {name} removed (it did not exist before)")
        return
    what = f"alias {alias}" if alias else (stage or "").lower()
    _done(restored, as_json, f"{name}: {what} is back on v{restored.version}")


@models.command()
@click.argument("name")
@click.argument("version", type=click.IntRange(min=1))
@click.argument("alias")
@click.option("--reason", help="Why: recorded in the history.")
@_json_option
def alias(name: str, version: int, alias: str, reason: str | None, as_json: bool) -> None:
    """Point ALIAS of model NAME at VERSION (moving it from where it was)."""
    moved = open_models().set_alias(name, version, alias, reason=reason)
    _done(moved, as_json, f"{name}@{alias} now points at v{moved.version}")


@models.command()
@click.argument("name")
@_json_option
def history(name: str, as_json: bool) -> None:
    """Every stage change and alias move of a model, oldest first: who, when, why."""
    entries = open_models().history(name)
    if as_json:
        for entry in entries:
            click.echo(render.dumps(history_to_json(entry)))
        return
    render.stdout().print(_history_table(name, entries))


@models.command()
@click.argument("run_id", metavar="RUN")
@click.argument("path", metavar="PATH_OR_ARTIFACT")
@click.option("--name", required=True, help="The registered model's name.")
@click.option("--description", default="", help="A description of this version.")
@_json_option
def register(run_id: str, path: str, name: str, description: str, as_json: bool) -> None:
    """Register a file or folder that RUN produced (or an artifact ref of the run's
    project, such as ckpt-abc:v3) as a new version of model NAME."""
    made = open_models().register(run_id, path, name=name, description=description)
    _done(made, as_json, f"registered {name} v{made.version} ({made.uri})")


def _done(version: ModelVersion, as_json: bool, message: str) -> None:
    if as_json:
        click.echo(render.dumps(version_to_json(version)))
    else:
        render.stdout().print(message, markup=False)


def _versions_table(found: Sequence[ModelVersion], title: str) -> Table:
    table = Table(
        "version",
        "stage",
        "aliases",
        "run",
        "created",
        "by",
        "description",
        title=title,
        title_justify="left",
    )
    for v in found:
        table.add_row(
            Text(f"v{v.version}", style="cyan"),
            stage_text(v.stage),
            Text(", ".join(v.aliases)),
            v.run_id or "-",
            render.when(v.created_at),
            Text(v.created_by),
            Text(v.description),
        )
    return table


def _history_table(name: str, entries: Sequence[HistoryEntry]) -> Table:
    table = Table(
        "#",
        "when",
        "version",
        "change",
        "by",
        "reason",
        title=f"history of {name}",
        title_justify="left",
    )
    for h in entries:
        if h.kind == "stage":
            change = Text(f"{h.from_value} → {h.to_value}")
        else:
            old = f"v{h.from_value}" if h.from_value else "-"
            new = f"v{h.to_value}" if h.to_value else "removed"
            change = Text(f"@{h.name}: {old} → {new}")
        if h.rollback_of is not None:
            change.append(f" (rollback of #{h.rollback_of})", style="magenta")
        table.add_row(
            str(h.id),
            render.when(h.time),
            _number(h.version),
            change,
            Text(h.actor + (" (admin)" if h.actor_admin else "")),
            Text(h.reason or ""),
        )
    return table


def _number(version: int | None) -> str:
    return "-" if version is None else f"v{version}"


def _versions(numbers: Sequence[int]) -> str:
    return ", ".join(f"v{n}" for n in numbers) or "-"
