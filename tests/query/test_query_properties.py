"""Property tests: text round trips, no crash on any input, and random filters select
the same runs on SQLite, PostgreSQL and the Python reference implementation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.errors import FilterSyntaxError
from heron.query import (
    And,
    Compare,
    Exists,
    Expr,
    Field,
    Has,
    In,
    Like,
    Not,
    Or,
    Value,
    parse,
    unparse,
)
from heron.query.nodes import CompareOp, MetricPart
from heron.states import RUN_STATES
from heron.store.filter_sql import compile_filter

Db = Any  # conftest.Db

# Keys and values of the runs in conftest.py, plus some that no run has.
CONFIG_KEYS = ["lr", "batch", "opt.name", "opt.momentum", "flag", "seed", "a b", "layers", "x"]
METRIC_KEYS = ["val/acc", "train/loss", "epoch", "best:model", "note", "val acc", "x"]
NUMBERS = [0.001, 0.01, 0.1, 0.9, 0.95, 0.85, 0.3, 0.2, 2.5, 0, 1, 9, 10, 32, 64, 100, -1]
STRINGS = ["auto", "adam", "Adam", "sgd", "zeta", "10", "5", "a", "", "resnet", "café", "ünï"]
GLOBS = ["*", "res*", "?dam", "*%*", "*_*", "B*", "gpt\\?\\*", "*e*", "s*", "a?c"]
TIMES = ["2026-11-01", "2026-11-01T01:00", "2026-10-31 00:00:10Z", "2026-11-02T00:00+01:00"]

numbers = st.one_of(
    st.sampled_from(NUMBERS).map(float),
    st.floats(-200, 200, allow_nan=False, allow_infinity=False),
)
# Any text but NUL and lone surrogates, which the parser rejects (no database stores them).
chars = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
strings = st.one_of(st.sampled_from(STRINGS), st.text(chars, max_size=6))
globs = st.one_of(st.sampled_from(GLOBS), st.text("ab*?%_\\[", max_size=6))
ops: st.SearchStrategy[CompareOp] = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
eq_ops: st.SearchStrategy[CompareOp] = st.sampled_from(["=", "!="])


def num(x: float) -> Value:
    return Value("number", x)


def text(x: str) -> Value:
    return Value("string", x)


@st.composite
def config_predicates(draw: st.DrawFn) -> Expr:
    f = Field("config", draw(st.sampled_from(CONFIG_KEYS)))
    kind = draw(st.sampled_from(["number", "string", "bool", "null", "in", "like", "exists"]))
    if kind == "number":
        return Compare(f, draw(ops), num(draw(numbers)))
    if kind == "string":
        return Compare(f, draw(ops), text(draw(strings)))
    if kind == "bool":
        return Compare(f, draw(eq_ops), Value("bool", draw(st.booleans())))
    if kind == "null":
        return Compare(f, draw(eq_ops), Value("null", None))
    if kind == "in":
        values = st.one_of(
            numbers.map(num),
            strings.map(text),
            st.booleans().map(lambda b: Value("bool", b)),
            st.just(Value("null", None)),
        )
        return In(f, tuple(draw(st.lists(values, min_size=1, max_size=4))), draw(st.booleans()))
    if kind == "like":
        return Like(f, text(draw(globs)), draw(st.booleans()))
    return Exists(f, draw(st.booleans()))


@st.composite
def metric_predicates(draw: st.DrawFn) -> Expr:
    parts: list[MetricPart] = ["value", "value", "min", "max", "last", "count"]
    part = draw(st.sampled_from(parts))
    f = Field("metric", draw(st.sampled_from(METRIC_KEYS)), part)
    kind = draw(st.sampled_from(["number", "string", "in", "exists"]))
    if kind == "string" and part == "value":
        return Compare(f, draw(eq_ops), text(draw(strings)))
    if kind == "in":
        values = numbers.map(num)
        if part == "value":
            values = st.one_of(values, strings.map(text))
        return In(f, tuple(draw(st.lists(values, min_size=1, max_size=3))), draw(st.booleans()))
    if kind == "exists":
        return Exists(f, draw(st.booleans()))
    return Compare(f, draw(ops), num(draw(numbers)))


@st.composite
def attr_predicates(draw: st.DrawFn) -> Expr:
    name = draw(st.sampled_from(["name", "state", "group", "id", "project", "notes"]))
    f = Field("attr", name)
    kind = draw(st.sampled_from(["compare", "in", "like", "exists", "null"]))
    values = st.sampled_from(RUN_STATES) if name == "state" else strings
    if kind == "null" and name == "group":
        return Compare(f, draw(eq_ops), Value("null", None))
    if kind == "in":
        items = draw(st.lists(values.map(text), min_size=1, max_size=3))
        return In(f, tuple(items), draw(st.booleans()))
    if kind == "like":
        return Like(f, text(draw(globs)), draw(st.booleans()))
    if kind == "exists":
        return Exists(f, draw(st.booleans()))
    op = draw(ops)
    if name == "state" and op not in ("=", "!="):
        values = strings
    return Compare(f, op, text(draw(values)))


@st.composite
def time_predicates(draw: st.DrawFn) -> Expr:
    if draw(st.booleans()):
        value = draw(st.one_of(st.sampled_from(TIMES).map(text), numbers.map(num)))
        return Compare(Field("attr", "created"), draw(ops), value)
    f = Field("attr", "duration")
    if draw(st.booleans()):
        return Exists(f, draw(st.booleans()))
    return Compare(f, draw(ops), num(draw(st.sampled_from([0.0, 10.0, 50.0, 100.0, 30.0]))))


@st.composite
def tag_predicates(draw: st.DrawFn) -> Expr:
    f = Field("tags", "tags")
    tags = st.one_of(st.sampled_from(["baseline", "Baseline", "resnet", "nlp", "50%_off"]), strings)
    kind = draw(st.sampled_from(["has", "in", "like", "exists"]))
    if kind == "has":
        return Has(f, text(draw(tags)))
    if kind == "in":
        items = draw(st.lists(tags.map(text), min_size=1, max_size=3))
        return In(f, tuple(items), draw(st.booleans()))
    if kind == "like":
        return Like(f, text(draw(globs)), draw(st.booleans()))
    return Exists(f, draw(st.booleans()))


predicates = st.one_of(
    config_predicates(), metric_predicates(), attr_predicates(), time_predicates(), tag_predicates()
)
filters = st.recursive(
    predicates,
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(filters)
def test_unparse_round_trips(expr: Expr) -> None:
    assert parse(unparse(expr)) == expr


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["config", "metrics"]), st.text(chars, min_size=1, max_size=12))
def test_any_key_round_trips(prefix: str, key: str) -> None:
    kind = "config" if prefix == "config" else "metric"
    expr = Exists(Field(kind, key))  # type: ignore[arg-type]
    assert parse(unparse(expr)) == expr


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_filter_syntax_error(text: str) -> None:
    try:
        expr = parse(text)
    except FilterSyntaxError as err:
        assert 0 <= err.position <= len(text)
        assert f"at column {err.position + 1}" in err.message
    else:
        compile_filter(text)
        assert parse(unparse(expr)) == expr


TOKENS = [
    "config.lr", "metrics.val/acc", "tags", "state", "created", "min(metrics.x)", "(", ")",
    "and", "or", "not", "in", "like", "has", "exists", "=", "!=", "<", ">=", ",", "1",
    "-2.5e3", '"finished"', "'x*'", "true", "null", "`a b`", "config.`k`",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=12))
def test_token_soup_parses_or_raises_filter_syntax_error(tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        parse(text)
    except FilterSyntaxError as err:
        assert 0 <= err.position <= len(text)


@pytest.mark.parametrize("examples", [75])
def test_random_filters_match_the_reference(
    db: Db, reference: Callable[[str], set[str]], examples: int
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(filters)
    def check(expr: Expr) -> None:
        text = unparse(expr)
        assert db.ids(text) == reference(text), text

    check()
