"""installed_packages / requirements_txt on this environment plus fake installs."""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from heron.sdk.capture.packages import (
    cached_packages,
    installed_packages,
    list_packages,
    normalize,
    requirements_txt,
)


def make_dist(
    site: Path, name: str, version: str, direct_url: dict[str, Any] | str | None = None
) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"
        "A long description.\nName: not-the-name\nVersion: 0.0.0\n"
    )
    if direct_url is not None:
        text = direct_url if isinstance(direct_url, str) else json.dumps(direct_url)
        (info / "direct_url.json").write_text(text)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def by_name(name: str) -> dict[str, Any]:
    return next(p for p in list_packages() if p["name"] == name)


def test_real_distributions_match_importlib_metadata() -> None:
    packages = installed_packages()
    names = [normalize(p.name) for p in packages]
    assert names == sorted(names)
    assert len(names) == len(set(names))
    versions = {normalize(p.name): p.version for p in packages}
    for name in ("numpy", "psutil", "pytest"):
        assert versions[name] == metadata.version(name)


def test_heron_itself_is_an_editable_install() -> None:
    heron = next(p for p in installed_packages() if p.name == "heron")
    assert heron.source == "editable"
    assert heron.requirement().startswith("# heron==")


def test_list_is_json_of_name_and_version(site: Path) -> None:
    make_dist(site, "plain-pkg", "1.2.3")
    json.dumps(list_packages())
    assert by_name("plain-pkg") == {"name": "plain-pkg", "version": "1.2.3"}


def test_only_the_header_block_is_read(site: Path) -> None:
    make_dist(site, "headers-only", "4.5")
    assert by_name("headers-only")["version"] == "4.5"
    assert all(p["name"] != "not-the-name" for p in list_packages())


def test_requirements_txt_pins_and_comments(site: Path) -> None:
    make_dist(site, "pinned", "1.0")
    make_dist(
        site,
        "from-git",
        "0.3",
        {
            "url": "https://bob:ghp_tok@github.com/org/from-git.git",
            "vcs_info": {"vcs": "git", "commit_id": "abc123"},
        },
    )
    make_dist(site, "from-dir", "0.1", {"url": "file:///src/from-dir", "dir_info": {}})
    make_dist(site, "dev-pkg", "0.2", {"url": "file:///src/dev", "dir_info": {"editable": True}})
    make_dist(
        site,
        "from-wheel-url",
        "2.0",
        {"url": "https://files.example.com/w.whl", "archive_info": {}},
    )
    make_dist(site, "local-wheel", "2.1", {"url": "file:///tmp/w.whl", "archive_info": {}})
    lines = requirements_txt().splitlines()
    assert lines[0].startswith("#")
    assert "pinned==1.0" in lines
    assert "from-git @ git+https://github.com/org/from-git.git@abc123" in lines
    assert "# from-dir==0.1 (local install from file:///src/from-dir)" in lines
    assert "# dev-pkg==0.2 (editable install from file:///src/dev)" in lines
    assert "from-wheel-url @ https://files.example.com/w.whl" in lines
    assert "# local-wheel==2.1 (url install from file:///tmp/w.whl)" in lines
    assert "ghp_tok" not in requirements_txt()
    assert by_name("from-git") == {
        "name": "from-git",
        "version": "0.3",
        "source": "vcs",
        "url": "git+https://github.com/org/from-git.git",
        "commit": "abc123",
    }


def test_malformed_direct_url_is_a_plain_install(site: Path) -> None:
    make_dist(site, "broken-direct", "1.0", "{not json")
    assert by_name("broken-direct") == {"name": "broken-direct", "version": "1.0"}


def test_first_copy_on_the_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    make_dist(second, "twice", "1.0")
    make_dist(first, "twice", "2.0")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    matches = [p for p in list_packages() if p["name"] == "twice"]
    assert matches == [{"name": "twice", "version": "2.0"}]


def test_distribution_without_metadata_is_skipped(site: Path) -> None:
    (site / "ghost-1.0.dist-info").mkdir()
    assert all(normalize(p.name) != "ghost" for p in installed_packages())


@pytest.mark.parametrize(
    ("name", "normal"), [("Foo_Bar.baz", "foo-bar-baz"), ("a--b", "a-b"), ("X", "x")]
)
def test_normalize(name: str, normal: str) -> None:
    assert normalize(name) == normal


def test_packages_are_cached_per_environment_and_read_again_after_an_install(
    site: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    make_dist(site, "first-pkg", "1.0")
    listed = cached_packages(cache)
    assert listed == installed_packages()
    (entry,) = cache.glob("packages-*.json")
    # Read from the cache while the environment is unchanged (marked to prove it)
    saved = json.loads(entry.read_text())
    saved.append(
        {"name": "from-the-cache", "version": "9", "source": None, "url": None, "commit": None}
    )
    entry.write_text(json.dumps(saved))
    assert cached_packages(cache)[-1].name == "from-the-cache"
    # An install changes its folder: the environment is read again
    make_dist(site, "second-pkg", "2.0")
    os.utime(site, ns=(site.stat().st_atime_ns, site.stat().st_mtime_ns + 10**9))
    names = {p.name for p in cached_packages(cache)}
    assert "second-pkg" in names and "from-the-cache" not in names
    assert len(list(cache.glob("packages-*.json"))) == 2


def test_an_unreadable_cache_is_read_through(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    make_dist(site, "first-pkg", "1.0")
    cached_packages(cache)
    (entry,) = cache.glob("packages-*.json")
    entry.write_text("{not json")
    assert cached_packages(cache) == installed_packages()
    assert cached_packages(None) == installed_packages()
