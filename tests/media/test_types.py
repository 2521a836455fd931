"""heron.media types: what each accepts, the clear error for what it does not, and
the bytes it encodes (read back by Heron's own reader and by Pillow)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from heron.errors import InvalidValue
from heron.media import Audio, Histogram, Image, Table, Text, digest_of
from heron.media.png import decode_png, decode_wav, encode_png


def test_png_round_trips_through_heron_and_pillow() -> None:
    from PIL import Image as PILImage

    rng = np.random.default_rng(0)
    for channels in (1, 2, 3, 4):
        pixels = rng.integers(0, 256, (7, 13, channels), dtype=np.uint8)
        png = encode_png(pixels)
        assert np.array_equal(decode_png(png), pixels)
        pil = np.asarray(PILImage.open(io.BytesIO(png)))
        assert np.array_equal(pil.reshape(pixels.shape), pixels)


def test_image_inputs_become_uint8_hwc() -> None:
    import torch

    assert Image(np.zeros((4, 5))).pixels.shape == (4, 5, 1)
    assert Image(np.ones((4, 5, 3), np.float32)).pixels.max() == 255  # [0, 1] scaled
    assert Image(np.full((2, 2), 300)).pixels.max() == 255  # clipped
    assert Image(np.zeros((3, 4, 5))).pixels.shape == (4, 5, 3)  # CxHxW from numpy
    assert Image(torch.rand(3, 6, 7)).pixels.shape == (6, 7, 3)  # torch is CHW
    assert Image(np.zeros((2, 2), bool)).pixels.dtype == np.uint8


def test_pil_images_and_matplotlib_figures() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from PIL import Image as PILImage

    assert Image(PILImage.new("RGB", (9, 4), (255, 0, 0))).pixels[0, 0].tolist() == [255, 0, 0]
    figure = Figure(figsize=(2, 1), dpi=50)
    figure.add_subplot().plot([0, 1], [1, 0])
    image = Image(figure, caption="curve")
    assert image.pixels.shape == (50, 100, 4) and image.caption == "curve"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.zeros((5, 5, 2, 2)), "HxW, HxWxC or CxHxW"),
        (np.zeros((5, 5, 7)), "HxW, HxWxC or CxHxW"),
        (np.zeros((0, 5)), "needs pixels"),
        (np.zeros((9000, 2), np.uint8), "too large"),
        (np.zeros((4097, 4097), np.uint8), "too large"),
        (np.array([[np.nan, 0.0]]), "NaN or infinite"),
        (np.array([["a"]]), "must hold numbers"),
        ("not an image", "must hold numbers"),
    ],
)
def test_bad_images_fail_when_made(data: object, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        Image(data)


def test_image_boxes_masks_and_captions_are_checked() -> None:
    mask = np.zeros((4, 4), np.int64)
    mask[1:3, 1:3] = 2
    image = Image(
        np.zeros((4, 4, 3)),
        "boxes",
        boxes=[{"box": [0, 0, 2, 2], "label": "cat", "score": 0.5}],
        mask=mask,
        mask_labels={2: "dog"},
    )
    encoded = image.encode()
    assert encoded.meta["boxes"] == [{"box": [0.0, 0.0, 2.0, 2.0], "label": "cat", "score": 0.5}]
    assert encoded.meta["mask"] == digest_of(encoded.refs[0])
    assert decode_png(encoded.refs[0])[:, :, 0].tolist() == mask.tolist()
    with pytest.raises(InvalidValue, match="mask is HxW"):
        Image(np.zeros((4, 4)), mask=np.zeros((3, 3)))
    with pytest.raises(InvalidValue, match="4 finite numbers"):
        Image(np.zeros((4, 4)), boxes=[{"box": [0, 0, math.nan, 1]}])
    with pytest.raises(InvalidValue, match="caption"):
        Image(np.zeros((4, 4)), caption="x" * 2000)


def test_histograms_from_values_torch_and_bins() -> None:
    import torch

    h = Histogram(np.arange(100), bins=10)
    assert h.counts.tolist() == [10.0] * 10 and h.edges[0] == 0 and h.edges[-1] == 99
    t = Histogram(torch.arange(100, dtype=torch.float32), bins=10)
    assert t.counts.sum() == 100 and len(t.edges) == 11
    assert Histogram(np.ones(5)).total == 5  # one value: a bin around it
    p = Histogram(counts=[1, 2], edges=[0, 1, 3])
    assert p.encode().meta == {"edges": [0.0, 1.0, 3.0], "counts": [1.0, 2.0], "total": 3.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1.0, math.nan, math.inf]}, "2 NaN or infinite values of 3"),
        ({"values": []}, "no values"),
        ({"values": [1.0], "bins": 0}, "bins must be"),
        ({"values": [1.0], "bins": 10_000}, "bins must be"),
        ({"counts": [1, 2], "edges": [0, 1]}, "one more edge"),
        ({"counts": [1, -2], "edges": [0, 1, 2]}, "negative"),
        ({"counts": [1, 2], "edges": [0, 2, 1]}, "increase"),
        ({}, "needs values"),
    ],
)
def test_bad_histograms_fail_when_made(kwargs: dict[str, object], message: str) -> None:
    import torch

    with pytest.raises(InvalidValue, match=message):
        Histogram(**kwargs)  # type: ignore[arg-type]
    if "values" in kwargs and kwargs["values"] and "bins" not in kwargs:
        with pytest.raises(InvalidValue, match=message):
            Histogram(torch.tensor(kwargs["values"]))


def test_tables_from_rows_and_pandas() -> None:
    import pandas

    table = Table(
        columns=["n", "s", "img"], data=[[1, "a", Image(np.zeros((2, 2)))], [math.nan, None, None]]
    )
    encoded = table.encode()
    assert encoded.meta == {"columns": ["n", "s", "img"], "rows": 2}
    assert len(encoded.refs) == 1 and b'{"number":"NaN"}' in (encoded.blob or b"")
    frame = pandas.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert Table(dataframe=frame).rows == [[1, "x"], [2, "y"]]
    with pytest.raises(InvalidValue, match="3 cells for 2 columns"):
        Table(columns=["a", "b"], data=[[1, 2, 3]])
    with pytest.raises(InvalidValue, match="cells are numbers"):
        Table(columns=["a"], data=[[object()]])
    with pytest.raises(InvalidValue, match="must differ"):
        Table(columns=["a", "a"])


def test_text_and_audio() -> None:
    assert Text("héllo").encode().blob == "héllo".encode()
    with pytest.raises(InvalidValue, match="at most"):
        Text("x" * (1024 * 1024 + 1))
    with pytest.raises(InvalidValue, match="takes a str"):
        Text(3)  # type: ignore[arg-type]
    wave = np.sin(np.linspace(0, 100, 800))
    audio = Audio(np.stack([wave, -wave], axis=1), 8000, caption="beep")
    samples, rate = decode_wav(audio.encode().blob or b"")
    assert rate == 8000 and samples.shape == (800, 2)
    assert np.allclose(samples[:, 0] / 32767, wave, atol=1e-4)
    with pytest.raises(InvalidValue, match="NaN"):
        Audio(np.array([math.nan]), 8000)
    with pytest.raises(InvalidValue, match="rate"):
        Audio(wave, 0)
    with pytest.raises(InvalidValue, match="channels"):
        Audio(np.zeros((10, 20)), 8000)
