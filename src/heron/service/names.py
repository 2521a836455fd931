"""Names a run query is given (a project, the config and metric keys of a filter or a
sort) checked against what the store holds: an unknown one is an ``InvalidInput`` that
suggests the closest known names, instead of an empty result that looks like "no
runs". ``heron.Api``, the server's run searches and the CLI (exit status 2) all call
:meth:`heron.service.Tracking.check_query`, which calls :func:`check_query`.

A comparison that can never match because types never mix (docs/query.md) is not an
error: it is returned as a warning for the skin to pass on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from heron.errors import InvalidInput
from heron.store.base import ProjectKeys, RunStore
from heron.store.sql import SqlStore

if TYPE_CHECKING:
    from heron.query import nodes

# The query language and difflib are imported by the checks that use them: a process
# that only ships runs (the SDK's writer goes through this package) never needs them.

_PREFIX = {"config": "config.", "metric": "metrics."}
SAMPLE_RUNS = 500  # runs whose config a type check looks at


class QueryWarning(UserWarning):
    """A query that can never match what it compares (``heron.Api`` warns with it)."""


def did_you_mean(name: str, known: Iterable[str], what: str) -> str:
    """``no <what> 'name'; did you mean 'x' or 'y'?`` (or the known names, when few)."""
    import difflib

    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        hint = " or ".join(repr(c) for c in close)
        return f"no {what} {name!r}; did you mean {hint}?"
    if not known:
        return f"no {what} {name!r} (there are none)"
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    return f"no {what} {name!r} (known: {shown})"


def check_query(
    store: RunStore,
    projects: Sequence[str],
    project: str | None,
    filter: str | None,
    order_by: Sequence[str] = (),
) -> list[str]:
    """Raise InvalidInput for an unknown project (one not in ``projects``: those the
    caller may read), or a config/metric key in the filter or the sort that no run of
    the project (of any of ``projects``, without one) has. Returns warnings: the
    filter's comparisons that can never match (:func:`type_mismatches`)."""
    if project is not None and project not in projects:
        raise InvalidInput(
            did_you_mean(project, projects, "project")
            + " (leave the project out to search every project's runs)"
        )
    from heron.query.parser import parse_order_term

    fields = [*filter_fields(filter), *(parse_order_term(term)[0] for term in order_by)]
    named = [f for f in fields if f.kind in _PREFIX]
    if not named:
        return []
    scope = [project] if project else list(projects)
    if isinstance(store, SqlStore) and _all_held(store, scope, named):
        return type_mismatches(store, project, filter)
    # A key is missing (or the store is a server's): every key, for "did you mean"
    keys = [store.project_keys(p) for p in scope]
    for f in named:
        known = _known(keys, f.kind)
        if f.key in known or any(k.startswith(f.key + ".") for k in known):
            continue
        prefix = _PREFIX[f.kind]
        message = did_you_mean(prefix + f.key, (prefix + k for k in known), "key")
        where = f"project {project!r}" if project else "any project"
        raise InvalidInput(f"{message} (no run of {where} has that {f.kind} key)")
    return type_mismatches(store, project, filter)


def type_mismatches(store: RunStore, project: str | None, filter: str | None) -> list[str]:
    """The filter's comparisons of a config path with a number where the runs hold
    text there, or with text where they hold numbers: types never mix (docs/query.md),
    so such a comparison matches nothing. One message each, with the fix."""
    compared = [(f, v) for f, v in _compared(filter) if f.kind == "config"]
    if not compared:
        return []
    held = _held_values(store, project, sorted({f.key for f, _ in compared}))
    found = []
    for f, value in compared:
        numbers, texts = held.get(f.key, (False, []))
        if value.kind == "number" and texts and not numbers:
            said = f"a number ({value.value:g})" if isinstance(value.value, float) else "a number"
            hint = f'quote it: config.{f.key} = "{texts[0]}"'
        elif value.kind == "string" and numbers and not texts:
            said = f"text ({value.value!r})"
            hint = "leave the quotes out to compare numbers"
        else:
            continue
        kind = "text" if texts else "numbers"
        found.append(
            f"config.{f.key} holds {kind} in these runs and is compared with {said}, "
            f"which never matches {kind}; {hint}"
        )
    return found


def _all_held(store: SqlStore, projects: Sequence[str], fields: Sequence[nodes.Field]) -> bool:
    """Whether a run of ``projects`` holds each field's key: one indexed EXISTS per key
    (the keys of every run of the project are read only when one is missing)."""
    for kind in _PREFIX:
        wanted = [f.key for f in fields if f.kind == kind]
        if wanted and len(store.held_keys(projects, kind, wanted)) < len(set(wanted)):
            return False
    return True


def _held_values(
    store: RunStore, project: str | None, keys: Sequence[str]
) -> dict[str, tuple[bool, list[str]]]:
    """For each config path of ``keys``: whether the newest SAMPLE_RUNS runs hold a
    number there, and the texts they hold there (newest first)."""
    out: dict[str, tuple[bool, list[str]]] = {}
    if isinstance(store, SqlStore):  # the types and texts only, in one query per path
        for key, rows in store.config_samples(project, keys, SAMPLE_RUNS).items():
            texts = [value for vtype, value in rows if vtype == "str" and value is not None]
            out[key] = (any(vtype in ("int", "float") for vtype, _ in rows), texts)
        return out
    # Only the compared paths of the newest runs, as columns: no run decoded whole.
    columns = [f"config.{key}" for key in keys]
    table = store.runs_table(project, columns=columns, limit=SAMPLE_RUNS).columns
    for key in keys:
        held = [x for x in table.get(f"config.{key}", []) if x is not None]
        numbers = [x for x in held if isinstance(x, (int, float)) and not isinstance(x, bool)]
        out[key] = (bool(numbers), [x for x in held if isinstance(x, str)])
    return out


def _compared(text: str | None) -> Iterator[tuple[nodes.Field, nodes.Value]]:
    """(field, value) of each comparison and ``in`` list of a filter."""
    from heron.query import nodes

    for expr in _leaves(text):
        if isinstance(expr, nodes.Compare):
            yield expr.field, expr.value
        elif isinstance(expr, nodes.In):
            yield from ((expr.field, v) for v in expr.values)


def _known(keys: Sequence[ProjectKeys], kind: str) -> set[str]:
    if kind == "config":
        return {k for pk in keys for k in pk.config}
    return {k for pk in keys for k in (*pk.metrics, *pk.summary)}


def filter_fields(text: str | None) -> Iterator[nodes.Field]:
    """The fields a filter names, each comparison's."""
    from heron.query import nodes

    for expr in _leaves(text):
        if isinstance(expr, (nodes.Compare, nodes.In, nodes.Like, nodes.Has, nodes.Exists)):
            yield expr.field


def _leaves(text: str | None) -> Iterator[nodes.Expr]:
    if not text:
        return
    from heron.query import nodes
    from heron.query.parser import parse

    stack: list[nodes.Expr] = [parse(text)]
    while stack:
        expr = stack.pop()
        if isinstance(expr, (nodes.And, nodes.Or)):
            stack.extend(expr.operands)
        elif isinstance(expr, nodes.Not):
            stack.append(expr.operand)
        else:
            yield expr
