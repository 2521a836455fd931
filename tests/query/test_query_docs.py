"""docs/query.md stays true: its examples parse and its error messages are the real ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from heron.errors import FilterSyntaxError
from heron.query import parse
from heron.store.filter_sql import compile_filter

DOC = (Path(__file__).parents[2] / "docs" / "query.md").read_text(encoding="utf-8")


def _filter_blocks() -> list[str]:
    blocks = re.findall(r"```filter\n(.*?)```", DOC, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def _table_rows(heading: str) -> list[list[str]]:
    """Cells of the table under ``heading`` (first column first), header rows skipped."""
    section = DOC.split(heading, 1)[1]
    rows: list[list[str]] = []
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows[1:]  # the header


def _code(cell: str) -> str:
    match = re.fullmatch(r"`(.*)`", cell)
    assert match, cell
    return match.group(1)


@pytest.mark.parametrize("text", _filter_blocks())
def test_examples_parse(text: str) -> None:
    compile_filter(text)


@pytest.mark.parametrize("row", _table_rows("## At a glance"))
def test_glance_table_parses(row: list[str]) -> None:
    compile_filter(_code(row[0]))


@pytest.mark.parametrize("row", _table_rows("Some of the messages:"))
def test_error_table_is_true(row: list[str]) -> None:
    text, message = _code(row[0]), row[1]
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    assert info.value.message.split("\n")[0].startswith(message.removesuffix("..."))


def test_error_example_is_true() -> None:
    example = re.search(r"```text\n(expected a value.*?)```", DOC, re.DOTALL)
    assert example
    with pytest.raises(FilterSyntaxError) as info:
        parse("config.lr <")
    assert info.value.message + "\n" == example.group(1)
