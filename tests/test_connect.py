"""``heron.connect``: one decision of where the store is, for every entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.api import Api
from heron.artifacts.local import LocalArtifactStore
from heron.connect import Connection, connect, locate
from heron.errors import InvalidInput, NotFound
from heron.registry.remote import RemoteRegistry
from heron.registry.sql import SqlRegistry
from heron.remote.store import RemoteStore
from heron.server.app import create_app
from heron.settings import Settings
from heron.store import open_store
from heron.store.base import RunSpec
from tests.inprocess import TransportFactory, serve

SERVER = "http://localhost"


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(**{"dir": tmp_path / "default-dir", **values})  # type: ignore[arg-type]


# --- where -------------------------------------------------------------------------------


def test_an_explicit_target_beats_heron_url_and_heron_dir(tmp_path: Path) -> None:
    s = settings(tmp_path, url="http://elsewhere:5310")
    found = locate(tmp_path / "mine", s)
    assert found.kind == "folder" and found.folder is not None
    assert found.folder.root == (tmp_path / "mine").resolve()
    assert locate(str(tmp_path / "mine"), s) == found


def test_heron_url_beats_heron_dir(tmp_path: Path) -> None:
    found = locate(None, settings(tmp_path, url="http://tracker:5310/"))
    assert found.kind == "server" and found.url == "http://tracker:5310" and found.remote


def test_heron_dir_is_the_default_and_then_heron_runs(tmp_path: Path) -> None:
    found = locate(None, settings(tmp_path))
    assert found.folder is not None and found.folder.root == (tmp_path / "default-dir").resolve()
    assert locate(None, Settings()).folder.root == Path("heron-runs").resolve()  # type: ignore[union-attr]


def test_a_database_url_keeps_its_artifacts_setting(tmp_path: Path) -> None:
    found = locate("postgresql://heron@db/heron", settings(tmp_path, artifacts="s3://b/p"))
    assert (found.kind, found.url, found.artifacts) == (
        "database",
        "postgresql://heron@db/heron",
        "s3://b/p",
    )
    assert str(found) == "postgresql://heron@db/heron"


def test_an_unknown_scheme_is_refused_with_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"http\(s\)://.*folder.*database URL"):
        locate("ftp://files/runs", settings(tmp_path))


# --- opening -----------------------------------------------------------------------------


def test_a_missing_folder_is_not_created_unless_asked(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no Heron store at .*nowhere.*HERON_DIR"):
        connect(tmp_path / "nowhere", settings=settings(tmp_path))
    assert not (tmp_path / "nowhere").exists()
    with connect(tmp_path / "new", settings=settings(tmp_path), create=True) as conn:
        assert (tmp_path / "new" / "heron.db").exists() and (tmp_path / "new" / "blobs").is_dir()
        assert conn.folder is not None and not conn.remote
        assert conn.cache == (tmp_path / "new" / "cache").resolve()


def test_a_folder_store_writes_blobs_where_heron_artifacts_says(tmp_path: Path) -> None:
    s = settings(tmp_path, artifacts=str(tmp_path / "elsewhere"))
    source = tmp_path / "f.txt"
    source.write_text("hello")
    with connect(tmp_path / "store", settings=s, create=True) as conn:
        digest = conn.blobs.put_file(source).digest
    assert LocalArtifactStore(tmp_path / "elsewhere").stat(digest) is not None


def test_a_database_url_needs_an_artifact_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with pytest.raises(InvalidInput, match="HERON_ARTIFACTS"):
        connect(url, settings=settings(tmp_path))
    s = settings(tmp_path, artifacts=str(tmp_path / "blobs"))
    with connect(url, settings=s) as conn:
        conn.store.create_run(RunSpec(id="r1", project="p"))
        assert [r.id for r in conn.store.search_runs("p")] == ["r1"]
        assert conn.folder is None and conn.cache == (tmp_path / "default-dir" / "cache").resolve()


def test_a_database_url_password_is_not_shown(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as raised:
        connect("postgresql://heron:s3cret@db/heron", settings=settings(tmp_path))
    assert "s3cret" not in raised.value.message and "heron:***@db" in raised.value.message


def test_the_local_registry_opens_on_first_use_and_closes_with_the_connection(
    tmp_path: Path,
) -> None:
    conn = connect(tmp_path / "store", settings=settings(tmp_path), create=True)
    try:
        assert isinstance(conn.registry, SqlRegistry) and conn.registry is conn.registry
    finally:
        conn.close()
    conn.close()  # closing twice is harmless


# --- a server ------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TransportFactory]:
    store = open_store(f"sqlite:///{tmp_path / 'server.db'}")
    try:
        store.create_run(RunSpec(id="remote1", project="served"))
        app = create_app(store, LocalArtifactStore(tmp_path / "server-blobs"), Settings())
        with serve(app) as transport:
            yield transport
    finally:
        store.close()


def remote(tmp_path: Path, transport: TransportFactory) -> Connection:
    return connect(SERVER, settings=settings(tmp_path), transport=transport())


def test_a_server_answers_store_blobs_and_registry(
    tmp_path: Path, server: TransportFactory
) -> None:
    with remote(tmp_path, server) as conn:
        assert conn.remote and conn.folder is None
        assert isinstance(conn.store, RemoteStore) and isinstance(conn.registry, RemoteRegistry)
        assert [r.id for r in conn.store.search_runs("served")] == ["remote1"]
        source = tmp_path / "f.bin"
        source.write_bytes(b"\x00" * 100)
        digest = conn.blobs.put_file(source).digest
        assert conn.blobs.stat(digest) is not None


def test_api_with_heron_url_reads_the_server_not_the_local_folder(
    tmp_path: Path, server: TransportFactory
) -> None:
    # The bug this seam fixed: heron.Api() read ./heron-runs while HERON_URL was set.
    local = settings(tmp_path, url=SERVER)
    with connect(local.dir, settings=local, create=True) as conn:
        conn.store.create_run(RunSpec(id="local1", project="served"))
    with Api(settings=local, transport=server()) as api:
        assert api.remote and [r.id for r in api.runs("served")] == ["remote1"]
    with Api(local.dir, settings=local) as api:  # an explicit folder still wins
        assert not api.remote and [r.id for r in api.runs("served")] == ["local1"]
