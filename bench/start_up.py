"""(s) Start to first log, and the client's peak memory (issue 19, items 2 and 5).

What a training script pays before its loop starts: in a fresh process, from the line
before ``import TOOL`` to the return of the first logging call of two values
(``{"loss": 1.0, "acc": 0.5}``), then the tool's end of run. Per tool:

* **Heron, defaults**: ``heron.init(project="p")`` (system metrics, console capture,
  git/environment capture on) in a folder that already holds a store (a second run:
  the usual case), and in an empty folder (the folder's first run: ``init`` makes
  the database at the head schema with ``sqlite3``, ``store.head_schema``);
* **Heron, lean**: ``system_metrics=False, capture=False, capture_console=False``;
* **MLflow**: ``mlflow.start_run()`` + ``log_metrics`` on a SQLite store (the
  experiment made first, in the same process: ``mlflow_setup``);
* **W&B offline**: ``wandb.init(mode="offline")`` + ``run.log`` (its system stats and
  console capture off, as in the other benchmarks);
* **TensorBoard**: ``torch.utils.tensorboard.SummaryWriter`` + two ``add_scalar``
  (torch's import included: that is where the writer lives).

Columns: wall time and CPU time of the whole process (all threads) from before the
import to the first log's return, the CPU time of the script's own thread in that
span, the end of the run (``finish`` / ``end_run`` / ``close``, wall), and the peak
RSS of the process (``ru_maxrss`` after the end; W&B's separate ``wandb-core``
process is not in it: the sampled tree peak is shown apart). The interpreter's own
start (about 20 ms) is in none of them. Medians over fresh processes, the tools
interleaved round by round.

    python bench/start_up.py [--quick]
"""

from __future__ import annotations

import os
import resource
import sys
import time

import _common as c

NAME = "start_up"
REPS_FULL, REPS_QUICK = 7, 3
TOOLS = ["heron", "heron-fresh", "heron-lean", "mlflow", "wandb", "tensorboard"]
LABELS = {
    "heron": "Heron, defaults (existing store)",
    "heron-fresh": "Heron, defaults (empty folder: init makes the database)",
    "heron-lean": "Heron, lean (no system metrics, capture, console)",
    "mlflow": "MLflow (SQLite)",
    "wandb": "W&B offline",
    "tensorboard": "TensorBoard (torch SummaryWriter)",
}
VALUES = {"loss": 1.0, "acc": 0.5}
# Loaded by the time the first log returned: what Heron's start must not need.
HEAVY = ("sqlalchemy", "alembic", "httpx", "argon2", "cryptography", "numpy", "heron.service")


# Heron's notes at the end of a run outside a git repository, without a seed: not a
# problem of the figure (the harness flags every "heron:" line on stderr).
_NOT_A_PROBLEM = "may not be reproducible"


class _Clock:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        self.thread = time.thread_time()

    def since(self) -> dict[str, float]:
        return {
            "start_s": time.perf_counter() - self.wall,
            "start_cpu_s": time.process_time() - self.cpu,
            "start_thread_s": time.thread_time() - self.thread,
        }


def _peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0


def _finish(result: c.JSON, end: object) -> c.JSON:
    t0 = time.perf_counter()
    end()  # type: ignore[operator]
    result["finish_s"] = time.perf_counter() - t0
    result["peak_rss"] = _peak_rss()
    return result


def _heron(cfg: c.JSON, lean: bool) -> c.JSON:
    clock = _Clock()
    import heron

    options = {"system_metrics": False, "capture": False, "capture_console": False}
    run = heron.init(project="p", dir=cfg["data_dir"], **(options if lean else {}))
    run.log(VALUES)
    result = clock.since()
    result["heavy"] = [m for m in HEAVY if m in sys.modules]
    return _finish(result, run.finish)


def w_heron(cfg: c.JSON) -> c.JSON:
    return _heron(cfg, lean=False)


def w_heron_lean(cfg: c.JSON) -> c.JSON:
    return _heron(cfg, lean=True)


def w_heron_setup(cfg: c.JSON) -> c.JSON:
    """A first run in the folder: the store exists for the measured one."""
    import heron

    options = {"system_metrics": False, "capture": False, "capture_console": False}
    heron.init(project="p", dir=cfg["data_dir"], **options).finish()
    return {}


def w_mlflow(cfg: c.JSON) -> c.JSON:
    clock = _Clock()
    import mlflow

    c.mlflow_setup(cfg["data_dir"])
    mlflow.start_run()
    mlflow.log_metrics(VALUES, step=0)
    return _finish(clock.since(), mlflow.end_run)


def w_wandb(cfg: c.JSON) -> c.JSON:
    clock = _Clock()
    run = c.wandb_init(cfg["data_dir"])
    run.log(VALUES)
    return _finish(clock.since(), run.finish)


def w_tensorboard(cfg: c.JSON) -> c.JSON:
    clock = _Clock()
    writer = c.tb_writer(cfg["data_dir"])
    for key, value in VALUES.items():
        writer.add_scalar(key, value, 0)
    return _finish(clock.since(), writer.close)


WORKERS = {
    "heron": w_heron,
    "heron-fresh": w_heron,
    "heron-lean": w_heron_lean,
    "heron-setup": w_heron_setup,
    "mlflow": w_mlflow,
    "wandb": w_wandb,
    "tensorboard": w_tensorboard,
}


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    reps = REPS_QUICK if args.quick else REPS_FULL
    load_start = os.getloadavg()
    tools = c.selected(args, TOOLS)
    if c.heron_unavailable():
        tools = [t for t in tools if not t.startswith("heron")]
    report = c.Report(
        name=NAME,
        title="(s) start to first log, fresh process",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"reps": reps, "values_per_log": len(VALUES), "load_at_start": load_start},
        columns=[
            "tool",
            "start → first log, wall (median)",
            "min",
            "CPU, all threads",
            "CPU, script's thread",
            "end of run (wall)",
            "peak RSS",
            "× Heron (wall)",
        ],
    )
    found: dict[str, list[c.JSON]] = {t: [] for t in tools}
    errors: list[str] = []
    with c.Workspace(NAME, args) as ws:
        for rep in range(reps):
            for tool in tools:
                workdir = ws.new(tool)
                if tool in ("heron", "heron-lean"):
                    setup = c.run_worker(__file__, "heron-setup", {}, workdir, timeout=300)
                    if not setup["ok"]:
                        errors.append(f"{tool} set-up: {c.error_text(setup)}")
                        continue
                print(f"  round {rep + 1}/{reps}: {tool} ...", file=sys.stderr, flush=True)
                result = c.run_worker(
                    __file__, tool, {}, workdir, timeout=600, sample_rss=tool == "wandb"
                )
                if not result["ok"]:
                    errors.append(f"{tool}: {c.error_text(result)}")
                notes = [p for p in result.get("heron_problems", []) if _NOT_A_PROBLEM not in p]
                result.pop("heron_problems", None)  # the reproducibility notes are no trouble
                if notes:
                    result["heron_problems"] = notes
                found[tool].append(result)
    heron_wall = c.median_of(found.get("heron", []), "start_s")
    for tool in tools:
        results = [r for r in found[tool] if r.get("ok")]
        if not results:
            report.rows.append(c.not_available_row(tool, len(report.columns)))
            continue
        walls = [r["start_s"] for r in results]
        rss = c.fmt_bytes(c.median_of(results, "peak_rss"))
        if tool == "wandb":
            rss += f" (with wandb-core: {c.fmt_bytes(c.median_of(results, 'tree_peak_rss'))})"
        report.rows.append(
            [
                LABELS[tool],
                c.fmt_time(c.median(walls)),
                c.fmt_time(min(walls)),
                c.fmt_time(c.median_of(results, "start_cpu_s")),
                c.fmt_time(c.median_of(results, "start_thread_s")),
                c.fmt_time(c.median_of(results, "finish_s")),
                rss,
                c.fmt_ratio(c.median(walls), heron_wall),
            ]
        )
    report.raw = {tool: found[tool] for tool in tools}

    def target(what: str, tool: str, key: str, goal: float, show: str) -> c.Target:
        med = c.median_of(found.get(tool, []), key)
        measured = c.fmt_time(med) if show == "time" else c.fmt_bytes(med)
        return c.Target(what, show_goal(goal, show), measured, None if med is None else med <= goal)

    def show_goal(goal: float, show: str) -> str:
        return f"≤ {goal:.2f} s" if show == "time" else f"≤ {goal / 2**20:.0f} MiB"

    report.targets = [
        target("Heron, defaults: start to first log, wall", "heron", "start_s", 0.15, "time"),
        target(
            "Heron, defaults: start to first log, CPU (all threads)",
            "heron",
            "start_cpu_s",
            0.15,
            "time",
        ),
        target(
            "Heron, defaults, empty folder (init makes the database): start to first log, wall",
            "heron-fresh",
            "start_s",
            0.15,
            "time",
        ),
        target("Heron, defaults: client peak RSS", "heron", "peak_rss", 60 * 2**20, "bytes"),
        target(
            "Heron, defaults, empty folder: client peak RSS",
            "heron-fresh",
            "peak_rss",
            60 * 2**20,
            "bytes",
        ),
    ]
    heavy = sorted({m for r in found.get("heron", []) for m in r.get("heavy") or []})
    report.notes = [
        "Start → first log: from the line before the tool's import to the return of its "
        "first logging call (two values), in a fresh process; the interpreter's start "
        "is not included. CPU, all threads: `time.process_time`; the script's thread: "
        "`time.thread_time`.",
        "Heron opens an existing store on the shipper's first pass, one ship interval "
        "(1 s) after init or at the first flush: a script that ends at once (as here) "
        "pays that opening in its end of run. In an empty folder init makes the "
        "database (sqlite3, the head schema's CREATE statements) and the first pass "
        "opens it as in a second run.",
        "Modules loaded when Heron's first log returned (of "
        + ", ".join(HEAVY)
        + "): "
        + (", ".join(heavy) or "none"),
        "Peak RSS: `ru_maxrss` of the process after the end of the run.",
        f"1-minute load average: {load_start[0]:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end (2 cores shared with other work).",
        *errors,
    ]
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
