"""GET /runs/{id}/media, /media/items and /media/blob: typed answers, blobs served only
when the item names them, clear 4xx for bad input."""

from __future__ import annotations

import numpy as np

from heron import wire
from heron.artifacts.local import LocalArtifactStore
from heron.media import Image
from heron.media.png import decode_png
from heron.store.base import Batch
from tests.server.asgi import AppClient

API = "/api/v1"
RUN = "mediarun02"


def _log_image(client: AppClient, artifacts: LocalArtifactStore, tmp: object) -> tuple[str, str]:
    from pathlib import Path

    encoded = Image(np.arange(12, dtype=np.uint8).reshape(3, 4), "c", mask=np.ones((3, 4))).encode()
    digests = []
    for i, data in enumerate([encoded.blob or b"", *encoded.refs]):
        path = Path(str(tmp)) / f"blob{i}"
        path.write_bytes(data)
        digests.append(artifacts.put_file(path).digest)
    event = {
        "type": "media",
        "key": "val/img",
        "step": 7,
        "kind": "image",
        "digest": digests[0],
        "size": len(encoded.blob or b""),
        "refs": digests[1:],
        "meta": encoded.meta,
        "time": 1.0,
    }
    assert client.post(f"{API}/runs", json={"id": RUN, "project": "proj"}).status_code == 200
    response = client.post(
        f"{API}/runs/{RUN}/batches",
        content=wire.encode_batch(Batch(RUN, 1, events=[event])),  # type: ignore[list-item]
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert response.status_code == 200, response.text
    return digests[0], digests[1]


def test_media_routes(client: AppClient, artifacts: LocalArtifactStore, tmp_path: object) -> None:
    own, mask = _log_image(client, artifacts, tmp_path)
    keys = client.get(f"{API}/runs/{RUN}/media").json()
    assert keys == [
        {"key": "val/img", "kind": "image", "count": 1, "first_step": 7, "last_step": 7}
    ]
    items = client.get(f"{API}/runs/{RUN}/media/items", params={"key": "val/img"}).json()
    assert [(i["step"], i["digest"], i["meta"]["caption"], i["refs"]) for i in items] == [
        (7, own, "c", [mask])
    ]
    blob = client.get(f"{API}/runs/{RUN}/media/blob", params={"key": "val/img", "step": 7})
    assert blob.status_code == 200 and blob.headers["content-type"] == "image/png"
    assert decode_png(blob.content)[:, :, 0].tolist() == np.arange(12).reshape(3, 4).tolist()
    masked = client.get(
        f"{API}/runs/{RUN}/media/blob", params={"key": "val/img", "step": 7, "digest": mask}
    )
    assert masked.status_code == 200


def test_media_routes_refuse_what_they_do_not_serve(
    client: AppClient, artifacts: LocalArtifactStore, tmp_path: object
) -> None:
    _log_image(client, artifacts, tmp_path)
    blob = f"{API}/runs/{RUN}/media/blob"
    other = "sha256:" + "0" * 64
    cases = [
        (blob, {"key": "val/img", "step": 7, "digest": other}, 404),  # not named by the item
        (blob, {"key": "val/img", "step": 8}, 404),
        (blob, {"key": "val/img", "step": 7, "digest": "../x"}, 400),
        (blob, {"key": "val/img", "step": "x"}, 422),
        (f"{API}/runs/{RUN}/media/items", {"key": "bad key!"}, 400),
        (f"{API}/runs/{RUN}/media/items", {"key": "k", "limit": 0}, 422),
        (f"{API}/runs/nosuchrun0/media", {}, 404),
    ]
    for path, params, status in cases:
        response = client.get(path, params=params)
        assert response.status_code == status, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
