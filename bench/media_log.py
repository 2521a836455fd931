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


def _per_call(fn: Callable[[int], None], calls: int = CALLS) -> float:
    start = time.perf_counter()
    for i in range(calls):
        fn(i)
    return (time.perf_counter() - start) / calls


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
        cases: list[tuple[str, Callable[[], heron.Image | heron.Histogram | None]]] = [
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

                def log(i: int) -> None:
                    media = make()
                    data = {"loss": 0.5} if media is None else {"loss": 0.5, "m": media}
                    run.log(data, step=step + i)

                logs.append(_per_call(log))
                step += CALLS
                run.flush()  # the media thread catches up between rounds
                sample = make()
                if sample is not None:
                    encodes.append(_per_call(lambda i: sample.encode(), 8))
            rows.append((name, statistics.median(logs), statistics.median(encodes or [0.0])))
        run.finish()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {platform.platform()}")
    print(f"{platform.processor() or platform.machine()}")
    print(f"{'case':28} {'run.log (in the loop)':>22} {'encode (media thread)':>22}")
    for name, log_s, enc_s in rows:
        enc = f"{enc_s * 1e3:9.3f} ms" if enc_s else "        -"
        print(f"{name:28} {log_s * 1e3:19.3f} ms {enc:>22}")


if __name__ == "__main__":
    main()
