"""``import heron`` exposes exactly this: adding a name is a decision, not an accident."""

from __future__ import annotations

import heron

EXPECTED = {
    "Api",
    "Audio",
    "HeronError",
    "Histogram",
    "Image",
    "Run",
    "Table",
    "Text",
    "__version__",
    "errors",
    "finish",
    "flush",
    "init",
    "log",
    "models",
    "run",
    "seed_everything",
    "watch",
}


def test_all_is_exactly_the_public_api() -> None:
    assert sorted(heron.__all__) == sorted(EXPECTED)
    assert len(heron.__all__) == len(set(heron.__all__))


def test_every_public_name_resolves() -> None:
    for name in heron.__all__:
        getattr(heron, name)  # "run" resolves through the module __getattr__
    assert heron.run is None  # no current run in the test process


def test_api_is_the_read_api() -> None:
    from heron.api import Api

    assert heron.Api is Api
