"""``heron compare GROUP_A GROUP_B --metric val/acc``: is A really better than B?

A group is a run group's name (``group = "..."``), or a filter expression when it
holds a space (``'config.lr = 0.1 and tags in ("seeded")'``). Each run gives one value:
the metric's shown summary value (``--value``: ``summary``, ``last``, ``min``, ``max``).
The statistics are :func:`heron.analysis.stats.compare`'s.
"""

from __future__ import annotations

import json

import click
from rich.table import Table

from heron.analysis.values import VALUE_KINDS, ValueKind, run_value
from heron.cli import render
from heron.cli.context import open_api
from heron.errors import InvalidInput


def group_filter(group: str) -> str:
    if " " in group:
        return group
    return 'group = "' + group.replace("\\", "\\\\").replace('"', '\\"') + '"'


@click.command()
@click.argument("group_a")
@click.argument("group_b")
@click.option("--metric", required=True, help="The metric key to compare, e.g. val/acc.")
@click.option("--project", help="Only this project's runs (default: every project).")
@click.option(
    "--value",
    "kind",
    type=click.Choice(VALUE_KINDS),
    default="summary",
    show_default=True,
    help="Which of each run's values: its shown summary, or the last/min/max logged.",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 0.999),
    default=0.95,
    show_default=True,
    help="Confidence level of the intervals (the test's alpha is 1 - this).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--json", "as_json", is_flag=True, help="The comparison as one JSON object.")
def compare(
    group_a: str,
    group_b: str,
    metric: str,
    project: str | None,
    kind: ValueKind,
    confidence: float,
    seed: int,
    as_json: bool,
) -> None:
    """Compare two groups of runs (e.g. seeds of two configs) on one metric: the
    difference with its confidence interval, Welch's t-test, a bootstrap test, the
    effect size and a verdict in words."""
    from heron.analysis.stats import compare as compare_values

    api = open_api()
    values = []
    for name in (group_a, group_b):
        runs = api.runs(project, group_filter(name))
        found = [run_value(r.info.summary, r.info.metrics, metric, kind) for r in runs]
        numbers = [v for v in found if v is not None]
        if not runs:
            raise InvalidInput(f"no runs in {name!r} (a group name, or a filter with a space)")
        if len(numbers) < 2:
            raise InvalidInput(
                f"{name!r}: {len(numbers)} of its {len(runs)} runs have a value of {metric!r}; "
                "a comparison needs at least 2 per group"
            )
        values.append(numbers)
    result = compare_values(
        values[0], values[1], confidence=confidence, seed=seed, names=(group_a, group_b)
    )
    if as_json:
        click.echo(json.dumps({"metric": metric, **result.to_json()}))
        return
    out = render.stdout()
    table = Table("", group_a, group_b, title=f"{metric} ({kind})")
    table.add_row("runs", str(result.n_a), str(result.n_b))
    table.add_row("mean", render.value(result.mean_a), render.value(result.mean_b))
    table.add_row("std", render.value(result.std_a), render.value(result.std_b))
    out.print(table)
    pct = f"{confidence:.0%}"
    lines = [
        f"difference (A - B): {render.value(result.difference)}, {pct} CI "
        f"[{render.value(result.ci_low)}, {render.value(result.ci_high)}]",
        f"Welch's t-test: t = {render.value(result.t)}, df = {render.value(result.df)}, "
        f"p = {render.value(result.p_value)}",
        f"bootstrap ({result.bootstrap_samples} resamples): {pct} CI "
        f"[{render.value(result.bootstrap_low)}, {render.value(result.bootstrap_high)}], "
        f"p = {render.value(result.bootstrap_p)}",
        f"effect size: Cohen's d = {render.value(result.cohens_d)}, Hedges' g = "
        f"{render.value(result.hedges_g)}; power {render.value(result.power)}",
        result.verdict,
    ]
    for line in lines:
        out.print(line, markup=False)
