"""Names a command is given (a project, the keys of a filter or a sort) checked against
what the store holds: an unknown one is a usage error (exit status 2) that suggests
the closest known names, instead of an empty result that looks like "no runs"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence

import click

from heron.api import Api
from heron.cli.context import CliInputError
from heron.nested import flatten
from heron.query import nodes
from heron.query.parser import parse, parse_order_term
from heron.store.base import ProjectKeys

_PREFIX = {"config": "config.", "metric": "metrics."}


def did_you_mean(name: str, known: Iterable[str], what: str) -> str:
    """``no <what> 'name'; did you mean 'x' or 'y'?`` (or the known names, when few)."""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        hint = " or ".join(repr(c) for c in close)
        return f"no {what} {name!r}; did you mean {hint}?"
    if not known:
        return f"no {what} {name!r} (there are none)"
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    return f"no {what} {name!r} (known: {shown})"


def check_names(api: Api, project: str | None, filter_: str | None, sort: Sequence[str]) -> None:
    """Raise CliInputError for an unknown project, or a config/metric key in the filter
    or the sort that no run of the project (of any project, without one) has."""
    projects = [p.name for p in api.projects()]
    if project is not None and project not in projects:
        raise CliInputError(did_you_mean(project, projects, "project") + _see("heron runs ls"))
    fields = list(filter_fields(filter_)) + [parse_order_term(term)[0] for term in sort]
    named = [f for f in fields if f.kind in _PREFIX]
    if not named:
        return
    keys = [api.project_keys(p) for p in ([project] if project else projects)]
    for f in named:
        known = _known(keys, f.kind)
        if f.key in known or any(k.startswith(f.key + ".") for k in known):
            continue
        prefix = _PREFIX[f.kind]
        message = did_you_mean(prefix + f.key, (prefix + k for k in known), "key")
        where = f"project {project!r}" if project else "any project"
        raise CliInputError(f"{message} (no run of {where} has that {f.kind} key)")
    _warn_type_mismatches(api, project, filter_)


SAMPLE_RUNS = 500  # runs whose config a type check looks at


def _warn_type_mismatches(api: Api, project: str | None, filter_: str | None) -> None:
    """Warn (stderr) when the filter compares a config path with a number where the
    runs hold text there, or with text where they hold numbers: types never mix
    (docs/query.md), so such a comparison matches nothing."""
    compared = [(f, v) for f, v in _compared(filter_) if f.kind == "config"]
    if not compared:
        return
    configs = [flatten(run.config) for run in api.runs(project, limit=SAMPLE_RUNS)]
    for f, value in compared:
        held = [c[f.key] for c in configs if f.key in c and c[f.key] is not None]
        numbers = [x for x in held if isinstance(x, (int, float)) and not isinstance(x, bool)]
        texts = [x for x in held if isinstance(x, str)]
        if value.kind == "number" and texts and not numbers:
            said = f"a number ({value.value:g})" if isinstance(value.value, float) else "a number"
            hint = f'quote it: config.{f.key} = "{texts[0]}"'
        elif value.kind == "string" and numbers and not texts:
            said = f"text ({value.value!r})"
            hint = "leave the quotes out to compare numbers"
        else:
            continue
        kind = "text" if texts else "numbers"
        click.echo(
            f"warning: config.{f.key} holds {kind} in these runs and is compared with "
            f"{said}, which never matches {kind}; {hint}",
            err=True,
        )


def _compared(text: str | None) -> Iterator[tuple[nodes.Field, nodes.Value]]:
    """(field, value) of each comparison and ``in`` list of a filter."""
    if not text:
        return
    stack: list[nodes.Expr] = [parse(text)]
    while stack:
        expr = stack.pop()
        if isinstance(expr, (nodes.And, nodes.Or)):
            stack.extend(expr.operands)
        elif isinstance(expr, nodes.Not):
            stack.append(expr.operand)
        elif isinstance(expr, nodes.Compare):
            yield expr.field, expr.value
        elif isinstance(expr, nodes.In):
            yield from ((expr.field, v) for v in expr.values)


def _known(keys: Sequence[ProjectKeys], kind: str) -> set[str]:
    if kind == "config":
        return {k for pk in keys for k in pk.config}
    return {k for pk in keys for k in (*pk.metrics, *pk.summary)}


def _see(command: str) -> str:
    return f" (`{command}` without -p lists every project's runs)"


def filter_fields(text: str | None) -> Iterator[nodes.Field]:
    if not text:
        return
    stack: list[nodes.Expr] = [parse(text)]
    while stack:
        expr = stack.pop()
        if isinstance(expr, (nodes.And, nodes.Or)):
            stack.extend(expr.operands)
        elif isinstance(expr, nodes.Not):
            stack.append(expr.operand)
        elif not isinstance(expr, nodes.MatchAll):
            yield expr.field
