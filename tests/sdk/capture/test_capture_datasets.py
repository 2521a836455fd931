"""hash_dataset on real files and folders."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from heron.errors import InvalidInput, NotFound
from heron.sdk.capture.datasets import DatasetRecord, hash_dataset

OLD = time.time_ns() - 3600 * 10**9  # an hour ago: past the "racy" window


def make_tree(root: Path, files: dict[str, bytes], mtime_ns: int | None = OLD) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime_ns is not None:
            os.utime(path, ns=(mtime_ns, mtime_ns))
    return root


def expected_digest(files: dict[str, bytes]) -> str:
    """The documented folder digest, computed independently."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{hashlib.sha256(files[rel]).hexdigest()}\n".encode())
    return f"sha256:{h.hexdigest()}"


FILES = {
    "train/a.csv": b"x,y\n1,2\n",
    "train/b.csv": b"x,y\n3,4\n",
    "test/c.csv": b"x,y\n5,6\n",
    "README": b"a dataset",
}


def test_folder_digest_follows_the_documented_formula(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    record = hash_dataset(root)
    assert record.digest == expected_digest(FILES)
    assert record.path == str(root)
    assert record.name == "data"
    assert record.file_count == 4
    assert record.bytes == sum(len(v) for v in FILES.values())
    assert (record.files_hashed, record.files_cached, record.skipped) == (4, 0, 0)


def test_many_files_hashed_in_parallel_give_the_same_digest(tmp_path: Path) -> None:
    files = {f"shard-{i:03d}.bin": os.urandom(1000 + i) for i in range(64)}
    files["big.bin"] = os.urandom(3 * 1024 * 1024 + 17)  # more than one 1 MiB chunk
    root = make_tree(tmp_path / "data", files)
    assert hash_dataset(root).digest == expected_digest(files)


def test_single_file_digest_is_its_sha256(tmp_path: Path) -> None:
    data = os.urandom(2 * 1024 * 1024 + 5)
    path = tmp_path / "weights.bin"
    path.write_bytes(data)
    record = hash_dataset(path)
    assert record.digest == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert (record.name, record.file_count, record.bytes) == ("weights.bin", 1, len(data))


def test_same_content_elsewhere_same_digest(tmp_path: Path) -> None:
    one = hash_dataset(make_tree(tmp_path / "one", FILES))
    two = hash_dataset(make_tree(tmp_path / "two", FILES))
    assert one.digest == two.digest
    assert one.path != two.path


def test_one_changed_byte_changes_the_digest(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    before = hash_dataset(root).digest
    changed = dict(FILES, **{"train/a.csv": b"x,y\n1,3\n"})
    make_tree(root, {"train/a.csv": changed["train/a.csv"]})
    after = hash_dataset(root).digest
    assert after != before
    assert after == expected_digest(changed)


def test_rename_changes_the_digest(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    before = hash_dataset(root).digest
    (root / "train" / "b.csv").rename(root / "train" / "b2.csv")
    assert hash_dataset(root).digest != before


def test_added_and_removed_files_change_the_digest(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    before = hash_dataset(root).digest
    make_tree(root, {"extra": b""})
    added = hash_dataset(root).digest
    (root / "extra").unlink()
    assert added != before
    assert hash_dataset(root).digest == before


def test_empty_folders_do_not_count(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    before = hash_dataset(root).digest
    (root / "empty").mkdir()
    assert hash_dataset(root).digest == before


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    record = hash_dataset(tmp_path / "nothing")
    assert record.digest == f"sha256:{hashlib.sha256(b'').hexdigest()}"
    assert record.file_count == 0


def test_cache_hits_on_a_rerun(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    cache = tmp_path / "cache"
    first = hash_dataset(root, cache)
    assert (first.files_hashed, first.files_cached) == (4, 0)
    second = hash_dataset(root, cache)
    assert (second.files_hashed, second.files_cached) == (0, 4)
    assert second.digest == first.digest


def test_cache_rehashes_only_what_changed(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    cache = tmp_path / "cache"
    hash_dataset(root, cache)
    make_tree(root, {"README": b"a dataset, version 2"}, mtime_ns=OLD + 10**9)
    record = hash_dataset(root, cache)
    assert (record.files_hashed, record.files_cached) == (1, 3)
    assert record.digest == expected_digest(dict(FILES, README=b"a dataset, version 2"))


def test_files_written_just_now_are_not_cached(tmp_path: Path) -> None:
    """Their mtime could be shared by a later same-size write: always re-read them."""
    root = make_tree(tmp_path / "data", FILES, mtime_ns=None)
    cache = tmp_path / "cache"
    hash_dataset(root, cache)
    assert hash_dataset(root, cache).files_hashed == 4


def test_cache_entries_of_deleted_files_are_dropped(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    cache = tmp_path / "cache"
    hash_dataset(root, cache)
    (root / "README").unlink()
    hash_dataset(root, cache)
    (cache_file,) = cache.glob("dataset-*.json")
    assert set(json.loads(cache_file.read_text())["files"]) == set(FILES) - {"README"}


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    cache = tmp_path / "cache"
    first = hash_dataset(root, cache)
    for cache_file in cache.glob("dataset-*.json"):
        cache_file.write_text("{ not json")
    again = hash_dataset(root, cache)
    assert again.digest == first.digest
    assert again.files_hashed == 4


def test_unwritable_cache_still_hashes(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    record = hash_dataset(root, blocker / "cache")
    assert record.digest == expected_digest(FILES)


def test_symlinked_file_is_hashed_as_its_content(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"linked")
    (root / "link.bin").symlink_to(outside)
    record = hash_dataset(root)
    assert record.digest == expected_digest(dict(FILES, **{"link.bin": b"linked"}))


def test_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    (root / "train" / "loop").symlink_to(root, target_is_directory=True)
    record = hash_dataset(root)
    assert record.file_count == 4
    assert record.digest == expected_digest(FILES)


def test_dangling_symlink_is_skipped_and_counted(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data", FILES)
    (root / "gone").symlink_to(tmp_path / "does-not-exist")
    record = hash_dataset(root)
    assert record.skipped == 1
    assert record.digest == expected_digest(FILES)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"does-not-exist.*does not exist"):
        hash_dataset(tmp_path / "does-not-exist")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_neither_file_nor_folder(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInput, match="neither a file nor a folder"):
        hash_dataset(fifo)


def test_relative_path_and_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path / "data", FILES)
    monkeypatch.chdir(tmp_path)
    record = hash_dataset(Path("data"), name="cifar10-train")
    assert record.path == str(tmp_path / "data")
    assert record.name == "cifar10-train"


def test_to_dict_is_json(tmp_path: Path) -> None:
    record = hash_dataset(make_tree(tmp_path / "data", FILES))
    data = record.to_dict()
    json.dumps(data)
    assert DatasetRecord(**data) == record
