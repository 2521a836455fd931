"""Databases for the filter-language tests: a SQLite file and a fresh PostgreSQL database.

Both are built with ``schema.metadata.create_all`` and filled with the same small set
of runs (``RUNS`` below), once per test module. The ``db`` fixture runs a test on
each; PostgreSQL tests skip when the server is unreachable, and fail under CI=true.

The PostgreSQL database uses an ICU en-US collation, where "B" < "a" does not hold,
so a missing COLLATE "C" shows up as a different order than SQLite's.
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select

from heron.query import (
    And,
    Compare,
    Exists,
    Expr,
    Field,
    Has,
    In,
    Like,
    MatchAll,
    Not,
    Or,
    Value,
    parse,
)
from heron.query.fields import time_value
from heron.store import schema
from heron.store.filter_sql import compile_filter
from heron.store.order_sql import compile_order
from heron.store.values import dumps

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test connect_timeout=3"

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()
DAY = 86400.0
NAN = float("nan")


@dataclass
class Run:
    id: str
    project: str
    name: str
    state: str
    created_at: float
    group: str | None = None
    notes: str = ""
    ended_at: float | None = None
    heartbeat_at: float | None = None
    # key -> (vtype, num, text)
    config: dict[str, tuple[str, float | None, str | None]] = field(default_factory=dict)
    # key -> run_summary columns (value, count, last, min, max, override)
    summary: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


def metric(value: float | None, count: int = 1, **cols: Any) -> dict[str, Any]:
    out = {"value": value, "count": count, "last": value, "min": value, "max": value}
    out.update(cols)
    return out


def override(value: Any, *, ascii_json: bool = True) -> dict[str, Any]:
    """A summary value set by run.summary[k] = value on a key that is no metric."""
    number = float(value) if isinstance(value, (int, float)) else None
    text = json.dumps(value, ensure_ascii=ascii_json)
    return {"value": number, "count": 0, "override": text}


PROJECTS = {"vision": 1, "nlp": 2}
RUNS = [
    Run(
        "r1",
        "vision",
        "resnet-a",
        "finished",
        T0,
        group="sweep1",
        notes="baseline run",
        ended_at=T0 + 100,
        config={
            "lr": ("float", 0.001, None),
            "batch": ("int", 32, None),
            "opt.name": ("str", None, "adam"),
            "opt.momentum": ("float", 0.9, None),
            "flag": ("bool", 1, None),
            "layers": ("list", None, "[1, 2]"),
        },
        summary={
            "val/acc": metric(0.95, 10, min=0.5),
            "train/loss": metric(0.2, 10, max=2.5),
            "epoch": metric(9, 9),
            "best:model": override("resnet"),
        },
        tags=("baseline", "resnet"),
    ),
    Run(
        "r2",
        "vision",
        "resnet-b",
        "failed",
        T0 + 3600,
        group="sweep1",
        heartbeat_at=T0 + 3650,
        config={
            "lr": ("float", 0.01, None),
            "batch": ("int", 64, None),
            "opt.name": ("str", None, "sgd"),
            "flag": ("bool", 0, None),
            "seed": ("null", None, None),
        },
        summary={
            "val/acc": metric(0.85, 3),
            "train/loss": metric(NAN, 5, min=0.3, max=NAN),
            "epoch": metric(10, 10),
        },
        tags=("resnet",),
    ),
    Run(
        "r3",
        "vision",
        "ResNet_c",
        "running",
        T0 + DAY,
        notes="100% done_",
        config={
            "lr": ("str", None, "auto"),
            "batch": ("int", 9, None),
            "opt.name": ("str", None, "Adam"),
            "a b": ("int", 1, None),
        },
        summary={"val/acc": metric(0.9, 7), "val acc": metric(0.7), "epoch": metric(100, 100)},
        tags=("Baseline",),
    ),
    Run(
        "r4",
        "nlp",
        "bert%1",
        "finished",
        T0 - DAY,
        group="g2",
        ended_at=T0 - DAY + 10,
        config={
            "lr": ("float", 0.1, None),
            "batch": ("int", 10, None),
            "seed": ("int", 1, None),
            "flag": ("bool", 1, None),
            "opt.name": ("str", None, "zeta"),
        },
        summary={"val/acc": metric(9.0, 2), "epoch": metric(-1, 1)},
        tags=("nlp", "50%_off"),
    ),
    Run(
        "r5",
        "nlp",
        "gpt?*",
        "crashed",
        T0 + 2 * DAY,
        ended_at=T0 + 2 * DAY - 5,
        config={"lr": ("float", NAN, None), "batch": ("str", None, "10")},
        summary={"best:model": override("café"), "note": override("ünï", ascii_json=False)},
    ),
    Run("r6", "vision", "empty", "killed", T0 + 3 * DAY),
]
RUN_IDS = frozenset(r.id for r in RUNS)

# The runs' system records (what heron.init and run.use_dataset write), for the
# system.* and datasets.* fields; written with the store's own JSON (NaN as a token).
_PKG = {"name": "torch", "version": "2.5.1"}
SYSTEMS: dict[str, dict[str, Any]] = {
    "r1": {
        "heron": {"version": "0.1.0"},
        "git": {"commit": "a1b2c3", "branch": "main", "dirty": False, "remote_url": None},
        "program": {"python": {"version": "3.12.4"}},
        "packages": [_PKG, {"name": "PyYAML", "version": "6.0.2"}],
        "datasets": {"train": {"digest": "sha256:aaa", "file_count": 3, "bytes": 1000}},
    },
    "r2": {
        "git": {"commit": "d4e5f6", "branch": None, "dirty": True},
        "program": {"python": {"version": "3.10.1"}},
        "packages": [{"name": "torch", "version": "2.4.0"}, {"name": "zope.interface"}],
        "datasets": {
            "train": {"digest": "sha256:bbb", "file_count": 30, "bytes": NAN},
            "my.val set": {"digest": "sha256:ccc", "file_count": 1},
        },
        "custom": {"loss": NAN, "inf": [float("-inf"), float("inf")]},
    },
    "r3": {"git": {"commit": 12, "dirty": "yes"}, "packages": {"torch": "2.5.1"}},
    "r4": {"git": None, "program": {"python": {"version": "3.12.4"}}, "packages": [_PKG]},
}


def fill(engine: Engine) -> None:
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(schema.projects),
            [{"id": i, "name": n, "created_at": T0} for n, i in PROJECTS.items()],
        )
        for r in RUNS:
            conn.execute(
                insert(schema.runs).values(
                    id=r.id,
                    project_id=PROJECTS[r.project],
                    name=r.name,
                    group_name=r.group,
                    state=r.state,
                    notes=r.notes,
                    created_at=r.created_at,
                    ended_at=r.ended_at,
                    heartbeat_at=r.heartbeat_at,
                    system=dumps(SYSTEMS.get(r.id, {})),
                )
            )
            for key, (vtype, num, text) in r.config.items():
                conn.execute(
                    insert(schema.run_config).values(
                        run_id=r.id, key=key, vtype=vtype, num=num, text=text
                    )
                )
            for key, cols in r.summary.items():
                conn.execute(insert(schema.run_summary).values(run_id=r.id, key=key, **cols))
            for tag in r.tags:
                conn.execute(insert(schema.run_tags).values(run_id=r.id, tag=tag))


class Db:
    """One filled database and the two questions the tests ask of it."""

    def __init__(self, name: str, engine: Engine) -> None:
        self.name = name
        self.engine = engine

    def ids(self, text: str) -> set[str]:
        """Ids of the runs ``text`` selects (FROM runs JOIN projects, as the store does)."""
        joined = schema.runs.join(schema.projects, schema.runs.c.project_id == schema.projects.c.id)
        query = select(schema.runs.c.id).select_from(joined).where(compile_filter(text))
        with self.engine.connect() as conn:
            found = {row[0] for row in conn.execute(query)}
            # The clause needs no join: counting over runs alone gives the same.
            count_query = select(func.count()).select_from(schema.runs)
            assert conn.execute(count_query.where(compile_filter(text))).scalar() == len(found)
        return found

    def order(self, terms: Sequence[str], filter: str = "") -> list[str]:
        """Run ids sorted by ``terms``, ties broken by id."""
        query = (
            select(schema.runs.c.id)
            .where(compile_filter(filter))
            .order_by(*compile_order(terms), schema.runs.c.id)
        )
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    path = tmp_path_factory.mktemp("query") / "heron.db"
    engine = create_engine(f"sqlite:///{path}")
    fill(engine)
    yield Db("sqlite", engine)
    engine.dispose()


def _unreachable(reason: str) -> None:
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} (user postgres, database test): {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def postgres_db() -> Iterator[Db]:
    try:
        import psycopg
    except ImportError:
        _unreachable("psycopg is not installed (pip install 'heron[postgres]')")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.Error as err:
        _unreachable(f"unreachable ({str(err).strip()})")
    name = f"heron_query_{uuid.uuid4().hex[:12]}"  # others run tests on this server too
    try:
        try:
            admin.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
            )
        except psycopg.Error:  # a server without ICU (or before PostgreSQL 15)
            admin.execute(f"CREATE DATABASE {name}")
        engine = create_engine(f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}")
        try:
            fill(engine)
            yield Db("postgres", engine)
        finally:
            engine.dispose()
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def db(request: pytest.FixtureRequest) -> Db:
    """Each test that takes ``db`` runs on SQLite and on PostgreSQL."""
    fixture: Db = request.getfixturevalue(f"{request.param}_db")
    return fixture


# --- a reference implementation of the documented semantics, in Python -------------------
def _number(x: Any) -> float | None:
    """A comparable number, or None for a missing value, NULL or NaN."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


CMP: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _duration(r: Run) -> float | None:
    end = r.ended_at if r.ended_at is not None else r.heartbeat_at
    return None if end is None else max(0.0, end - r.created_at)


def _one(f: Field, op: str, v: Value, r: Run) -> bool:
    cmp = CMP[op]
    if f.kind == "config":
        if f.key not in r.config:
            return False
        vtype, num, text = r.config[f.key]
        if v.kind == "number":
            return vtype in ("int", "float") and _number(num) is not None and cmp(num, v.value)
        if v.kind == "string":
            return vtype == "str" and cmp(text, v.value)
        if v.kind == "bool":
            return vtype == "bool" and num == (1 if v.value else 0)
        return vtype == "null"
    if f.kind == "metric":
        if f.key not in r.summary:
            return False
        row = r.summary[f.key]
        if v.kind == "string":
            stored = row.get("override")
            return stored in (json.dumps(v.value), json.dumps(v.value, ensure_ascii=False))
        column = _number(row.get(f.part))
        return column is not None and cmp(column, v.value)
    if f.kind == "tags":
        return v.value in r.tags
    if f.key == "created":
        return cmp(r.created_at, time_value(v))
    if f.key == "duration":
        span = _duration(r)
        return span is not None and cmp(span, v.value)
    column = getattr(r, f.key)
    if v.kind == "null":
        return column is None
    return column is not None and cmp(column, v.value)


def _presence(f: Field, r: Run) -> bool:
    if f.kind == "config":
        return f.key in r.config
    if f.kind == "metric":
        row = r.summary.get(f.key)
        return row is not None and (f.part == "value" or _number(row.get(f.part)) is not None)
    if f.kind == "tags":
        return bool(r.tags)
    if f.key == "duration":
        return _duration(r) is not None
    return f.key == "created" or getattr(r, f.key) is not None


def _negated(f: Field, positive: bool, r: Run) -> bool:
    return not positive if f.kind == "tags" else _presence(f, r) and not positive


def evaluate(expr: Expr, r: Run) -> bool:
    """Does run ``r`` match ``expr``, per docs/query.md (independent of the SQL)."""
    if isinstance(expr, MatchAll):
        return True
    if isinstance(expr, And):
        return all(evaluate(e, r) for e in expr.operands)
    if isinstance(expr, Or):
        return any(evaluate(e, r) for e in expr.operands)
    if isinstance(expr, Not):
        return not evaluate(expr.operand, r)
    if isinstance(expr, Compare):
        if expr.op == "!=":
            return _negated(expr.field, _one(expr.field, "=", expr.value, r), r)
        return _one(expr.field, expr.op, expr.value, r)
    if isinstance(expr, In):
        positive = any(_one(expr.field, "=", v, r) for v in expr.values)
        return _negated(expr.field, positive, r) if expr.negated else positive
    if isinstance(expr, Like):
        f, pattern = expr.field, glob_regex(str(expr.pattern.value))
        if f.kind == "config":
            vtype, _, text = r.config.get(f.key, ("", None, None))
            positive = vtype == "str" and pattern.fullmatch(str(text)) is not None
        elif f.kind == "tags":
            positive = any(pattern.fullmatch(t) for t in r.tags)
        else:
            column = getattr(r, f.key)
            positive = column is not None and pattern.fullmatch(column) is not None
        return _negated(f, positive, r) if expr.negated else positive
    if isinstance(expr, Has):
        return expr.tag.value in r.tags
    assert isinstance(expr, Exists)
    return _presence(expr.field, r) != expr.negated


def expected_ids(text: str) -> set[str]:
    expr = parse(text)
    return {r.id for r in RUNS if evaluate(expr, r)}


@pytest.fixture(scope="session")
def reference() -> Callable[[str], set[str]]:
    """Ids of the runs a filter selects, by the Python reference implementation."""
    return expected_ids
