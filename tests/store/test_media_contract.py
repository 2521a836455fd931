"""RunStore.media_keys / media on every implementation (SQLite, PostgreSQL, remote over
an in-process server), and the media rows' part in garbage collection (SQL)."""

from __future__ import annotations

from typing import Any

import pytest

from heron.errors import InvalidInput, NotFound
from heron.store.base import Batch, RunSpec, RunStore
from heron.store.sql import SqlStore

D1, D2, D3 = (f"sha256:{c * 64}" for c in "abc")


def _media(key: str, step: int, kind: str = "image", **extra: Any) -> dict[str, Any]:
    event = {"type": "media", "key": key, "step": step, "kind": kind, "digest": D1, "size": 3}
    event.update({"meta": {"caption": f"s{step}"}, "refs": [], "time": 100.0 + step})
    event.update(extra)
    return event


def _ingest(store: RunStore, seq: int, *events: dict[str, Any]) -> None:
    store.ingest(Batch("mediarun01", seq, events=list(events)))  # type: ignore[arg-type]


@pytest.fixture
def media_run(run_store: RunStore) -> RunStore:
    run_store.create_run(RunSpec(id="mediarun01", project="media"))
    return run_store


def test_media_read_back_by_key_and_step(media_run: RunStore) -> None:
    store = media_run
    hist = {"edges": [0.0, 1.0, 2.0], "counts": [3.0, 4.0], "total": 7.0}
    _ingest(
        store,
        1,
        *[_media("val/img", s) for s in (5, 1, 3)],
        _media("w", 0, "histogram", digest=None, size=0, meta=hist),
        _media("tab", 2, "table", digest=D2, refs=[D3, D3]),
    )
    _ingest(store, 2, _media("val/img", 3, digest=D2, meta={"caption": "new"}))
    keys = store.media_keys("mediarun01")
    assert [(k.key, k.kind, k.count, k.first_step, k.last_step) for k in keys] == [
        ("tab", "table", 1, 2, 2),
        ("val/img", "image", 3, 1, 5),
        ("w", "histogram", 1, 0, 0),
    ]
    items = store.media("mediarun01", "val/img")
    assert [(m.step, m.digest, m.meta["caption"]) for m in items] == [
        (1, D1, "s1"),
        (3, D2, "new"),
        (5, D1, "s5"),
    ]
    assert items[0].time == 101.0 and items[0].size == 3 and items[0].kind == "image"
    assert store.media("mediarun01", "w")[0].meta == hist
    assert store.media("mediarun01", "tab")[0].refs == (D3,)
    assert [m.step for m in store.media("mediarun01", "val/img", first_step=2, last_step=4)] == [3]
    assert [m.step for m in store.media("mediarun01", "val/img", limit=2)] == [1, 5]
    assert store.media("mediarun01", "nothing") == []


def test_media_errors(media_run: RunStore) -> None:
    store = media_run
    with pytest.raises(NotFound):
        store.media_keys("nosuchrun0")
    with pytest.raises(NotFound):
        store.media("nosuchrun0", "k")
    with pytest.raises(InvalidInput):
        store.media("mediarun01", "k", limit=0)
    for bad in (
        _media("k", 0, "video"),
        _media("k", 0, digest="md5:x"),
        _media("k", 0, digest=None),  # only a histogram has no blob
        _media("bad key!", 0),
        _media("k", 0, refs=["nope"]),
        _media("k", 2**63),
        _media("k", 0, meta={"x": "y" * 300_000}),
    ):
        with pytest.raises(InvalidInput):
            _ingest(store, 5, bad)
    assert store.media_keys("mediarun01") == []  # nothing of a refused batch applied


def test_media_blobs_are_referenced_until_their_run_goes(store: SqlStore) -> None:
    store.create_run(RunSpec(id="mediarun01", project="media"))
    _ingest(store, 1, _media("img", 0, refs=[D3]))
    assert {D1, D3} <= store.referenced_digests()
    replaced = store.ingest(Batch("mediarun01", 2, events=[_media("img", 0, digest=D2)]))  # type: ignore[list-item]
    assert replaced.orphaned == {D1, D3}
    store.delete_runs(["mediarun01"])
    assert not {D1, D2, D3} & store.referenced_digests()
