"""heron.init takes a string as one tag and refuses a config key given twice; a step
past int64 is a clear error
(issue 18, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

import heron
from heron.errors import InvalidInput, InvalidValue

from .conftest import start_run


def test_a_string_is_one_tag(store_dir: Path) -> None:
    with start_run(store_dir, tags="baseline") as run:
        assert run.tags == ("baseline",)
    with heron.Api(store_dir) as api:
        assert api.run(run.id).tags == ("baseline",)


def test_a_config_key_given_dotted_and_nested_is_an_error(store_dir: Path) -> None:
    with pytest.raises(InvalidInput, match=r"'opt\.lr' is given twice"):
        start_run(store_dir, config={"opt.lr": 0.1, "opt": {"lr": 0.2}})
    with pytest.raises(InvalidInput, match="'opt' is given twice"):
        start_run(store_dir, config={"opt": 1, "opt.lr": 0.2})
    with start_run(store_dir, config={"opt.lr": 0.1, "opt": {"momentum": 0.9}}) as run:
        assert run.config["opt"] == {"lr": 0.1, "momentum": 0.9}  # different leaves: fine


def test_a_step_past_int64_is_a_clear_error(store_dir: Path) -> None:
    with start_run(store_dir) as run:
        run.log({"x": 1.0}, step=5)
        with pytest.raises(InvalidValue, match="outside the int64 range"):
            run.log({"x": 2.0}, step=2**63)
        assert run.step == 6  # the counter is as it was
