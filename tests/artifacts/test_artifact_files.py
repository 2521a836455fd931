from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from heron.artifacts import (
    LocalArtifactStore,
    SkippedFileWarning,
    collect,
    materialize,
    materialize_version,
)
from heron.artifacts.digest import bytes_digest, manifest_digest
from heron.artifacts.files import cache_folder
from heron.errors import DigestMismatch, InvalidInput, UnsafePath
from heron.store.base import ArtifactVersion, FileEntry


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (links not followed into folders), by '/' relative path."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


# --- collect ------------------------------------------------------------------


def test_collect_a_file(tmp_path: Path) -> None:
    f = write(tmp_path / "model.pt", b"w")
    assert collect(f) == [("model.pt", f)]
    assert collect(f, "models") == [("models/model.pt", f)]
    assert collect(f, "models/best/") == [("models/best/model.pt", f)]


def test_collect_a_folder_sorted_and_slash_separated(tmp_path: Path) -> None:
    root = tmp_path / "data"
    for rel in ["b.txt", "a/z.bin", "a/b/c.txt", "A.txt", ".hidden", "é.txt"]:
        write(root / rel, rel.encode())
    (root / "empty").mkdir()
    names = [name for name, _ in collect(root)]
    assert names == sorted(names)
    assert set(names) == {"b.txt", "a/z.bin", "a/b/c.txt", "A.txt", ".hidden", "é.txt"}
    assert dict(collect(root))["a/b/c.txt"] == root / "a" / "b" / "c.txt"
    assert [n for n, _ in collect(root, "ds")] == ["ds/" + n for n in names]


def test_collect_an_empty_folder(tmp_path: Path) -> None:
    assert collect(tmp_path) == []


def test_collect_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        collect(tmp_path / "nope")


@pytest.mark.parametrize("prefix", ["/", "/abs", "../up", "a/../../b", "a\\b", "a\0b", "C:/x"])
def test_collect_rejects_unsafe_prefixes(tmp_path: Path, prefix: str) -> None:
    write(tmp_path / "f", b"")
    with pytest.raises(UnsafePath):
        collect(tmp_path / "f", prefix)
    with pytest.raises(UnsafePath):
        collect(tmp_path, prefix)


def test_collect_refuses_names_that_cannot_be_artifact_paths(tmp_path: Path) -> None:
    write(tmp_path / "ok.txt", b"")
    write(tmp_path / "back\\slash.txt", b"")
    with pytest.raises(UnsafePath, match="backslash"):
        collect(tmp_path)
    (tmp_path / "back\\slash.txt").unlink()
    write(tmp_path / "new\nline", b"")
    with pytest.raises(UnsafePath):
        collect(tmp_path)


def test_url_encoded_names_are_literal(tmp_path: Path) -> None:
    f = write(tmp_path / "d" / "%2e%2e%2fescape", b"x")
    assert collect(tmp_path / "d") == [("%2e%2e%2fescape", f)]


def test_symlinked_file_inside_the_folder_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "run"
    real = write(root / "ckpt" / "epoch-3.pt", b"weights")
    (root / "best.pt").symlink_to(Path("ckpt") / "epoch-3.pt")
    assert collect(root) == [("best.pt", real), ("ckpt/epoch-3.pt", real)]


def test_links_that_leave_the_folder_are_skipped_with_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "run"
    keep = write(root / "keep.txt", b"k")
    secret = write(tmp_path / "secret" / "id_rsa", b"private")
    (root / "key").symlink_to(secret)
    (root / "dots").symlink_to(Path("..") / "secret" / "id_rsa")
    (root / "broken").symlink_to(tmp_path / "missing")
    with pytest.warns(SkippedFileWarning) as caught:
        found = collect(root)
    assert found == [("keep.txt", keep)]
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3
    assert any("broken" in m for m in messages)
    assert sum("outside the folder" in m for m in messages) == 2


def test_folder_links_are_not_followed_and_loops_end(tmp_path: Path) -> None:
    root = tmp_path / "run"
    f = write(root / "sub" / "f.txt", b"f")
    (root / "sub" / "loop").symlink_to(root)  # would recurse forever if followed
    (root / "alias").symlink_to(root / "sub")
    (root / "self").symlink_to(root / "self")  # a link to itself
    with pytest.warns(SkippedFileWarning) as caught:
        found = collect(root)
    assert found == [("sub/f.txt", f)]
    assert len(caught) == 3


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_skipped(tmp_path: Path) -> None:
    f = write(tmp_path / "f.txt", b"f")
    os.mkfifo(tmp_path / "pipe")  # reading it would block forever
    with pytest.warns(SkippedFileWarning, match="not a regular file"):
        assert collect(tmp_path) == [("f.txt", f)]


def test_a_folder_given_through_a_link_is_logged(tmp_path: Path) -> None:
    real = write(tmp_path / "real" / "x.txt", b"x")
    (tmp_path / "inner").symlink_to(real)
    (tmp_path / "via").symlink_to(tmp_path / "real")
    assert collect(tmp_path / "via") == [("x.txt", tmp_path / "via" / "x.txt")]
    assert collect(tmp_path / "inner") == [("inner", tmp_path / "inner")]


# --- materialize ----------------------------------------------------------------


def log(store: LocalArtifactStore, root: Path) -> list[FileEntry]:
    entries = []
    for name, source in collect(root):
        info = store.put_file(source)
        entries.append(FileEntry(name, info.digest, info.size))
    return entries


class CountingStore(LocalArtifactStore):
    fetches = 0

    def fetch(self, digest: str, dest: Path) -> Path:
        self.fetches += 1
        return super().fetch(digest, dest)


@pytest.fixture
def counting(tmp_path: Path) -> CountingStore:
    return CountingStore(tmp_path / "blobs")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "source"
    write(root / "model.pt", os.urandom(3_000_000))
    write(root / "cfg" / "params.json", b'{"lr": 0.1}')
    write(root / "cfg" / "deep" / "empty", b"")
    write(root / "%2e%2e%2fnot-an-escape", b"literal")
    return root


def test_materialize_round_trip(counting: CountingStore, tmp_path: Path, source: Path) -> None:
    files = log(counting, source)
    dest = materialize(files, counting, tmp_path / "out" / "v0")
    assert dest == tmp_path / "out" / "v0"
    assert tree(dest) == tree(source)
    assert (dest / "%2e%2e%2fnot-an-escape").read_bytes() == b"literal"
    assert counting.fetches == 4
    assert not any(p.name.endswith(".part") for p in dest.rglob("*"))


def test_materialize_is_a_cache(counting: CountingStore, tmp_path: Path, source: Path) -> None:
    files = log(counting, source)
    dest = materialize(files, counting, tmp_path / "out")
    materialize(files, counting, dest)
    assert counting.fetches == 4  # all present with the right digest: nothing fetched
    params = dest / "cfg" / "params.json"
    params.write_bytes(b'{"lr": 9.9}')  # same size, other bytes
    (dest / "model.pt").unlink()
    write(dest / "mine.txt", b"user file")
    materialize(files, counting, dest)
    assert counting.fetches == 6
    assert params.read_bytes() == b'{"lr": 0.1}'
    assert (dest / "mine.txt").read_bytes() == b"user file"  # left alone


UNSAFE = [
    "../evil",
    "a/../../evil",
    "/tmp/evil",
    "a\\..\\..\\evil",
    "..\\evil",
    "a\0b",
    "C:/evil",
    "c:evil",
    "",
    "./evil",
    "a//b",
    "a/\x1b[31m",
]


@pytest.mark.parametrize("path", UNSAFE)
def test_materialize_refuses_unsafe_paths_before_writing(
    store: LocalArtifactStore, tmp_path: Path, path: str
) -> None:
    good = store.put_file(write(tmp_path / "in" / "good", b"good"))
    files = [
        FileEntry("first.txt", good.digest, good.size),
        FileEntry(path, good.digest, good.size),
    ]
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(UnsafePath):
        materialize(files, store, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []  # not even the safe first file
    after = sorted(p for p in tmp_path.rglob("*") if p != tmp_path / "out")
    assert after == before


def test_a_symlinked_folder_in_dest_cannot_lead_out(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    info = store.put_file(write(tmp_path / "in" / "payload", b"payload"))
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "sub").symlink_to(outside)  # planted before the download
    files = [FileEntry("sub/authorized_keys", info.digest, info.size)]
    with pytest.raises(UnsafePath, match="outside"):
        materialize(files, store, dest)
    assert os.listdir(outside) == []


def test_a_symlinked_file_in_dest_cannot_lead_out(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    info = store.put_file(write(tmp_path / "in" / "payload", b"payload"))
    secret = write(tmp_path / "secret.txt", b"keep me")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "model.pt").symlink_to(secret)
    with pytest.raises(UnsafePath):
        materialize([FileEntry("model.pt", info.digest, info.size)], store, dest)
    assert secret.read_bytes() == b"keep me"


def test_a_symlink_loop_in_dest_is_refused(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "in" / "payload", b"payload"))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "a").symlink_to(dest / "b")
    (dest / "b").symlink_to(dest / "a")
    with pytest.raises(UnsafePath):
        materialize([FileEntry("a/x", info.digest, info.size)], store, dest)


def test_a_symlink_inside_dest_is_replaced_not_followed(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    info = store.put_file(write(tmp_path / "in" / "payload", b"payload"))
    dest = tmp_path / "dest"
    other = write(dest / "other.txt", b"payload")  # right bytes, behind a link
    (dest / "model.pt").symlink_to(other)
    materialize([FileEntry("model.pt", info.digest, info.size)], store, dest)
    assert not (dest / "model.pt").is_symlink()
    assert (dest / "model.pt").read_bytes() == b"payload"
    assert other.read_bytes() == b"payload"


def test_a_dest_reached_through_a_link_is_fine(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "in" / "payload", b"payload"))
    (tmp_path / "real").mkdir()
    (tmp_path / "cache").symlink_to(tmp_path / "real")
    materialize([FileEntry("a/b.txt", info.digest, info.size)], store, tmp_path / "cache")
    assert (tmp_path / "real" / "a" / "b.txt").read_bytes() == b"payload"


def test_materialize_of_a_tampered_blob(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "in" / "payload", b"payload"))
    blob = store.local_path(info.digest)
    blob.chmod(0o644)
    blob.write_bytes(b"PAYLOAD")
    dest = tmp_path / "dest"
    with pytest.raises(DigestMismatch):
        materialize([FileEntry("m/x.bin", info.digest, info.size)], store, dest)
    assert tree(dest) == {}


def test_materialize_rejects_inconsistent_manifests(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    info = store.put_file(write(tmp_path / "in" / "payload", b"payload"))
    d = info.digest
    cases = [
        [FileEntry("a", d, 7), FileEntry("a", d, 7)],
        [FileEntry("a", d, 7), FileEntry("a/b", d, 7)],
        [FileEntry("x/y/z", d, 7), FileEntry("x/y", d, 7)],
        [FileEntry("a", "sha256:../../etc/passwd", 7)],
        [FileEntry("a", bytes_digest(b"x").upper(), 1)],
    ]
    for files in cases:
        with pytest.raises(InvalidInput):
            materialize(files, store, tmp_path / "out")
        assert os.listdir(tmp_path / "out") == []


def test_names_equal_after_unicode_normalisation_collide(tmp_path: Path) -> None:
    write(tmp_path / "caf\u00e9.txt", b"nfc")
    write(tmp_path / "cafe\u0301.txt", b"nfd")
    if len(os.listdir(tmp_path)) != 2:
        pytest.skip("this file system normalises names itself")
    with pytest.raises(UnsafePath, match="both be stored"):
        collect(tmp_path)


def version_of(files: list[FileEntry], single_file: bool) -> ArtifactVersion:
    return ArtifactVersion(
        id=1,
        project="p",
        name="m",
        version=0,
        type="model",
        digest=manifest_digest(files),
        size=sum(f.size for f in files),
        files=tuple(files),
        aliases=(),
        metadata={},
        created_by=None,
        created_at=0.0,
        single_file=single_file,
    )


def test_materialize_version_gives_the_file_of_a_single_file_version(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    source = write(tmp_path / "src" / "model.pt", b"weights")
    files = log(store, source)
    got = materialize_version(version_of(files, True), store, tmp_path / "out")
    assert got == tmp_path / "out" / "model.pt" and got.read_bytes() == b"weights"
    # The same file logged as a folder's only file gives the folder.
    folder = materialize_version(version_of(files, False), store, tmp_path / "out2")
    assert folder == tmp_path / "out2" and tree(folder) == {"model.pt": b"weights"}


def test_materialize_version_gives_the_folder_of_a_folder(
    store: LocalArtifactStore, tmp_path: Path, source: Path
) -> None:
    files = log(store, source)
    got = materialize_version(version_of(files, False), store, tmp_path / "out")
    assert got == tmp_path / "out" and tree(got) == tree(source)
    # A flag on a version of many files cannot name one file: the folder it is.
    assert materialize_version(version_of(files, True), store, tmp_path / "out") == got


def test_materialize_version_checks_every_path(store: LocalArtifactStore, tmp_path: Path) -> None:
    bad = FileEntry("../escape", bytes_digest(b"x"), 1)
    with pytest.raises(UnsafePath):
        materialize_version(version_of([bad], True), store, tmp_path / "out")
    assert not (tmp_path / "escape").exists()


def test_a_cache_folder_is_built_only_from_a_well_formed_digest(tmp_path: Path) -> None:
    good = FileEntry("w.bin", bytes_digest(b"w"), 1)
    version = version_of([good], single_file=True)
    assert cache_folder(tmp_path, version, "it") == tmp_path / version.digest.replace(":", "-")
    hostile = [
        dataclasses.replace(version, digest="sha256:../../../../x"),
        dataclasses.replace(version, digest="sha256:" + "A" * 64),
        dataclasses.replace(version, files=(FileEntry("../up.bin", good.digest, 1),)),
        dataclasses.replace(version, files=(FileEntry("/abs.bin", good.digest, 1),)),
        dataclasses.replace(version, files=(FileEntry("w.bin", "sha256:../x", 1),)),
    ]
    for bad in hostile:
        with pytest.raises(UnsafePath, match=r"^it: the store answered"):
            cache_folder(tmp_path, bad, "it")
    assert list(tmp_path.iterdir()) == []
