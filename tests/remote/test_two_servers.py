"""A team setup end to end: two ``heron server`` processes on one PostgreSQL database
and one S3 bucket (a real S3-protocol server), the real SDK writing through one, a
reader on the other seeing the same runs, artifacts and live events."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import numpy as np
import pytest

import heron
from heron.api import Api
from tests.remote.conftest import ServerFactory
from tests.s3_server import S3Server
from tests.server.test_events import next_event, stream_events


@pytest.mark.postgres
def test_write_through_one_server_read_and_watch_through_another(
    server_process: ServerFactory,
    postgres_url: str,
    s3_server: S3Server,
    s3_bucket: str,
    tmp_path: Path,
) -> None:
    env = s3_server.env
    artifacts = f"s3://{s3_bucket}/heron"
    writer_side = server_process(postgres_url, artifacts, env=env)
    reader_side = server_process(postgres_url, artifacts, env=env)
    events, close = stream_events(f"{reader_side.url}/api/v1/events?project=team")
    payload = os.urandom(3 << 20)  # several MiB: streamed in chunks both ways
    (tmp_path / "weights.bin").write_bytes(payload)
    try:
        with heron.init(
            "team", url=writer_side.url, dir=tmp_path / "client", system_metrics=False
        ) as run:
            for step in range(2000):
                run.log({"loss": 1.0 / (step + 1)}, step=step)
            run.flush(timeout=60)
            assert next_event(events, "points")["run"] == run.id  # live, via NOTIFY
            run.log_artifact(tmp_path / "weights.bin", name="weights")
        with Api(reader_side.url) as api:
            got = api.run(run.id)
            assert got.state == "finished"
            loss = got.series(["loss"])["loss"]
            np.testing.assert_array_equal(loss.steps, np.arange(2000))
            version = api.artifact("team", "weights:latest")
            down = api.download(version, tmp_path / "down")
            assert down.read_bytes() == payload
        # The bytes live in the bucket, content-addressed, not on either server's disk.
        keys = [
            o["Key"]
            for o in s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])
        ]
        hexdigest = version.files[0].digest.split(":")[1]
        assert f"heron/blobs/sha256/{hexdigest[:2]}/{hexdigest[2:]}" in keys
        # Served from S3 with its size up front, so clients can show progress.
        blob_url = f"{reader_side.url}/api/v1/blobs/{version.files[0].digest}"
        assert httpx.head(blob_url).headers["content-length"] == str(len(payload))
        with httpx.stream("GET", blob_url) as response:
            assert response.headers["content-length"] == str(len(payload))
            assert sum(len(chunk) for chunk in response.iter_bytes()) == len(payload)
    finally:
        close()
