"""Filters on the run's record (``system.*``, ``datasets.*``) on SQLite and PostgreSQL.

The records are ``SYSTEMS`` in conftest.py: git state, Python, packages (a list, one
of them with no version; r3's is a dict), datasets, NaN and infinities in the JSON
(which neither database's JSON parser reads), values of the wrong JSON type.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import heron
from heron.artifacts.local import LocalArtifactStore
from heron.cli.main import cli
from heron.errors import FilterSyntaxError
from heron.query import parse, unparse
from heron.store import open_store
from tests.remote.inprocess import URL, remote_stores

Db = Any

RECORD_FILTERS = [
    ('system.git.commit = "a1b2c3"', "r1"),
    ('system.git.commit in ("a1b2c3", "d4e5f6")', "r1 r2"),
    ('system.git.commit != "a1b2c3"', "r2"),  # r3's commit is a number, r4's git is null
    ('system.git.commit like "d4*"', "r2"),
    ("system.git.commit exists", "r1 r2"),
    ("system.git.commit not exists", "r3 r4 r5 r6"),
    ('system.git.branch = "main"', "r1"),
    ("system.git.branch exists", "r1"),  # detached (null) is no branch
    ("system.git.dirty = true", "r2"),
    ("system.git.dirty = false", "r1"),
    ("system.git.dirty != true", "r1"),  # r3's "yes" is not a boolean
    ("not system.git.dirty = true", "r1 r3 r4 r5 r6"),
    ('system.python = "3.12.4"', "r1 r4"),
    ('system.python like "3.1?.*"', "r1 r2 r4"),
    ('system.python not like "3.12.*"', "r2"),
    ('system.heron = "0.1.0"', "r1"),
    ('system.packages.torch = "2.5.1"', "r1 r4"),  # r3's packages are no list
    ('system.packages.torch != "2.5.1"', "r2"),
    ('system.packages.torch like "2.*"', "r1 r2 r4"),
    ("system.packages.torch exists", "r1 r2 r4"),
    ('system.packages.pyyaml = "6.0.2"', "r1"),  # names compare normalised
    ("system.packages.py_yaml exists", ""),
    ('system.packages.PyYAML = "6.0.2"', "r1"),
    ("system.packages.zope-interface exists", ""),  # recorded without a version
    ('datasets.train.digest = "sha256:aaa"', "r1"),
    ('datasets.train.digest != "sha256:aaa"', "r2"),
    ('datasets.`my.val set`.digest = "sha256:ccc"', "r2"),
    ("datasets.train.file_count > 10", "r2"),
    ("datasets.train.file_count <= 10", "r1"),
    ("datasets.train.bytes exists", "r1"),  # NaN is no value
    ("datasets.train.bytes >= 1000", "r1"),
    ('system.git.commit = "a1b2c3" and config.lr < 0.05', "r1"),
    ('system.git.commit = "a1b2c3" or tags has "nlp"', "r1 r4"),
]


@pytest.mark.parametrize(("text", "expected"), RECORD_FILTERS)
def test_record_filters(db: Db, text: str, expected: str) -> None:
    assert db.ids(text) == set(expected.split())


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["system.git.commit"], ["r1", "r2", "r3", "r4", "r5", "r6"]),
        (["-system.git.commit"], ["r2", "r1", "r3", "r4", "r5", "r6"]),
        (["datasets.train.file_count"], ["r1", "r2", "r3", "r4", "r5", "r6"]),
        (["-datasets.train.file_count"], ["r2", "r1", "r3", "r4", "r5", "r6"]),
        (["system.packages.torch", "-id"], ["r2", "r4", "r1", "r6", "r5", "r3"]),
    ],
)
def test_record_sort(db: Db, terms: list[str], expected: list[str]) -> None:
    assert db.order(terms) == expected


@pytest.mark.parametrize(
    "text",
    [
        'system.git.commit = "a"',
        "system.git.dirty != false",
        'system.packages.torch in ("2.5.1", "2.4.0")',
        "datasets.`my.val set`.digest exists",
        "datasets.train.bytes > 1.5",
    ],
)
def test_record_fields_round_trip(text: str) -> None:
    assert parse(unparse(parse(text))) == parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'system.git.comit = "a"',
            "unknown field 'system.git.comit' at column 1 (did you mean 'system.git.commit'?)",
        ),
        (
            'system.pyhton = "3"',
            "unknown field 'system.pyhton' at column 1 (did you mean 'system.python'?)",
        ),
        (
            'sytem.git.commit = "a"',
            "unknown field 'sytem.git.commit' at column 1 (did you mean 'system.",
        ),
        (
            'datasets.train.digets = "x"',
            "unknown dataset part 'digets' at column 16 (did you mean 'datasets.train.digest'?)",
        ),
        ('datasets.train = "x"', "expected datasets.<name>.<part> (like datasets.train.digest)"),
        ("system.git.dirty = 1", "cannot compare system.git.dirty with the number 1"),
        ("system.git.dirty < true", "cannot compare system.git.dirty with true"),
        ('system.python > "3.9"', 'cannot compare system.python with the string "3.9"'),
        ("system.packages.torch = 2", "cannot compare system.packages.torch with the number 2"),
        (
            "datasets.train.file_count = '3'",
            "cannot compare datasets.train.file_count with the string",
        ),
        ('datasets.train.bytes like "1*"', "'like' matches text only"),
        ('system.`packages.a"b` exists', "system.'packages.a\"b' may not hold quotes"),
    ],
)
def test_record_field_errors(text: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    assert info.value.message.startswith(message), info.value.message


# --- end to end: the SDK records, then the API, the CLI and a server filter on it -----


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def test_runs_found_by_commit_dataset_and_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, root = tmp_path / "repo", tmp_path / "heron-runs"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("print(1)\n")
    (repo / "data.csv").write_text("x\n1\n")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one")
    commit = _git(repo, "rev-parse", "HEAD")
    monkeypatch.chdir(repo)
    options: dict[str, Any] = {"dir": root, "system_metrics": False, "capture": True}
    with heron.init(project="p", name="clean", **options) as run:
        digest = run.use_dataset(repo / "data.csv", name="train")["digest"]
        clean = run.id
    (repo / "train.py").write_text("print(2)\n")  # dirty
    with heron.init(project="p", name="dirty", **options) as run:
        dirty = run.id
    torch_version = metadata.version("torch")
    filters = {
        f'system.git.commit = "{commit}"': {clean, dirty},
        "system.git.dirty = true": {dirty},
        'system.git.branch = "main" and system.git.dirty = false': {clean},
        f'datasets.train.digest = "{digest}"': {clean},
        f'system.packages.torch = "{torch_version}"': {clean, dirty},
        f'system.python = "{platform.python_version()}"': {clean, dirty},
    }
    with heron.Api(root) as api:
        for text, expected in filters.items():
            assert {r.id for r in api.runs(filter=text)} == expected, text
    result = CliRunner().invoke(
        cli, ["--dir", str(root), "runs", "ls", "--json", "-f", "system.git.dirty = true"]
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [dirty]
    result = CliRunner().invoke(
        cli, ["--dir", str(root), "runs", "ls", "-f", "system.git.comit exists"]
    )
    assert result.exit_code == 2 and "did you mean 'system.git.commit'" in result.output
    # the server the runs table asks
    with open_store(f"sqlite:///{root / 'heron.db'}") as sql:
        blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
        with (
            remote_stores(sql, blobs, tmp_path) as remote,
            heron.Api(URL, transport=remote.transport) as api,
        ):
            got = api.runs(filter=f'datasets.train.digest = "{digest}"')
            assert [r.id for r in got] == [clean]
            with pytest.raises(FilterSyntaxError, match=r"did you mean 'datasets\.train\.digest'"):
                api.runs(filter='datasets.train.digets = "x"')
