"""The store's quick answers for the name checks of a search (heron.service.names):
``held_keys`` agrees with ``project_keys`` on every name, and ``config_samples`` reads
the newest runs' types of a config path."""

from __future__ import annotations

import pytest

from heron.store.base import RunSpec
from heron.store.project_marks import SqlProjectMarks
from heron.store.sql import SqlStore
from tests.store.helpers import batch

CANDIDATES = [
    "lr", "l", "lr2", "opt", "opt.name", "opt.na", "opt.name.x", "op", "optimizer",
    "acc", "ac", "val/acc", "val", "best", "layers", "", ".", "opt.", "nope",
]  # fmt: skip


@pytest.fixture
def filled(store: SqlStore) -> SqlStore:
    """vision: lr, opt.name, opt-x (a path that "opt." does not start), acc with points,
    val/acc without points, best only as a summary override; nlp: layers, lr2."""
    config = {"lr": 0.1, "opt": {"name": "adam"}, "opt-x": 1}
    store.create_run(RunSpec(id="vis0000000", project="vision", config=config, created_at=1.0))
    store.create_run(
        RunSpec(id="vis0000001", project="vision", config={"lr": "big"}, created_at=2.0)
    )
    store.create_run(RunSpec(id="nlp0000001", project="nlp", config={"layers": 2, "lr2": 1}))
    store.ingest(batch("vis0000000", 1, acc=[0.9]))
    store.ingest(batch("vis0000001", 1, [{"type": "summary", "set": {"best": 3}}]))
    return store


def _slow(store: SqlStore, projects: list[str], kind: str, key: str) -> bool:
    """What heron.service.names decides from project_keys."""
    keys = [store.project_keys(p) for p in projects]
    known = {
        k for pk in keys for k in (pk.config if kind == "config" else (*pk.metrics, *pk.summary))
    }
    return key in known or any(k.startswith(key + ".") for k in known)


@pytest.mark.parametrize("projects", [["vision"], ["nlp"], ["vision", "nlp"], []])
@pytest.mark.parametrize("kind", ["config", "metric"])
def test_held_keys_agree_with_project_keys(
    filled: SqlStore, projects: list[str], kind: str
) -> None:
    held = filled.held_keys(projects, kind, CANDIDATES)
    expected = {k for k in CANDIDATES if _slow(filled, projects, kind, k)}
    assert held == expected
    assert ("lr" in held) == (kind == "config" and "vision" in projects)  # the test can fail


def test_project_names_list_every_project_or_the_live_ones(filled: SqlStore) -> None:
    assert filled.project_names() == [p.name for p in filled.list_projects()] == ["nlp", "vision"]
    marks = SqlProjectMarks(filled)
    marks.mark_deleted("nlp", 5.0)
    marks.set_tags("vision", {"team": "a"})  # marked, not deleted
    assert filled.project_names(deleted=False) == ["vision"]
    assert filled.project_names() == ["nlp", "vision"]
    marks.mark_deleted("nlp", None)  # restored
    assert filled.project_names(deleted=False) == ["nlp", "vision"]


def test_config_samples_read_the_newest_runs_first(filled: SqlStore) -> None:
    assert filled.config_samples("vision", ["lr", "opt.name", "nope"], 10) == {
        "lr": [("str", "big"), ("float", None)],
        "opt.name": [("str", "adam")],
        "nope": [],
    }
    assert filled.config_samples("vision", ["lr"], 1) == {"lr": [("str", "big")]}
    assert filled.config_samples(None, ["lr2"], 10) == {"lr2": [("int", None)]}
