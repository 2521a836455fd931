"""MLflow's search grammar in Heron's filter language (pure translation)."""

from __future__ import annotations

import pytest

from heron.query.parser import parse
from heron.server.mlflow.errors import MlflowError
from heron.server.mlflow.search import translate_filter, translate_order_by


@pytest.mark.parametrize(
    ("mlflow", "heron"),
    [
        ("metrics.acc > 0.9", "metrics.`acc` > 0.9"),
        ("metrics.`val acc` <= 1", "metrics.`val acc` <= 1.0"),
        ("params.\"opt.lr\" = '0.1'", 'config.`opt.lr` = "0.1"'),
        ("params.opt LIKE 'ad%_'", 'config.`opt` like "ad*?"'),
        ("params.x IN ('a', 'b')", 'config.`x` in ("a", "b")'),
        ("params.x NOT IN ('a')", 'config.`x` not in ("a")'),
        ("tags.team = 'vision'", 'tags has "team=vision"'),
        ("tags.team LIKE 'v*%'", 'tags like "team=v\\\\**"'),
        ("tags.mlflow.runName = 'r'", 'name = "r"'),
        ("attributes.status = 'FAILED'", 'state in ("failed", "crashed")'),
        ("status != 'RUNNING'", 'state not in ("running")'),
        ("attributes.start_time >= 1000", "created >= 1.0"),
        ("run_id IN ('a1', 'b2')", 'id in ("a1", "b2")'),
        (
            "metrics.a > 1 AND params.b = 'x' and attr.run_name = 'it''s'",
            'metrics.`a` > 1.0 and config.`b` = "x" and name = "it\'s"',
        ),
    ],
)
def test_translates_and_heron_parses_it(mlflow: str, heron: str) -> None:
    translated = translate_filter(mlflow)
    assert translated == heron
    parse(translated)  # valid in Heron's language


@pytest.mark.parametrize(
    "refused",
    [
        "params.x ILIKE 'a'",
        "metrics.a > 1 OR metrics.b > 1",
        "datasets.name = 'd'",
        "attributes.end_time > 5",
        "tags.mlflow.user = 'me'",
        "metrics.a > 'text'",
        "metrics.a >",
        "bogus.a = 1",
        "metrics.a IS NULL",
        "params.a = 'x' metrics.b > 1",
    ],
)
def test_refuses_what_it_cannot_translate(refused: str) -> None:
    with pytest.raises(MlflowError) as error:
        translate_filter(refused)
    assert error.value.code == "INVALID_PARAMETER_VALUE"


def test_order_by() -> None:
    assert translate_order_by(["metrics.acc DESC", "params.lr", "start_time ASC"]) == [
        "-metrics.`acc`",
        "config.`lr`",
        "created",
    ]
    with pytest.raises(MlflowError):
        translate_order_by(["tags.team"])


def test_empty_filter_is_every_run() -> None:
    assert translate_filter("  ") is None and translate_filter(None) is None
