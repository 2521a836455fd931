"""The cost of ``run.log`` with an image and a histogram, in the training loop, against
what encoding them costs (on the run's media thread). Prints the figures and the
machine; docs/benchmarks.md ("Logging media") has a run of it.

    python bench/media_log.py
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

import heron

CALLS = 48  # below the media queue's bound (64): log never waits for the thread here
ROUNDS = 5


def _per_call(fn: Callable[[int], object], calls: int = CALLS) -> float:
    start = time.perf_counter()
    for i in range(calls):
        fn(i)
    return (time.perf_counter() - start) / calls


Maker = Callable[[], "heron.Image | heron.Histogram | None"]


def _encode_time(samples: list[heron.Image | heron.Histogram | None]) -> list[float]:
    """Seconds per ``encode()`` of ``samples`` (none for the scalar case)."""
    media = [m for m in samples if m is not None]
    if not media:
        return []
    start = time.perf_counter()
    for m in media:
        m.encode()
    return [(time.perf_counter() - start) / len(media)]


def main() -> None:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    large = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    floats = rng.random((256, 256, 3), dtype=np.float32)
    values = rng.standard_normal(1_000_000).astype(np.float32)
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        run = heron.init(
            "bench-media", dir=folder, system_metrics=False, capture=False, capture_console=False
        )
        cases: list[tuple[str, Maker]] = [
            ("scalar only (baseline)", lambda: None),
            ("Image 64x64x3 uint8", lambda: heron.Image(small)),
            ("Image 512x512x3 uint8", lambda: heron.Image(large)),
            ("Image 256x256x3 float32", lambda: heron.Image(floats)),
            ("Histogram of 1M float32", lambda: heron.Histogram(values)),
        ]
        step = 0
        for name, make in cases:
            logs, encodes = [], []
            for _ in range(ROUNDS):

                def log(i: int, make: Maker = make, first: int = step) -> None:
                    media = make()
                    data = {"loss": 0.5} if media is None else {"loss": 0.5, "m": media}
                    run.log(data, step=first + i)

                logs.append(_per_call(log))
                step += CALLS
                run.flush()  # the media thread catches up between rounds
                fresh = [make() for _ in range(8)]  # fresh: a histogram bins once
                encodes.extend(_encode_time(fresh))
            rows.append((name, statistics.median(logs), statistics.median(encodes or [0.0])))
        # The same histogram logged while the media thread is idle (a flush after each
        # call, not timed): what log itself costs, without the GIL shared with binning.
        idle = []
        for i in range(CALLS):
            histogram = heron.Histogram(values)
            start = time.perf_counter()
            run.log({"loss": 0.5, "m": histogram}, step=step + i)
            idle.append(time.perf_counter() - start)
            run.flush()
        made = _per_call(lambda i: heron.Histogram(values), 8)
        rows.append(("Histogram 1M, thread idle", statistics.median(idle) + made, 0.0))
        run.finish()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {platform.platform()}")
    print(f"{platform.processor() or platform.machine()}")
    print(f"{'case':28} {'run.log (in the loop)':>22} {'encode (media thread)':>22}")
    for name, log_s, enc_s in rows:
        enc = f"{enc_s * 1e3:9.3f} ms" if enc_s else "        -"
        print(f"{name:28} {log_s * 1e3:19.3f} ms {enc:>22}")


if __name__ == "__main__":
    main()
