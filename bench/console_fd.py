"""What file-descriptor-level console capture costs: ``run.log``, ``print``, ``init`` and
``finish`` with capture off, Python-level only, and Python + fd level (the default
where safe). Each case runs in a fresh child process whose stdout and stderr are a
file (as under a launcher or ``nohup``), so the fd capture is really on. Prints the
figures and the machine; docs/benchmarks.md ("Console capture at the fd level") has a
run of it.

    python bench/console_fd.py
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROUNDS = 5
CHILD = r"""
import json, os, sys, time
import heron

mode = sys.argv[2]
options = dict(system_metrics=False, capture=False, capture_console=mode != "off")
t0 = time.perf_counter()
run = heron.init("bench-console", dir=sys.argv[1], **options)
t_init = time.perf_counter() - t0
fd = run._console is not None and run._console.fd_level
N = 200_000
t0 = time.perf_counter()
for i in range(N):
    run.log({"loss": 0.5}, step=i)
t_log = (time.perf_counter() - t0) / N
t0 = time.perf_counter()
run.finish()  # nothing was printed: what capture itself adds to finish
t_finish = time.perf_counter() - t0

run = heron.init("bench-console", dir=sys.argv[1], **options)
P = 20_000
t0 = time.perf_counter()
for i in range(P):
    print("a line of about forty characters: step", i)
t_print = (time.perf_counter() - t0) / P
W = 2_000
t0 = time.perf_counter()
for i in range(W):
    os.write(1, b"a line written with os.write, about fifty bytes\n")
t_write = (time.perf_counter() - t0) / W
t0 = time.perf_counter()
run.finish()  # 22,000 lines to ship
t_finish_lines = time.perf_counter() - t0
print(json.dumps({"fd": fd, "init": t_init, "log": t_log, "finish": t_finish,
                  "print": t_print, "os_write": t_write, "finish_lines": t_finish_lines}),
      file=sys.stderr)
"""


TEE = r"""
import statistics, sys, time
from heron.sdk.capture.fd_tee import FdTee

opens, stops = [], []
for i in range(20):
    t0 = time.perf_counter()
    tee = FdTee(lambda stream, text: None)
    opens.append(time.perf_counter() - t0)
    print("a line")
    time.sleep(0.3)  # the helper is up, as in any run that trains for a while
    t0 = time.perf_counter()
    tee.stop()
    stops.append(time.perf_counter() - t0)
print(f"{statistics.median(opens)}, {min(opens)}, {statistics.median(stops)}, {min(stops)}",
      file=sys.stderr)
"""


def _tee_alone(folder: Path) -> list[float]:
    """Taking fds 1 and 2 over (the helper's fork and exec) and putting them back (the
    hand-over round trip that finish waits for): median and best of 20."""
    child = folder / "tee.py"
    child.write_text(TEE)
    with (folder / "tee-out.txt").open("w") as sink:
        done = subprocess.run(
            [sys.executable, str(child)], stdout=sink, stderr=subprocess.PIPE, text=True, check=True
        )
    return [float(x) for x in done.stderr.strip().splitlines()[-1].split(",")]


def _once(mode: str, folder: Path) -> dict[str, float]:
    folder.mkdir()
    child = folder / "child.py"
    child.write_text(CHILD)
    out = folder / f"out-{mode}.txt"
    env = dict(os.environ)
    env["HERON_CAPTURE_CONSOLE_FD"] = "1" if mode == "fd" else "0"
    with out.open("w") as sink:
        done = subprocess.run(
            [sys.executable, str(child), str(folder / f"store-{mode}"), mode],
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            check=True,
        )
    result: dict[str, float] = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["fd"] == (mode == "fd"), result
    return result


def main() -> None:
    print(f"python {sys.version.split()[0]}, {platform.platform()}, {os.cpu_count()} CPUs")
    modes = ("off", "python", "fd")
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as tmp:
        tee = _tee_alone(Path(tmp))
        for i in range(ROUNDS):  # the modes interleaved: a busy machine hurts each alike
            for mode in modes:
                results[mode].append(_once(mode, Path(tmp) / f"{mode}-{i}"))
    print(f"median of {ROUNDS} processes per mode")
    print(
        "| console capture | init | log (per call) | finish, nothing printed "
        "| print (per line) | os.write (per line) | finish after 22,000 lines |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mode, label in zip(modes, ("off", "Python-level", "Python + fd (default)"), strict=True):
        r = {k: statistics.median(x[k] for x in results[mode]) for k in results[mode][0]}
        print(
            f"| {label} | {r['init'] * 1e3:.0f} ms | {r['log'] * 1e6:.2f} µs "
            f"| {r['finish'] * 1e3:.1f} ms | {r['print'] * 1e6:.1f} µs "
            f"| {r['os_write'] * 1e6:.1f} µs | {r['finish_lines'] * 1e3:.0f} ms |"
        )
    print(
        f"fd tee alone: take over {tee[0] * 1e3:.1f} ms (best {tee[1] * 1e3:.1f}), "
        f"put back {tee[2] * 1e3:.2f} ms (best {tee[3] * 1e3:.2f}), median of 20"
    )


if __name__ == "__main__":
    main()
