"""Console capture in remote mode: lines printed by a run logging to a real ``heron
server`` are announced live, read back through ``heron.Api`` and ``heron runs logs``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import heron
from heron.api import Api
from heron.cli.main import cli as cli_main
from heron.store.base import CONSOLE_PAGE_MAX
from tests.remote.conftest import LiveServer
from tests.server.test_events import next_event, stream_events


def test_printed_lines_reach_the_server(
    live: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERON_SHIP_INTERVAL", "0.05")
    events, close = stream_events(f"{live.url}/api/v1/events?project=remote-console")
    try:
        run = heron.init(
            "remote-console", url=live.url, dir=tmp_path / "client", system_metrics=False
        )
        print("hello from a remote run")
        announced = next_event(events, "console")  # live: the UI asks for new lines now
        assert announced["run"] == run.id and announced["project"] == "remote-console"
        print("a warning", file=sys.stderr)
        for i in range(CONSOLE_PAGE_MAX + 10):  # more than one page over HTTP
            print(f"row {i}")
        run.finish()
    finally:
        close()

    with Api(live.url) as api:
        got = api.run(run.id)
        page = got.console(limit=2)
        assert [(x.line, x.stream, x.text) for x in page.lines] == [
            (1, "stdout", "hello from a remote run"),
            (2, "stderr", "a warning"),
        ]
        assert page.total == CONSOLE_PAGE_MAX + 12
        every = got.console()  # limit None: every page
        assert (
            len(every.lines) == page.total and every.lines[-1].text == f"row {CONSOLE_PAGE_MAX + 9}"
        )
        assert [x.text for x in got.console(tail=1).lines] == [f"row {CONSOLE_PAGE_MAX + 9}"]
        followed = list(got.console_lines(follow=True))  # the run has ended: no waiting
        assert [x.line for x in followed] == list(range(1, page.total + 1))

    result = CliRunner().invoke(
        cli_main, ["runs", "logs", run.id, "--tail", "3"], env={"HERON_URL": live.url}
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"row {CONSOLE_PAGE_MAX + i}" for i in (7, 8, 9)]
