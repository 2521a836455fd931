"""run.log with media, read back through heron.Api (a local store), heron.watch, and
the values log, summary and config share (issue 13, item 6)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import heron
from heron.api import Api
from heron.errors import InvalidValue
from heron.media import digest_of
from heron.media.png import encode_png


def _init(tmp_path: Path, **kwargs: object) -> heron.Run:
    return heron.init(
        "media", dir=tmp_path, system_metrics=False, capture=False, capture_console=False, **kwargs
    )


def test_media_round_trip_through_a_local_store(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pixels = [rng.integers(0, 256, (8, 6, 3), dtype=np.uint8) for _ in range(3)]
    with _init(tmp_path) as run:
        for step in range(3):
            run.log(
                {
                    "loss": 1.0 / (step + 1),
                    "samples": heron.Image(pixels[step], caption=f"step {step}"),
                    "weights": heron.Histogram(np.arange(10) * step + 1, bins=5),
                },
                step=step,
            )
        run.log({"samples": heron.Image(pixels[0], caption="again")}, step=2)  # replaces
        run.log(
            {
                "preds": heron.Table(columns=["x", "img"], data=[[1.5, heron.Image(pixels[1])]]),
                "note": heron.Text("a generated sample"),
                "sound": heron.Audio(np.zeros(80), 8000),
            },
            step=9,
        )
        run_id = run.id
    with Api(tmp_path) as api:
        got = api.run(run_id)
        assert [k.key for k in got.media_keys()] == ["note", "preds", "samples", "sound", "weights"]
        assert got.metrics["loss"].count == 3  # the scalars beside the media
        images = got.media("samples")
        assert [(m.step, m.caption) for m in images] == [(0, "step 0"), (1, "step 1"), (2, "again")]
        assert np.array_equal(images[1].image(), pixels[1])
        assert np.array_equal(images[2].to_numpy(), pixels[0])
        counts, edges = got.media("weights")[2].histogram()
        assert counts.sum() == 10 and len(edges) == 6
        table = got.media("preds")[0]
        cell = table.table()["rows"][0][1]
        assert np.array_equal(table.table_image(cell), pixels[1])
        assert table.to_pandas()["x"].tolist() == [1.5]
        assert got.media("note")[0].text() == "a generated sample"
        samples, rate = got.media("sound")[0].audio()
        assert rate == 8000 and samples.shape == (80, 1)
        assert [m.step for m in got.media("samples", first_step=1)] == [1, 2]
        assert [m.step for m in got.media("samples", limit=2)] == [0, 2]
        # garbage collection keeps every blob a media item names; the image replaced
        # at step 2 is the one orphan
        orphans = [b.digest for b in api.orphaned_blobs(grace_seconds=0)]
        assert orphans == [digest_of(encode_png(pixels[2]))]


def test_a_bad_media_value_fails_at_log_and_the_rest_is_logged(tmp_path: Path) -> None:
    with _init(tmp_path) as run:
        with pytest.raises(InvalidValue, match="NaN or infinite"):
            run.log({"ok": 1.0, "h": heron.Histogram([math.nan])}, step=0)
        with pytest.raises(InvalidValue, match="too large"):
            heron.Image(np.zeros((10_000, 10), np.uint8))
        with pytest.raises(InvalidValue, match=r"not logged|other values"):
            run.log({"ok": 2.0, "bad": [1, 2], "img": heron.Image(np.zeros((2, 2)))}, step=1)
        run_id = run.id
    with Api(tmp_path) as api:
        got = api.run(run_id)
        assert got.metrics["ok"].count == 1  # step 1 (the first call failed while made)
        assert [m.step for m in got.media("img")] == [1]


def test_watch_logs_gradient_and_parameter_histograms(tmp_path: Path) -> None:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    with _init(tmp_path) as run:
        hooks = heron.watch(model, log="all", freq=2)
        for step in range(4):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            run.log({"loss": loss}, step=step)
        hooks.remove()
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()  # no hooks: nothing more
        run_id = run.id
    with Api(tmp_path) as api:
        got = api.run(run_id)
        keys = {k.key: k for k in got.media_keys()}
        assert set(keys) == {
            f"{what}/{name}"
            for what in ("gradients", "parameters")
            for name in ("0.weight", "0.bias", "2.weight", "2.bias")
        }
        assert [m.step for m in got.media("gradients/0.weight")] == [0, 2]
        counts, _ = got.media("parameters/0.weight")[0].histogram()
        assert counts.sum() == 12
        assert got.metrics["loss"].count == 4


def test_watch_refuses_what_it_cannot_watch(tmp_path: Path) -> None:
    import torch

    with _init(tmp_path):
        with pytest.raises(heron.HeronError, match=r"torch\.nn\.Module"):
            heron.watch(object())
        with pytest.raises(heron.HeronError, match="freq"):
            heron.watch(torch.nn.Linear(1, 1), freq=0)


def test_log_summary_and_config_take_the_same_numbers(tmp_path: Path) -> None:
    import torch

    numbers = {
        "py": 1.5,
        "np": np.float32(0.25),
        "np0d": np.array(3.0),
        "t0d": torch.tensor(2.5),
        "tint": torch.tensor(7),
        "grad": torch.tensor(0.5, requires_grad=True) * 1,
    }
    with _init(tmp_path, config={"lr": torch.tensor(0.125), "layers": torch.tensor([1, 2])}) as run:
        run.log(numbers, step=0)
        for key, value in numbers.items():
            run.summary[key] = value
        run.config["beta"] = np.float64(0.9)
        for where in (run.log, run.summary.update, run.config.update):
            with pytest.raises(InvalidValue, match="complex"):
                where({"c": np.complex64(1j)})
        run_id = run.id
    with Api(tmp_path) as api:
        got = api.run(run_id)
        expected = {"py": 1.5, "np": 0.25, "np0d": 3.0, "t0d": 2.5, "tint": 7, "grad": 0.5}
        assert {k: got.summary[k] for k in expected} == expected
        assert {k: got.metrics[k].last for k in expected} == expected
        assert got.config["lr"] == 0.125 and got.config["layers"] == [1, 2]
        assert got.config["beta"] == 0.9
