"""Media to a server over the in-process transport (the production path minus the
socket): the SDK's media thread stages blobs with the remote backend, which uploads
them ahead of the batch that names them; heron.Api reads them back over HTTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import heron
from heron.api import Api
from heron.artifacts.local import LocalArtifactStore
from heron.local_dir import LocalDir
from heron.sdk.backend import RemoteBackend
from heron.sdk.media_writer import MediaWriter
from heron.store import open_store
from heron.store.base import Batch
from heron.store.events import Event
from tests.remote.inprocess import URL, remote_stores


def test_media_through_a_server_read_back(tmp_path: Path) -> None:
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    with open_store(f"sqlite:///{tmp_path / 'server.db'}") as sql:
        blobs = LocalArtifactStore(tmp_path / "server-blobs", durable=False)
        with remote_stores(sql, blobs, tmp_path) as remote:
            folder = LocalDir.at(tmp_path / "client").create()
            backend = RemoteBackend(folder, remote.store, remote.blobs, online=True)
            events: list[Event] = [{"type": "create", "spec": {"project": "remote-media"}}]
            writer = MediaWriter(backend, events.append, tmp_path / "client" / "media")
            table = heron.Table(columns=["im"], data=[[heron.Image(pixels[:, :, 0])]])
            writer.submit("img", 3, 1.0, heron.Image(pixels, "first", mask=np.ones((4, 4))))
            writer.submit("h", 3, 1.0, heron.Histogram([1, 2, 3]))
            writer.submit("tab", 4, 2.0, table)
            writer.submit("txt", 4, 2.0, heron.Text("hi"))
            writer.stop()
            assert writer.written == 4 and writer.failed == 0
            staged = [p for p in (tmp_path / "client" / "blobs").rglob("*") if p.is_file()]
            assert len(staged) == 5  # image, mask, table, its image cell, text
            backend.ingest(Batch("remoterun1", 1, events=events))
            # on the server now: the staged copies are gone
            assert not [p for p in (tmp_path / "client" / "blobs").rglob("*") if p.is_file()]
            with Api(URL, transport=remote.transport) as api:
                got = api.run("remoterun1")
                assert [k.key for k in got.media_keys()] == ["h", "img", "tab", "txt"]
                image = got.media("img")[0]
                assert (image.step, image.caption) == (3, "first")
                assert np.array_equal(image.image(), pixels)
                mask = image.mask()
                assert mask is not None and mask.tolist() == np.ones((4, 4)).tolist()
                assert got.media("h")[0].histogram()[0].sum() == 3
                tab = got.media("tab")[0]
                cell = tab.table()["rows"][0][0]
                assert np.array_equal(tab.table_image(cell)[:, :, 0], pixels[:, :, 0])
                assert got.media("txt")[0].text() == "hi"
