"""Simple searches on SQLite run as SQL text (``heron.store.reads.search_sql``): the
text and parameters must be exactly what SQLAlchemy compiles from
``heron.store.filter_sql`` and ``heron.store.order_sql``, so that the two select and
sort the same runs; any other search goes through SQLAlchemy."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from heron.errors import FilterSyntaxError, InvalidInput
from heron.query.nodes import Value
from heron.query.unparse import unparse_value
from heron.store import open_store, reads
from heron.store.base import Batch, RunSpec, Series
from heron.store.sql import SqlStore

Page = tuple[str | None, str | None, Sequence[str], int | None, int]


def compiled(project: str | None, filter: str | None, order: Sequence[str],
             limit: int | None, offset: int) -> tuple[str, list[Any]]:  # fmt: skip
    """What SQLAlchemy compiles for SQLite from the same search (reads.page)."""
    query = reads.page(reads.runs_query(), project, filter, order, limit, offset)
    done = query.compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True})
    assert done.positiontup is not None
    return str(done), [done.params[name] for name in done.positiontup]


SIMPLE: list[Page] = [
    ("bench", None, [], None, 0),
    (None, None, [], 10, 0),
    ("bench", "", [], None, 5),
    (None, "  ", ["-metrics.val/acc"], 3, 2),
    ("bench", "config.lr < 0.01 and metrics.val/acc >= 0.5", ["-metrics.val/acc"], 100, 0),
    (None, "config.lr < 0.01", [], None, 0),
    (None, 'config.opt >= "adam" and config.opt < "b"', ["min(metrics.loss)"], 0, 0),
    ("p", 'config.opt = "adam"', ["metrics.a", "-max(metrics.b)", "last(metrics.c)"], 5, 7),
    ("p", "config.lr in (0.1, 0.2, 0.1)", [], None, 0),
    ("p", 'config.name in ("a", "b")', [], None, 0),
    (None, "max(metrics.a) = 3 and min(metrics.a) > -1 and last(metrics.a) <= 9", [], 1, 0),
    (None, "metrics.`a b` in (1, 2) and config.`x.y` > 1e300", ["-metrics.`a b`"], None, 0),
    (None, "config.a.b = 1 and config.c = 2 and metrics.x < 1 and metrics.x > 0", [], None, 0),
]
OTHER: list[Page] = [  # anything else: SQLAlchemy
    (None, "config.lr != 0.1", [], None, 0),
    (None, "config.lr = true", [], None, 0),
    (None, "config.lr = null", [], None, 0),
    (None, 'config.lr in (1, "a")', [], None, 0),
    (None, "config.lr not in (1, 2)", [], None, 0),
    (None, 'metrics.a = "x"', [], None, 0),
    (None, "count(metrics.a) > 1", [], None, 0),
    (None, "config.lr < 1 or metrics.a > 1", [], None, 0),
    (None, "not config.lr < 1", [], None, 0),
    (None, "config.lr exists", [], None, 0),
    (None, 'tags has "a"', [], None, 0),
    (None, 'state = "finished"', [], None, 0),
    (None, "config.lr < 1 and (metrics.a > 1 and metrics.b > 1)", [], None, 0),
    (None, None, ["config.lr"], None, 0),
    (None, None, ["-metrics.a", "name"], None, 0),
    (None, None, ["count(metrics.a)"], None, 0),
    (None, None, "-metrics.a", None, 0),  # a term, not a list
]


@pytest.mark.parametrize("search", SIMPLE)
def test_simple_searches_are_the_text_sqlalchemy_compiles(search: Page) -> None:
    assert reads.search_sql(*search) == compiled(*search)


@pytest.mark.parametrize("search", OTHER)
def test_other_searches_go_through_sqlalchemy(search: Page) -> None:
    assert reads.search_sql(*search) is None


ops = st.sampled_from(["=", "<", "<=", ">", ">="])
keys = st.sampled_from(["lr", "a.b", "val/acc", "x y", "key", "ü"])
numbers = st.floats(allow_nan=False, allow_infinity=False).map(lambda x: Value("number", x))
strings = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
texts = strings.map(lambda x: Value("string", x))


def _key(key: str) -> str:
    return f"`{key}`" if " " in key else key


@st.composite
def predicates(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["config", "metrics", "min", "max", "last"]))
    field = f"{kind}.{_key(draw(keys))}" if kind in ("config", "metrics") else ""
    if not field:
        field = f"{kind}(metrics.{_key(draw(keys))})"
    values = numbers if kind != "config" else draw(st.sampled_from([numbers, texts]))
    if draw(st.booleans()):
        listed = draw(st.lists(values, min_size=1, max_size=3))
        return f"{field} in ({', '.join(unparse_value(v) for v in listed)})"
    return f"{field} {draw(ops)} {unparse_value(draw(values))}"


sorts = st.lists(
    st.builds(
        lambda sign, part, key: f"{sign}{part.format(f'metrics.{_key(key)}')}",
        st.sampled_from(["", "-", "+"]),
        st.sampled_from(["{}", "min({})", "max({})", "last({})"]),
        keys,
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), st.just("p")),
    st.lists(predicates(), max_size=4),
    sorts,
    st.one_of(st.none(), st.integers(0, 1000)),
    st.integers(0, 1000),
)
def test_random_simple_searches_are_the_text_sqlalchemy_compiles(
    project: str | None, tests: list[str], order: list[str], limit: int | None, offset: int
) -> None:
    search = (project, " and ".join(tests), order, limit, offset)
    assert reads.search_sql(*search) == compiled(*search)


@pytest.mark.parametrize(
    "search",
    [
        (None, "config.lr < ", [], None, 0),
        (None, "config.lr < 1", ["-"], None, 0),
        (None, "config.lr < 1", ["tags"], None, 0),
        (None, "config.lr < 1 and", ["-metrics.a"], None, 0),
    ],
)
def test_bad_filters_and_sorts_fail_as_through_sqlalchemy(search: Page) -> None:
    with pytest.raises(FilterSyntaxError) as by_text:
        reads.search_sql(*search) or compiled(*search)
    with pytest.raises(FilterSyntaxError) as by_sqlalchemy:
        compiled(*search)
    assert str(by_text.value) == str(by_sqlalchemy.value)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    """Runs with config, metrics, missing values, NaN, ties and a second project."""
    with open_store(f"sqlite:///{tmp_path / 'heron.db'}") as store:
        for i in range(12):
            run_id = f"run{i:07d}"
            config: dict[str, Any] = {
                "lr": [0.1, 0.01, 0.001][i % 3],
                "opt": ["adam", "sgd"][i % 2],
            }
            if i % 5 == 4:
                config = {"lr": "auto"}
            project = "other" if i == 11 else "vision"
            store.create_run(
                RunSpec(id=run_id, project=project, config=config, created_at=float(i // 2))
            )
            acc = [0.5, 0.9, math.nan, 0.7][i % 4]
            values = {"acc": [acc / 2, acc], "loss": [1.0 / (i + 1)]} if i % 6 else {}
            metrics = {
                key: Series(
                    np.arange(len(v), dtype=np.int64), np.zeros(len(v)), np.array(v, dtype=float)
                )
                for key, v in values.items()
            }
            store.ingest(Batch(run_id, 1, metrics, []))
        yield store


def test_text_and_sqlalchemy_searches_find_the_same_runs(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches: list[tuple[str | None, str, list[str], int | None, int]] = [
        ("vision", "config.lr < 0.05 and metrics.acc >= 0.5", ["-metrics.acc"], 100, 0),
        (None, 'config.opt = "adam"', ["max(metrics.acc)", "-metrics.loss"], None, 0),
        (None, "min(metrics.acc) > 0.2", ["-last(metrics.acc)"], 3, 1),
        ("vision", 'config.lr in (0.1, 0.01) and config.opt > "b"', [], None, 2),
        (None, "", ["metrics.loss"], None, 0),
    ]
    for search in searches:
        assert reads.search_sql(*search) is not None
    by_text = [store.search_runs(*search) for search in searches]
    monkeypatch.setattr(reads, "search_sql", lambda *search: None)
    by_sqlalchemy = [store.search_runs(*search) for search in searches]
    assert by_text == by_sqlalchemy
    assert all(by_text) and len({len(found) for found in by_text}) > 1  # the test can fail


def test_a_bad_page_is_refused_before_any_sql(store: SqlStore) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        store.search_runs("vision", "config.lr < 1", [], -1)
    with pytest.raises(InvalidInput, match="offset"):
        store.search_runs("vision", "config.lr < 1", [], None, -1)


def test_a_first_search_through_sqlalchemy_reads_what_later_ones_do(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's first search that is not simple skips SQLAlchemy's statement cache."""
    monkeypatch.setattr(reads, "_searched", False)
    args = ("vision", "config.lr < 0.05 or metrics.acc >= 0.8", ["-metrics.acc", "name"], 10)
    assert reads.search_sql(*args, 0) is None
    first = store.search_runs(*args)
    assert reads._searched
    assert first == store.search_runs(*args) and first
