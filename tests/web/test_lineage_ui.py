"""The Lineage tab of the run page and the model version page: a dataset and an artifact
into a run, its checkpoint and model out, the model version registered and promoted;
the graph shows them, a click opens the model version, whose page lists its training
data. A store of its own (the other browser tests count runs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import heron
import heron.models
from tests.server.conftest import LiveServer, free_port
from tests.web.conftest import screenshot


@dataclass
class Seeded:
    folder: Path
    prep: str
    train: str
    digest: str
    again: str


def _seed(folder: Path) -> Seeded:
    files = folder.parent / "files"
    files.mkdir(parents=True)
    (files / "raw.csv").write_text("a,b\n1,2\n")
    (files / "clean.csv").write_text("1\n")
    (files / "weights.bin").write_bytes(b"\x00weights")
    opts: dict[str, Any] = {"dir": folder, "system_metrics": False, "capture": False}
    with heron.init(project="vision", name="prepare-data", **opts) as run:
        digest = run.use_dataset(files / "raw.csv", name="raw")["digest"]
        run.log_artifact(files / "clean.csv", name="clean-data", type="dataset")
        prep = run.id
    with heron.init(project="vision", name="train-resnet", **opts) as run:
        run.use_artifact("clean-data:v0")
        run.log_checkpoint(files / "weights.bin", metrics={"loss": 0.3}, step=3)
        run.log_artifact(files / "weights.bin", name="resnet", type="model")
        train = run.id
    with heron.init(project="vision", name="train-resnet-again", **opts) as run:
        # what heron.init records with capture on, and heron reproduce --run links
        run.record_system(
            {
                "reproducibility": {
                    "score": 75,
                    "missing": [
                        {"check": "untracked", "message": "1 untracked file not captured"},
                        {"check": "seed", "message": "no seed set"},
                    ],
                },
                "reproduction": {"of": train, "of_name": "train-resnet", "of_project": "vision"},
            }
        )
        again = run.id
    version = heron.models.register(train, "resnet:v0", name="resnet", dir=folder)
    heron.models.transition("resnet", version.version, "Production", dir=folder)
    heron.models.close_all()
    return Seeded(folder, prep, train, digest, again)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return _seed(tmp_path_factory.mktemp("web-lineage") / "store")


@pytest.fixture(scope="module")
def server(ui_ready: None, seeded: Seeded) -> Iterator[LiveServer]:
    folder = seeded.folder
    live = LiveServer(str(folder), str(folder / "blobs"), free_port(), folder.parent / "server.log")
    live.start()
    yield live
    live.stop()


def test_the_reproducibility_card_and_the_reproduction_link(page: Any, seeded: Seeded) -> None:
    page.goto(f"/p/vision/runs/{seeded.again}")
    card = page.get_by_test_id("reproducibility")
    expect(card).to_have_attribute("data-score", "75")
    expect(card.locator('li[data-check="seed"]')).to_have_text("no seed set")
    expect(card).to_contain_text(f"heron reproduce {seeded.again} --dir DIR --run")
    card.get_by_role("link", name="train-resnet").click()
    expect(page).to_have_url(re.compile(rf"/p/vision/runs/{seeded.train}$"))
    expect(page.get_by_test_id("reproducibility")).to_have_count(0)  # capture was off


def test_the_lineage_tab_and_the_model_version_page(page: Any, seeded: Seeded) -> None:
    page.goto(f"/p/vision/runs/{seeded.train}?tab=lineage")
    graph = page.locator("svg.lineage-graph")
    # depth 2: clean-data <- prepare-data, train -> checkpoint, resnet:v0 -> model version,
    # and the reproduction of train
    expect(graph).to_have_attribute("data-nodes", "7")
    node = graph.locator("g.lineage-node")
    expect(node.locator("xpath=self::*[@data-kind='run']")).to_have_count(3)  # + reproduction
    expect(graph.locator('g[data-kind="checkpoint"]')).to_have_count(1)
    model = graph.locator('g[data-kind="model_version"]')
    expect(model).to_have_attribute("data-label", "resnet v1")
    expect(graph.locator(f'g.root[data-node-id="run:{seeded.train}"]')).to_have_count(1)
    expect(graph.locator("path.lineage-edge")).to_have_count(6)
    expect(graph.locator('path[data-kind="reproduces"]')).to_have_count(1)
    # one hop more reaches the dataset the preparation run hashed
    page.get_by_label("Lineage depth").select_option("3")
    expect(page).to_have_url(re.compile(r"ld=3"))
    expect(graph.locator('g[data-kind="dataset"]')).to_have_attribute("data-label", "raw")
    row = page.locator(f'table.lineage-datasets tr[data-digest="{seeded.digest}"]')
    expect(row).to_have_count(1)
    screenshot(page, "lineage-run")
    # a click on the model version opens its page
    graph.locator('g[data-kind="model_version"]').click()
    expect(page).to_have_url(re.compile(r"/models/resnet/versions/1"))
    version_graph = page.locator("svg.lineage-graph")
    expect(version_graph.locator('g.root[data-node-id="model:resnet/1"]')).to_have_count(1)
    expect(page.locator(".page-head")).to_contain_text("production")
    page.get_by_role("tab", name="Training data").click()
    data = page.locator(".training-data")
    expect(data).to_have_attribute("data-datasets", "1")
    expect(data).to_contain_text(seeded.digest)
    expect(data).to_contain_text("clean-data:v0")
    expect(data.get_by_role("link", name="prepare-data")).to_have_count(1)
    # and the model page links each version to it
    page.goto("/models/resnet")
    page.locator('tr[data-version="1"]').get_by_role("link", name="lineage").click()
    expect(page).to_have_url(re.compile(r"/models/resnet/versions/1"))
