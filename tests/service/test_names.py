"""Unknown names are errors, not empty results (issue 18, item 4), alike from
``heron.Api`` (local and through a server) and from the server's run searches: an
unknown project, config or metric key, or sort field is an InvalidInput (HTTP 400)
with "did you mean"; a comparison that can never match warns."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import heron
from heron.artifacts import LocalArtifactStore
from heron.errors import InvalidInput
from heron.service import QueryWarning
from heron.store import open_store
from heron.store.base import RunSpec
from tests.remote.inprocess import URL, quiet_app, remote_stores, serve
from tests.store.helpers import batch

API = "/api/v1"

UNKNOWN = [
    ({"project": "visoin"}, "no project 'visoin'; did you mean 'vision'?"),
    ({"filter": "config.learning_rate > 0"}, "no key 'config.learning_rate'"),
    ({"filter": "config.lrr > 0"}, "no key 'config.lrr'; did you mean 'config.lr'"),
    ({"project": "vision", "order_by": ["-metrics.acc2"]}, "did you mean 'metrics.acc'"),
    ({"order_by": ["config.optt.name"]}, "did you mean 'config.opt.name'"),
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A store with two projects: vision (lr, opt.name, the metric acc) and nlp."""
    folder = tmp_path / "runs"
    folder.mkdir()
    with open_store(f"sqlite:///{folder / 'heron.db'}") as store:
        for i, lr in enumerate((0.1, 0.01)):
            config = {"lr": lr, "opt": {"name": "adam"}}
            store.create_run(RunSpec(id=f"vis{i:07d}", project="vision", config=config))
        store.create_run(RunSpec(id="nlp0000001", project="nlp", config={"layers": 2}))
        store.ingest(batch("vis0000000", 1, acc=[0.9]))
    return folder


@pytest.fixture(params=["local", "server"])
def api(request: pytest.FixtureRequest, root: Path, tmp_path: Path) -> Iterator[heron.Api]:
    """heron.Api on the folder, or on a server over it (the server's check answers)."""
    if request.param == "local":
        with heron.Api(root) as local:
            yield local
        return
    with (
        open_store(f"sqlite:///{root / 'heron.db'}") as sql,
        remote_stores(sql, LocalArtifactStore(tmp_path / "blobs"), tmp_path) as remote,
        heron.Api(URL, transport=remote.transport) as served,
    ):
        yield served


@pytest.mark.parametrize(("query", "message"), UNKNOWN)
def test_an_unknown_name_is_an_error_with_did_you_mean(
    api: heron.Api, query: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        api.runs(**query)  # type: ignore[arg-type]
    assert message in raised.value.message
    if "order_by" not in query:
        with pytest.raises(InvalidInput, match="no "):
            api.count_runs(query.get("project"), query.get("filter"))  # type: ignore[arg-type]


def test_known_names_pass_including_config_branches(api: heron.Api) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no QueryWarning either
        assert len(api.runs(filter="config.opt.name = 'adam'")) == 2
        assert len(api.runs(order_by="config.opt")) == 3
        assert [r.id for r in api.runs("nlp")] == ["nlp0000001"]
        assert len(api.runs("vision", order_by="-metrics.acc")) == 2
        assert api.count_runs("vision", "config.lr < 0.05") == 1


def test_a_comparison_that_can_never_match_warns(api: heron.Api) -> None:
    with pytest.warns(QueryWarning, match='quote it: config.opt.name = "adam"'):
        assert len(api.runs("vision", filter="config.opt.name = 1")) == 0
    with pytest.warns(QueryWarning, match="config.lr holds numbers.*leave the quotes out"):
        assert api.count_runs("vision", 'config.lr = "0.1"') == 0


def test_the_server_answers_400_with_the_message_and_warns_in_a_header(
    root: Path, tmp_path: Path
) -> None:
    with (
        open_store(f"sqlite:///{root / 'heron.db'}") as sql,
        serve(quiet_app(sql, LocalArtifactStore(tmp_path / "blobs"), tmp_path)) as transport,
        httpx.Client(base_url=URL, transport=transport) as http,
    ):
        for query, message in UNKNOWN:
            answer = http.get(f"{API}/runs", params=query)
            assert answer.status_code == 400, answer.text
            assert message in answer.json()["detail"]
        counted = http.get(f"{API}/runs/count", params={"project": "visoin"})
        assert counted.status_code == 400 and "did you mean 'vision'" in counted.text
        mismatch = http.get(
            f"{API}/runs", params={"project": "vision", "filter": "config.opt.name = 1"}
        )
        assert mismatch.status_code == 200 and mismatch.json()["runs"] == []
        (note,) = mismatch.headers.get_list("heron-warning")
        assert 'quote it: config.opt.name = "adam"' in note
        fine = http.get(f"{API}/runs", params={"project": "vision", "filter": "config.lr > 0"})
        assert fine.json()["total"] == 2 and "heron-warning" not in fine.headers
