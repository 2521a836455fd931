"""``heron.init`` refuses what the store would refuse, before anything starts: a remote
run's record reaches the server only when shipped, and a refusal then would stop it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import heron
from heron.errors import InvalidInput


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name": "a\n"}, "control characters"),
        ({"name": ""}, "non-empty"),
        ({"group": " g"}, "leading or trailing whitespace"),
        ({"tags": ["x\n"]}, "control characters"),
        ({"notes": "\ud800"}, "lone surrogate"),
        ({"name": "n" * 257}, "256"),
        ({"config": {"k" * 600: 1}}, "512"),
    ],
)
def test_what_the_store_refuses_is_refused_at_init(
    tmp_path: Path, fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        heron.init(
            "p",
            dir=tmp_path,
            url="http://127.0.0.1:9",  # a server that never sees the run
            capture=False,
            system_metrics=False,
            capture_console=False,
            **fields,
        )
    assert not list((tmp_path / "spool").glob("*/seg-*"))  # nothing was spooled
