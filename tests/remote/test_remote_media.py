"""Media logged to a real ``heron server``: blobs staged, uploaded by the shipper ahead of
the batch that names them, and read back through ``heron.Api`` over HTTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import heron
from heron.api import Api
from tests.remote.conftest import LiveServer


def test_media_logged_to_a_server_read_back(live: LiveServer, tmp_path: Path) -> None:
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    with heron.init(
        "remote-media", url=live.url, dir=tmp_path / "client", system_metrics=False, capture=False
    ) as run:
        run.log({"img": heron.Image(pixels, "first"), "h": heron.Histogram([1, 2, 3])}, step=3)
        table = heron.Table(columns=["im"], data=[[heron.Image(pixels[:, :, 0])]])
        run.log({"tab": table, "txt": heron.Text("hi")}, step=4)
        run_id = run.id
    with Api(live.url) as api:
        got = api.run(run_id)
        assert [k.key for k in got.media_keys()] == ["h", "img", "tab", "txt"]
        image = got.media("img")[0]
        assert (image.step, image.caption) == (3, "first")
        assert np.array_equal(image.image(), pixels)
        assert got.media("h")[0].histogram()[0].sum() == 3
        cell = got.media("tab")[0].table()["rows"][0][0]
        assert np.array_equal(got.media("tab")[0].table_image(cell)[:, :, 0], pixels[:, :, 0])
        assert got.media("txt")[0].text() == "hi"
    # Staged blobs are removed from the client once the server has them.
    assert not [p for p in (tmp_path / "client" / "blobs").rglob("*") if p.is_file()]
