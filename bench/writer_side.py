"""The writing process's background side (issue 19): run by hand, one measurement a
process; docs/benchmarks.md "The writer side of issue 19" has the figures.

    python bench/writer_side.py shipper-cpu lean|defaults [seconds]
        other threads' CPU (process CPU minus the training thread's) over ``seconds``
        (20) of a loop of 1 step a millisecond (``time.sleep`` to the next
        millisecond), 4 values a step, after the run's start-up threads are done.
    python bench/writer_side.py writer-rss with-array|no-array [points]
        RSS of the writing process while one key of a smooth float32 series is
        logged (10M points, defaults): sampled every 0.25 s (/proc/self/statm) and
        the peak (getrusage). ``with-array`` holds the series in a float32 array
        first (40 MB at 10M, built in blocks), as the issue's test does.
    python bench/writer_side.py spool-read
        the spool reader's CPU per 1M records (written by a SpoolWriter: 1 key, and
        4 keys logged together), median of 5.
    python bench/writer_side.py codec
        a chunk's encoding, block summary and decoding (what a shipper's batch does
        for each key it has points of), warm: the compiled heron.store._codec against
        chunks.py's and lod.py's numpy code, for chunks of 1, 100, 2,400 and 4,096
        points of a training loop's loss; CPU per call, median of 9 blocks.

Compare versions in the same minutes: PYTHONPATH=<a checkout>/src runs that one.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

MIB = 1 << 20


def shipper_cpu(mode: str, seconds: float) -> None:
    import heron

    options: dict[str, Any] = {}
    if mode == "lean":
        options = {"system_metrics": False, "capture_console": False}
    run = heron.init(project="bench", dir=tempfile.mkdtemp(prefix="heron-bench-"), **options)
    time.sleep(3.0)  # the start-up capture thread
    run.log({"loss": 1.0, "acc": 0.5, "lr": 0.1, "epoch": 0})
    run.flush()
    cpu, thread, start = time.process_time(), time.thread_time(), time.monotonic()
    step, due = 0, start
    while time.monotonic() - start < seconds:
        step += 1
        run.log({"loss": 1.0 / step, "acc": 0.5, "lr": 0.1, "epoch": step // 1000})
        due += 0.001
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
    wall = time.monotonic() - start
    other = (time.process_time() - cpu) - (time.thread_time() - thread)
    print(
        f"{mode}: {step:,} steps in {wall:.1f} s; other threads {other * 1000:.1f} ms CPU "
        f"= {100 * other / wall:.3f} % of a core; load {os.getloadavg()[0]:.1f}"
    )
    run.finish()


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def writer_rss(with_array: bool, n: int) -> None:
    import numpy as np

    samples: list[tuple[str, int]] = []
    phase = ["start"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((phase[0], _rss()))
            stop.wait(0.25)

    threading.Thread(target=sample, daemon=True).start()

    def block(start: int, size: int) -> Any:
        t = np.arange(start, start + size).astype(np.float32)
        noise = np.float32(0.01) * np.random.default_rng(start).standard_normal(size)
        return (np.exp(-t / np.float32(n / 5)) + noise.astype(np.float32)).astype(np.float32)

    values = None
    if with_array:
        values = np.empty(n, np.float32)
        for start in range(0, n, 1_000_000):
            values[start : start + 1_000_000] = block(start, min(1_000_000, n - start))
    import heron

    run = heron.init(project="bench", dir=tempfile.mkdtemp(prefix="heron-bench-"))
    time.sleep(2.0)
    phase[0] = "log"
    for start in range(0, n, 100_000):
        part = values[start : start + 100_000] if values is not None else block(start, 100_000)
        for value in part.tolist():
            run.log({"loss": value})
        if start >= n // 10:
            phase[0] = "log after 10 %"
    phase[0] = "finish"
    run.finish()
    stop.set()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    logging = [rss for name, rss in samples if name == "log after 10 %"]
    print(
        f"{n:,} points, {'with' if with_array else 'without'} the array of values: "
        f"RSS while logging (after 10 %) {min(logging) / MIB:.0f}-{max(logging) / MIB:.0f} "
        f"MiB; peak {peak / MIB:.0f} MiB; load {os.getloadavg()[0]:.1f}"
    )


def spool_read() -> None:
    from heron.sdk.spool import SpoolReader, SpoolWriter

    total = 1_000_000
    for count in (1, 4):
        folder = Path(tempfile.mkdtemp(prefix="heron-bench-")) / "spool"
        writer = SpoolWriter(folder)
        keys = [writer.declare_key(f"k{i}") for i in range(count)]
        for step in range(total // count):
            for key in keys:
                writer.write_scalar(key, step, 1e9 + step * 1e-3, 1.0 / (step + 1))
        writer.close()
        times = []
        for _ in range(5):
            started = time.thread_time()
            reader = SpoolReader(folder)
            while (chunk := reader.read()).end != chunk.start:
                pass
            reader.close()
            times.append(time.thread_time() - started)
        times.sort()
        print(f"{count} key(s): {times[2] * 1000:.1f} ms CPU per 1M records (median of 5)")


def codec() -> None:
    import numpy as np

    from heron.store import chunks, lod
    from heron.store.base import Series

    compiled = chunks._compiled, lod._compiled
    if compiled[0] is None:
        raise SystemExit("heron.store._codec is not built (or HERON_PURE_PYTHON is set)")
    rng = np.random.default_rng(0)
    size = chunks.CHUNK_SIZE
    times = np.round((1.7e9 + np.cumsum(rng.uniform(0.0007, 0.001, size))) * 1e6) / 1e6
    loss = (np.exp(-np.arange(size) / 1000) + rng.normal(0, 0.01, size)).astype(np.float32)
    whole = Series(np.arange(size, dtype=np.int64), times, loss.astype(np.float64))

    def cpu_us(call: Any, repeat: int = 200) -> float:
        blocks = []
        for _ in range(9):
            started = time.thread_time()
            for _ in range(repeat):
                call()
            blocks.append((time.thread_time() - started) / repeat)
        blocks.sort()
        return blocks[4] * 1e6

    print("points  encode C / numpy     summary C / numpy     decode C / numpy   (µs)")
    for n in (1, 100, 2400, size):
        part = Series(whole.steps[:n], whole.times[:n], whole.values[:n])
        data = chunks.encode_series(part)
        figures = []
        for use in (compiled, (None, None)):
            chunks._compiled, lod._compiled = use
            figures.append(
                (
                    cpu_us(lambda p=part: chunks.encode_series(p)),
                    cpu_us(lambda p=part: lod.summarize(p)),
                    cpu_us(lambda d=data: chunks.decode(d)),
                )
            )
        chunks._compiled, lod._compiled = compiled
        (ec, sc, dc), (ep, sp, dp) = figures
        print(f"{n:6d}  {ec:7.1f} / {ep:7.1f}     {sc:7.1f} / {sp:7.1f}     {dc:7.1f} / {dp:7.1f}")


def main(argv: list[str]) -> None:
    what = argv[0]
    if what == "shipper-cpu":
        shipper_cpu(argv[1], float(argv[2]) if len(argv) > 2 else 20.0)
    elif what == "writer-rss":
        writer_rss(argv[1] == "with-array", int(float(argv[2])) if len(argv) > 2 else 10**7)
    elif what == "spool-read":
        spool_read()
    elif what == "codec":
        codec()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
