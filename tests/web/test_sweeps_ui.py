"""The sweep pages and the analysis page in the browser, over a store of their own: a
sweep whose trials were logged by the real SDK (heron.init taking each trial's
parameters, as under `heron agent`), and two seed groups of runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

import heron
from heron.connect import locate
from heron.settings import Settings
from heron.sweeps import parse_spec
from heron.sweeps.study import Sweeps
from tests.server.conftest import LiveServer, free_port
from tests.web.conftest import screenshot

NEW = [0.912, 0.905, 0.921, 0.915]
OLD = [0.897, 0.902, 0.894, 0.905]


@dataclass(frozen=True)
class Seeded:
    folder: Path
    best: float
    seeded_runs: list[str]  # the new and old groups' runs (4 seeds each)


def seed(folder: Path) -> Seeded:
    quiet = {"system_metrics": False, "capture": False, "capture_console": False}
    ids = []
    for group, finals in (("new", NEW), ("old", OLD)):
        for s, final in enumerate(finals):
            config = {"seed": s, "lr": 0.1 if group == "new" else 0.01}
            with heron.init("sw", dir=folder, group=group, config=config, **quiet) as run:  # type: ignore[arg-type]
                run.log({"acc": final - 0.1}, step=0)
                run.log({"acc": final}, step=1)
                ids.append(run.id)
    spec = {
        "name": "quad",
        "project": "sw",
        "method": "random",
        "metric": {"name": "loss", "goal": "minimize"},
        "run_cap": 8,
        "parameters": {"x": {"min": 0.0, "max": 6.0}, "opt": {"values": ["adam", "sgd"]}},
    }
    values = []
    with Sweeps.at(locate(folder, Settings())) as sweeps:
        sweeps.create(parse_spec(spec))
        for _ in range(5):
            ticket = sweeps.ask("quad")[0].trial
            assert ticket is not None
            trial = {
                "run_id": ticket.run_id,
                "project": "sw",
                "group": "quad",
                "params": ticket.params,
            }
            settings = Settings(dir=folder, sweep_trial=trial)
            with heron.init(settings=settings, **quiet) as run:  # type: ignore[arg-type]
                loss = (run.config["x"] - 3) ** 2
                run.log({"loss": loss}, step=0)
            sweeps.tell("quad", ticket.number, "complete", loss)
            values.append(loss)
    return Seeded(folder, min(values), ids)


@pytest.fixture(scope="module")
def sweeps_seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed(tmp_path_factory.mktemp("web-sweeps") / "store")


@pytest.fixture(scope="module")
def server(ui_ready: None, sweeps_seeded: Seeded) -> Iterator[LiveServer]:
    folder = sweeps_seeded.folder
    live = LiveServer(str(folder), str(folder / "blobs"), free_port(), folder.parent / "server.log")
    live.start()
    yield live
    live.stop()


def test_sweep_page_draws_trials_and_pauses_and_stops(
    page: Any, server: LiveServer, sweeps_seeded: Seeded
) -> None:
    page.goto("/p/sw/sweeps", timeout=60_000)  # the first page of a busy server
    row = page.locator('table.sweeps-table tr[data-sweep="quad"]')
    expect(row).to_contain_text("running")
    expect(row).to_contain_text("5/8")
    row.get_by_role("link", name="quad").click()

    view = page.locator('[data-view="sweep"]')
    expect(view).to_have_attribute("data-status", "running")
    expect(page.locator("table.trials-table tbody tr")).to_have_count(5)
    # every trial's run was logged through heron.init with the trial's parameters
    expect(page.locator("table.trials-table .badge.state-finished")).to_have_count(5)
    expect(page.locator("[data-best]")).to_have_attribute("data-best", str(sweeps_seeded.best))
    expect(page.locator('[data-panel="best-so-far"] .best-line')).to_have_attribute(
        "data-points", "5"
    )
    expect(page.locator('[data-panel="parallel"] path.pc-line')).to_have_count(5)
    # the server's first importance imports scikit-learn: seconds on a busy machine
    importance = page.locator('[data-panel="importance"] tr[data-param="x"]')
    expect(importance).to_be_visible(timeout=60_000)
    screenshot(page, "sweep")

    page.locator('button[data-action="paused"]').click()
    expect(view).to_have_attribute("data-status", "paused")
    page.locator('button[data-action="stopped"]').click()
    expect(view).to_have_attribute("data-status", "stopped")
    answer = httpx.get(f"{server.url}/api/v1/sweeps/quad").json()
    assert answer["sweep"]["status"] == "stopped"


def test_analysis_page_compares_two_groups_and_rates_parameters(page: Any) -> None:
    # from the runs page: the analysis takes the runs in view (its filter) and its metric
    page.goto("/p/sw?q=config.seed%20%3E%3D%200&view=parallel&metric=metrics.acc")
    link = page.get_by_role("link", name="Analysis")
    expect(link).to_have_attribute(
        "href", re.compile(r"^/p/sw/analysis\?filter=config.seed.*&metric=acc$")
    )
    page.goto(link.get_attribute("href"))
    importance = page.locator('[data-panel="importance"]')
    expect(importance.locator('tr[data-param="lr"]')).to_be_visible(timeout=60_000)
    expect(importance).to_contain_text("Over 8 runs")
    page.get_by_label("Group A (group name or filter)").fill("new")
    page.get_by_label("Group B").fill("old")
    page.get_by_label("Group B").press("Enter")
    compare = page.locator('[data-panel="compare"]')
    expect(compare).to_have_attribute("data-significant", "true")
    expect(compare.locator(".verdict")).to_contain_text("A is higher than B")
    expect(compare).to_contain_text("Welch")
    screenshot(page, "analysis")


def test_compare_charts_draw_seed_groups_as_mean_and_band(page: Any, sweeps_seeded: Seeded) -> None:
    runs = "&".join(f"runs={i}" for i in sweeps_seeded.seeded_runs)
    page.goto(f"/p/sw/compare?tab=charts&{runs}")
    chart = page.locator('figure.chart-panel[data-metric="acc"]')
    expect(chart).to_have_attribute("data-series", "8")  # every run a line
    page.get_by_label("Seed groups").select_option("std")
    expect(chart).to_have_attribute("data-band", "std")
    # two drawn series, the groups' means (4 seeds each) at steps 0 and 1
    expect(chart).to_have_attribute("data-series", "2")
    expect(chart).to_have_attribute("data-points", "4")
    expect(chart).to_have_attribute("data-drawn", re.compile(r"^lr=0\.(1|01)\|lr=0\.(1|01)$"))
    page.get_by_label("Seed groups").select_option("ci95")
    expect(chart).to_have_attribute("data-band", "ci95")
    assert "band=ci95" in page.url
    screenshot(page, "seed-bands")
