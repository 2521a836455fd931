from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.artifacts.digest import (
    CHUNK_SIZE,
    bytes_digest,
    file_digest,
    hash_stream,
    is_digest,
    manifest_digest,
    parse_digest,
)
from heron.errors import InvalidInput
from heron.store.base import FileEntry

EMPTY_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_empty_digest_is_the_known_sha256() -> None:
    assert bytes_digest(b"") == "sha256:" + EMPTY_HEX
    assert parse_digest("sha256:" + EMPTY_HEX) == EMPTY_HEX


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7]
)
def test_file_digest_streams_across_chunk_boundaries(tmp_path: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert file_digest(path) == "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "bad",
    [
        None,
        42,
        b"sha256:" + EMPTY_HEX.encode(),
        "",
        EMPTY_HEX,  # no prefix
        "sha256:",
        "SHA256:" + EMPTY_HEX,
        "sha256:" + EMPTY_HEX.upper(),
        "sha256:" + EMPTY_HEX[:-1],
        "sha256:" + EMPTY_HEX + "0",
        "sha256:" + EMPTY_HEX + "\n",
        " sha256:" + EMPTY_HEX,
        "sha256: " + EMPTY_HEX[1:],
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha512:" + EMPTY_HEX,
        "sha256:" + "../" * 21 + "x",
        "sha256:" + "٠" * 64,  # Arabic-Indic digits: \d would accept them
        "sha256:" + EMPTY_HEX[:-1] + "g",
        "sha256:" + EMPTY_HEX[:32] + "/" + EMPTY_HEX[33:],
    ],
)
def test_parse_digest_rejects_anything_not_canonical(bad: object) -> None:
    with pytest.raises(InvalidInput):
        parse_digest(bad)
    assert not is_digest(bad)


def test_parse_digest_error_message_is_bounded() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_digest("x" * 10_000)
    assert len(str(info.value)) < 300


@given(st.binary(max_size=4096))
def test_hash_stream_matches_hashlib_and_copies_exactly(data: bytes) -> None:
    sink = io.BytesIO()
    digest, size = hash_stream(io.BytesIO(data), sink)
    assert digest == bytes_digest(data) == "sha256:" + hashlib.sha256(data).hexdigest()
    assert size == len(data)
    assert sink.getvalue() == data
    assert is_digest(digest)


def test_manifest_digest_definition() -> None:
    a = FileEntry("b.txt", bytes_digest(b"b"), 1)
    b = FileEntry("a/x.bin", bytes_digest(b"x"), 1)
    text = f"a/x.bin\0{b.digest}\nb.txt\0{a.digest}\n"
    assert manifest_digest([a, b]) == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert manifest_digest([]) == "sha256:" + EMPTY_HEX


_paths = st.lists(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20),
    min_size=0,
    max_size=8,
    unique=True,
)


@given(_paths, st.data())
def test_manifest_digest_ignores_order_and_sees_every_change(
    paths: list[str], data: st.DataObject
) -> None:
    entries = [FileEntry(p, bytes_digest(p.encode()), len(p)) for p in paths]
    shuffled = data.draw(st.permutations(entries))
    digest = manifest_digest(entries)
    assert manifest_digest(shuffled) == digest
    assert manifest_digest(iter(entries)) == digest  # any iterable
    assert is_digest(digest)
    if entries:
        i = data.draw(st.integers(0, len(entries) - 1))
        changed = list(entries)
        changed[i] = FileEntry(entries[i].path, bytes_digest(b"other" + b"!" * i), 1)
        assert manifest_digest(changed) != digest
        renamed = list(entries)
        renamed[i] = FileEntry(entries[i].path + "~", entries[i].digest, entries[i].size)
        if renamed[i].path not in paths:
            assert manifest_digest(renamed) != digest
        assert manifest_digest(entries[:i] + entries[i + 1 :]) != digest
