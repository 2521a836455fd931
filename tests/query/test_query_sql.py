"""Filters and sort orders against real databases: SQLite and PostgreSQL, same answers.

The runs are in conftest.py (``RUNS``); each expectation is written out by hand and
also checked against the Python reference implementation there (``expected_ids``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from heron.errors import FilterSyntaxError
from heron.query import MAX_DEPTH, MAX_LENGTH
from heron.store.order_sql import compile_order

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()  # as in conftest.py
Db = Any  # conftest.Db: .ids(filter) -> set of run ids, .order(terms, filter) -> list

ALL = "r1 r2 r3 r4 r5 r6"

FILTERS = [
    # the example from the spec
    (
        'config.lr < 0.01 and (metrics.val/acc >= 0.9 or tags has "baseline") '
        'and state = "finished"',
        "r1",
    ),
    ("", ALL),
    ("   ", ALL),
    # config: numbers compare with numbers only (r3's lr is "auto", r5's is NaN)
    ("config.lr < 0.05", "r1 r2"),
    ("config.lr < 1e-2", "r1"),
    ("config.lr > 0.05", "r4"),
    ("config.lr > -1", "r1 r2 r4"),
    ("config.lr = 'auto'", "r3"),
    ("config.lr != 0.01", "r1 r3 r4 r5"),
    ("not config.lr = 0.01", "r1 r3 r4 r5 r6"),
    ("config.lr in (0.001, 'auto', 0.1)", "r1 r3 r4"),
    ("config.lr not in (0.001, 'auto')", "r2 r4 r5"),
    ("config.batch = 10", "r4"),  # r5 has the string "10"
    ("config.batch = '10'", "r5"),
    ("config.batch > 9", "r1 r2 r4"),  # 10 > 9 as numbers
    ("config.batch < '5'", "r5"),  # "10" < "5" as strings
    ("config.flag = true", "r1 r4"),
    ("config.flag = false", "r2"),
    ("config.flag != true", "r2"),
    ("config.flag = 1", ""),  # booleans are not numbers
    ("config.seed = 1", "r4"),
    ("config.seed = null", "r2"),
    ("config.seed != null", "r4"),
    ("config.seed exists", "r2 r4"),
    ("config.seed not exists", "r1 r3 r5 r6"),
    ("config.opt.name = 'adam'", "r1"),  # case-sensitive
    ("config.opt.name like 'a*'", "r1"),
    ("config.opt.name like '?dam'", "r1 r3"),
    ("config.opt.name < 'a'", "r3"),  # "Adam" < "a" by code point
    ("config.opt.name not like '?dam'", "r2 r4"),
    ("config.opt.momentum exists", "r1"),
    ("config.opt exists", ""),  # only leaves are stored
    ("config.`a b` = 1", "r3"),
    ("config.layers exists", "r1"),
    ("config.layers = '[1, 2]'", ""),  # a list is not a string
    # metrics: NaN (NULL in SQLite, NaN in PostgreSQL) compares as no value
    ("metrics.val/acc >= 0.9", "r1 r3 r4"),
    ("summary.val/acc = 0.85", "r2"),
    ("metrics.train/loss > 0", "r1"),
    ("metrics.train/loss < 100", "r1"),
    ("metrics.train/loss exists", "r1 r2"),
    ("metrics.train/loss != 0.2", "r2"),
    ("max(metrics.train/loss) > 1", "r1"),
    ("min(metrics.train/loss) >= 0.3", "r2"),
    ("last(metrics.train/loss) exists", "r1"),
    ("count(metrics.train/loss) = 5", "r2"),
    ("count(metrics.val/acc) > 2.5", "r1 r2 r3"),
    ("count(metrics.val/acc) in (2, 3)", "r2 r4"),
    ("metrics.epoch < 10", "r1 r4"),
    ("metrics.epoch >= 10", "r2 r3"),
    ("metrics.epoch = -1", "r4"),
    ("metrics.epoch > -1.5e0", "r1 r2 r3 r4"),
    ("metrics.`val acc` = 0.7", "r3"),
    ("metrics.nope exists", ""),
    ("not metrics.nope > 1", ALL),
    # summary values set to strings
    ("summary.best:model = 'resnet'", "r1"),
    ("summary.best:model = 'café'", "r5"),  # stored as JSON with \u escapes
    ("summary.note = 'ünï'", "r5"),  # stored as JSON without
    ("summary.best:model != 'resnet'", "r5"),
    ("summary.best:model in ('resnet', 'café')", "r1 r5"),
    ("metrics.best:model exists", "r1 r5"),
    ("metrics.best:model > 0", ""),
    # tags (case-sensitive)
    ("tags has 'baseline'", "r1"),
    ("tags in ('nlp', 'resnet')", "r1 r2 r4"),
    ("tags not in ('resnet')", "r3 r4 r5 r6"),
    ("tags exists", "r1 r2 r3 r4"),
    ("tags not exists", "r5 r6"),
    ("tags like '*%*'", "r4"),
    ("tags like '*_*'", "r4"),  # % and _ are literal
    ("tags like 'B*'", "r3"),
    ("tags not like '*e*'", "r4 r5 r6"),
    # globs on attributes
    ("name like 'resnet*'", "r1 r2"),
    ("name like 'Res*'", "r3"),
    ("name like 'bert%1'", "r4"),
    ("name like 'bert?1'", "r4"),
    ("name like 'bert_1'", ""),
    (r"name like 'gpt\\?\\*'", "r5"),  # \? and \* match literally
    (r"name like 'gpt\\?x'", ""),
    ("name like 'gpt[?]*'", ""),  # no character classes
    ("name like '*'", ALL),
    ("notes like '*% done_'", "r3"),
    ("notes = ''", "r2 r4 r5 r6"),
    # group may be missing
    ("group = 'sweep1'", "r1 r2"),
    ("group != 'sweep1'", "r4"),
    ("not group = 'sweep1'", "r3 r4 r5 r6"),
    ("group = null", "r3 r5 r6"),
    ("group != null", "r1 r2 r4"),
    ("group exists", "r1 r2 r4"),
    ("group like 's*'", "r1 r2"),
    ("group not like 's*'", "r4"),
    ("group in ('g2', 'x')", "r4"),
    ("group > 'h'", "r1 r2"),
    # other attributes
    ("state in ('finished', 'crashed')", "r1 r4 r5"),
    ("state != 'finished'", "r2 r3 r5 r6"),
    ("state like 'f*'", "r1 r2 r4"),
    ("project = 'nlp'", "r4 r5"),
    ("project like 'v*'", "r1 r2 r3 r6"),
    ("project < 'o'", "r4 r5"),
    ("project != 'nlp'", "r1 r2 r3 r6"),
    ("id in ('r1', 'r6')", "r1 r6"),
    ("id > 'r4'", "r5 r6"),
    ("name exists", ALL),
    # created: epoch seconds or ISO dates (UTC unless an offset is given)
    ("created >= '2026-11-01'", "r1 r2 r3 r5 r6"),
    ("created < '2026-11-01T01:00'", "r1 r4"),
    ("created <= '2026-11-01 01:00:00Z'", "r1 r2 r4"),
    ("created > '2026-11-01T02:00+02:00'", "r2 r3 r5 r6"),
    (f"created = {T0!r}", "r1"),
    ("created < 0", ""),
    # duration: ended (or last heartbeat) minus created, never negative
    ("duration > 20", "r1 r2"),
    ("duration = 0", "r5"),
    ("duration exists", "r1 r2 r4 r5"),
    ("duration < 1000", "r1 r2 r4 r5"),
    ("not duration < 1000", "r3 r6"),
    ("duration != 10", "r1 r2 r5"),
    # boolean structure
    ("not (state = 'finished' or state = 'failed')", "r3 r5 r6"),
    ("STATE = 'finished' AND NOT tags has 'nlp'", "r1"),
    ("state = 'finished' or state = 'failed' and tags has 'nlp'", "r1 r4"),
    ("(state = 'finished' or state = 'failed') and tags has 'nlp'", "r4"),
    ("not not config.seed exists", "r2 r4"),
]


@pytest.mark.parametrize(("text", "ids"), FILTERS)
def test_filter(db: Db, reference: Callable[[str], set[str]], text: str, ids: str) -> None:
    want = set(ids.split())
    assert reference(text) == want, "the reference implementation disagrees"
    assert db.ids(text) == want


def test_longest_filter(db: Db) -> None:
    """Filters at the length limit run (SQLite limits expression depth to 1000)."""
    terms = 'id="r1"or ' * (MAX_LENGTH // 10 - 1)  # about the most predicates that fit
    text = terms + 'id="r2"'
    assert len(text) <= MAX_LENGTH
    assert db.ids(text) == {"r1", "r2"}
    values = "config.batch in (" + ",".join(["9"] * ((MAX_LENGTH - 20) // 2)) + ")"
    assert len(values) <= MAX_LENGTH
    assert db.ids(values) == {"r3"}


def test_deepest_filter(db: Db) -> None:
    text = "(" * MAX_DEPTH + "tags has 'nlp'" + ")" * MAX_DEPTH
    assert db.ids(text) == {"r4"}
    assert db.ids("not " * MAX_DEPTH + "tags has 'nlp'") == {"r4"}


ORDERS = [
    (["id"], ALL),
    (["+id"], ALL),
    ("name", "r3 r4 r6 r5 r1 r2"),  # one string is one term
    (["name"], "r3 r4 r6 r5 r1 r2"),  # by code point: "R" < "b" < "e" < "g" < "r"
    (["-name"], "r2 r1 r5 r6 r4 r3"),
    # metrics: numbers as numbers, runs without the metric (or NaN) last both ways
    (["metrics.epoch"], "r4 r1 r2 r3 r5 r6"),
    (["-metrics.epoch"], "r3 r2 r1 r4 r5 r6"),
    (["-metrics.train/loss"], "r1 r2 r3 r4 r5 r6"),
    (["metrics.`val acc`"], "r3 r1 r2 r4 r5 r6"),
    (["max(metrics.train/loss)"], "r1 r2 r3 r4 r5 r6"),
    (["-min(metrics.train/loss)"], "r2 r1 r3 r4 r5 r6"),
    (["-count(metrics.val/acc)"], "r1 r3 r2 r4 r5 r6"),
    # config: numbers, booleans, strings, lists, then missing / null / NaN
    (["config.batch"], "r3 r4 r1 r2 r5 r6"),
    (["-config.batch"], "r2 r1 r4 r3 r5 r6"),
    (["config.lr"], "r1 r2 r4 r3 r5 r6"),
    (["-config.lr"], "r4 r2 r1 r3 r5 r6"),
    (["config.flag"], "r2 r1 r4 r3 r5 r6"),
    (["config.seed"], "r4 r1 r2 r3 r5 r6"),
    (["config.opt.name"], "r3 r1 r2 r4 r5 r6"),
    (["-config.opt.name"], "r4 r2 r1 r3 r5 r6"),
    (["config.nope"], ALL),
    # attributes
    (["group"], "r4 r1 r2 r3 r5 r6"),
    (["-group"], "r1 r2 r4 r3 r5 r6"),
    (["duration"], "r5 r4 r2 r1 r3 r6"),
    (["-duration"], "r1 r2 r4 r5 r3 r6"),
    (["created"], "r4 r1 r2 r3 r5 r6"),
    (["-created"], "r6 r5 r3 r2 r1 r4"),
    (["project", "-created"], "r5 r4 r6 r3 r2 r1"),
    (["state", "-metrics.val/acc"], "r5 r2 r4 r1 r6 r3"),
    (["-notes"], "r1 r3 r2 r4 r5 r6"),
    ([], ALL),
]


@pytest.mark.parametrize(("terms", "ids"), ORDERS)
def test_order(db: Db, terms: list[str], ids: str) -> None:
    assert db.order(terms) == ids.split()


def test_order_with_filter(db: Db) -> None:
    assert db.order(["-metrics.val/acc"], "project = 'vision'") == ["r1", "r3", "r2", "r6"]


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (["tags"], "cannot sort by tags at column 1"),
        (["-tags"], "cannot sort by tags at column 2"),
        (["name", ""], "expected a field to sort by at column 1"),
        (["lr"], "unknown field 'lr' at column 1 (did you mean config.lr or metrics.lr?)"),
    ],
)
def test_order_errors(terms: list[str], message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        compile_order(terms)
    assert info.value.message.startswith(message)


def test_cached_statements_keep_their_values(db: Db) -> None:
    """SQLAlchemy caches compiled SQL by shape; values must not leak between filters."""
    for _ in range(2):
        assert db.ids("tags like 'B*'") == {"r3"}
        assert db.ids("tags like 'n*'") == {"r4"}
        assert db.ids("name < 'b'") == {"r3"}
        assert db.ids("name < 'f'") == {"r3", "r4", "r6"}
        assert db.ids("created > '2026-11-03'") == {"r6"}
        assert db.ids("created >= '2026-11-02'") == {"r3", "r5", "r6"}
