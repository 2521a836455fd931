"""heron.init takes a string as one tag (issue 18, item 4)."""

from __future__ import annotations

from pathlib import Path

import heron

from .conftest import start_run


def test_a_string_is_one_tag(store_dir: Path) -> None:
    with start_run(store_dir, tags="baseline") as run:
        assert run.tags == ("baseline",)
    with heron.Api(store_dir) as api:
        assert api.run(run.id).tags == ("baseline",)
