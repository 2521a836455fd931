"""(g) Overhead of tracking on a small, real PyTorch training loop (CPU).

An MLP (128 → 256 → 256 → 10, ReLU) trained with SGD + momentum and a cosine learning
rate schedule on synthetic data (random inputs, labels from a fixed random teacher
network), batch 64, ``torch.set_num_threads(1)``. Every step computes ``loss.item()``,
the batch accuracy and the current lr — in every configuration, the untracked one
included — and the tracked configurations log those three values each step:

* Heron: ``run.log({"train/loss": l, "train/acc": a, "lr": lr})``;
* MLflow: ``mlflow.log_metrics({...}, step=i)``, synchronous and asynchronous;
* TensorBoard: three ``add_scalar`` calls;
* W&B offline: ``run.log({...})``.

Each configuration runs in its own subprocess, several rounds, interleaved (the order
rotates every round) so that drift in the machine's load hits all of them alike. The
timed part is the training loop (after 50 warm-up steps); finishing the run is timed
apart. Overhead is the median over rounds of (loop time / untracked loop time of the
same round) − 1, in wall time (the promise) and in CPU time (process and children).

    python bench/training_overhead.py [--quick]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import _common as c

NAME = "training_overhead"
TOOLS = ["none", "heron", "tensorboard", "wandb", "mlflow-async", "mlflow-sync"]
STEPS_FULL, STEPS_QUICK = 2_000, 300
ROUNDS_FULL, ROUNDS_QUICK = 5, 2
WARMUP = 50
# the verdict is only given when the untracked runs agree with each other this well
NOISY_PCT = 5.0


def worker(tool: str, cfg: c.JSON) -> c.JSON:
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    steps = int(cfg["steps"])
    data_dir = cfg["data_dir"]

    n_samples, batch = 8192, 64
    x_all = torch.randn(n_samples, 128)
    teacher = nn.Sequential(nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10))
    with torch.no_grad():
        y_all = teacher(x_all).argmax(dim=1)
    model = nn.Sequential(
        nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    total = steps + WARMUP
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    loss_fn = nn.CrossEntropyLoss()

    log: Callable[[int, float, float, float], None]
    finish: Callable[[], None]
    if tool == "none":

        def log(i: int, loss: float, acc: float, lr: float) -> None:
            pass

        def finish() -> None:
            pass

    elif tool == "heron":
        run = c.heron_init(data_dir, config={"lr": 0.05, "batch_size": batch})

        def log(i: int, loss: float, acc: float, lr: float) -> None:
            run.log({"train/loss": loss, "train/acc": acc, "lr": lr})

        finish = run.finish
    elif tool == "tensorboard":
        writer = c.tb_writer(data_dir)

        def log(i: int, loss: float, acc: float, lr: float) -> None:
            writer.add_scalar("train/loss", loss, i)
            writer.add_scalar("train/acc", acc, i)
            writer.add_scalar("lr", lr, i)

        finish = writer.close
    elif tool == "wandb":
        wrun = c.wandb_init(data_dir, config={"lr": 0.05, "batch_size": batch})

        def log(i: int, loss: float, acc: float, lr: float) -> None:
            wrun.log({"train/loss": loss, "train/acc": acc, "lr": lr})

        finish = wrun.finish
    elif tool in ("mlflow-sync", "mlflow-async"):
        import mlflow

        c.mlflow_setup(data_dir)
        mlflow.start_run()
        mlflow.log_params({"lr": 0.05, "batch_size": batch})
        sync = tool == "mlflow-sync"

        def log(i: int, loss: float, acc: float, lr: float) -> None:
            mlflow.log_metrics(
                {"train/loss": loss, "train/acc": acc, "lr": lr}, step=i, synchronous=sync
            )

        finish = mlflow.end_run
    else:
        raise ValueError(tool)

    # The log call is inlined through a plain function call in every configuration
    # (the untracked one calls a no-op), so the loops differ only by the tool's work.
    import psutil

    me = psutil.Process()

    def cpu_now() -> float:
        """CPU seconds of this process (all its threads) and of its children (W&B's
        wandb-core does its work in a child process)."""
        total = time.process_time()
        for child in me.children(recursive=True):
            try:
                ct = child.cpu_times()
            except psutil.Error:
                continue
            total += ct.user + ct.system
        return total

    perm = torch.randperm(n_samples)
    clock_ns = time.perf_counter_ns
    log_ns = 0
    t0 = cpu0 = 0.0
    first_loss = last_loss = 0.0
    for i in range(total):
        if i == WARMUP:
            cpu0 = cpu_now()
            log_ns = 0
            t0 = time.perf_counter()
        lo = (i * batch) % (n_samples - batch)
        idx = perm[lo : lo + batch]
        x, y = x_all[idx], y_all[idx]
        logits = model(x)
        loss = loss_fn(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        lr = sched.get_last_lr()[0]
        sched.step()
        loss_v = loss.item()
        acc_v = (logits.argmax(dim=1) == y).float().mean().item()
        t_log = clock_ns()
        log(i, loss_v, acc_v, lr)
        log_ns += clock_ns() - t_log
        if i == 0:
            first_loss = loss_v
        last_loss = loss_v
    loop_s = time.perf_counter() - t0
    cpu_s = cpu_now() - cpu0
    t1 = time.perf_counter()
    finish()
    finish_s = time.perf_counter() - t1
    return {
        "steps": steps,
        "loop_s": loop_s,
        "cpu_s": cpu_s,
        "log_s": log_ns / 1e9,
        "log_share_pct": log_ns / 1e9 / loop_s * 100,
        "step_ms": loop_s / steps * 1e3,
        "finish_s": finish_s,
        "first_loss": first_loss,
        "last_loss": last_loss,
    }


WORKERS = {t: (lambda cfg, t=t: worker(t, cfg)) for t in TOOLS}


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    steps = STEPS_QUICK if args.quick else STEPS_FULL
    rounds = ROUNDS_QUICK if args.quick else ROUNDS_FULL
    report = c.Report(
        name=NAME,
        title=f"(g) tracking overhead on a PyTorch training loop ({steps:,} steps)",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"steps": steps, "rounds": rounds, "warmup_steps": WARMUP, "torch_threads": 1},
        columns=[
            "tool",
            "median step",
            "overhead (median)",
            "min … max",
            "overhead (best of rounds)",
            "CPU-time overhead (median)",
            "inside log calls",
            "finish after",
        ],
    )
    heron_why = c.heron_unavailable()
    tools = c.selected(args, TOOLS)
    if "none" not in tools:
        tools.insert(0, "none")
    runs: dict[str, list[c.JSON]] = {t: [] for t in tools}
    with c.Workspace(NAME, args) as ws:
        for rnd in range(rounds):
            order = tools[rnd % len(tools) :] + tools[: rnd % len(tools)]
            for tool in order:
                if tool == "heron" and heron_why:
                    continue
                print(f"  round {rnd + 1}/{rounds}: {tool} ...", file=sys.stderr, flush=True)
                cfg = {"steps": steps}
                runs[tool].append(c.run_worker(__file__, tool, cfg, ws.new(tool)))
    # paired ratios: each round's loop time against the untracked loop of that round
    base = runs["none"]
    overheads: dict[str, list[float]] = {}
    cpu_overheads: dict[str, list[float]] = {}
    for tool, rs in runs.items():
        pairs = [(r, b) for r, b in zip(rs, base, strict=False) if r["ok"] and b["ok"]]
        overheads[tool] = [(r["loop_s"] / b["loop_s"] - 1) * 100 for r, b in pairs]
        cpu_overheads[tool] = [(r["cpu_s"] / b["cpu_s"] - 1) * 100 for r, b in pairs]
    heron_ov = c.median(overheads.get("heron", []))
    best_none = min((b["loop_s"] for b in base if b["ok"]), default=None)
    for tool, rs in runs.items():
        ok = [r for r in rs if r["ok"]]
        if tool == "heron" and heron_why:
            report.rows.append(c.not_available_row(tool, 8))
            continue
        if not ok:
            err = rs[0] if rs else {"error": "not run"}
            report.rows.append([c.display(tool), c.error_text(err), *["–"] * 6])
            continue
        ov = overheads[tool]
        best = (min(r["loop_s"] for r in ok) / best_none - 1) * 100 if best_none else None
        untracked = tool == "none"
        report.rows.append(
            [
                c.display(tool),
                c.fmt_time(c.median([r["step_ms"] / 1e3 for r in ok])),
                "–" if untracked else c.fmt_pct(c.median(ov)),
                "–" if untracked or not ov else f"{c.fmt_pct(min(ov))} … {c.fmt_pct(max(ov))}",
                "–" if untracked else c.fmt_pct(best),
                "–" if untracked else c.fmt_pct(c.median(cpu_overheads[tool])),
                f"{c.median([r['log_share_pct'] for r in ok]):.2f} %",
                c.fmt_time(c.median([r["finish_s"] for r in ok])),
            ]
        )
    report.raw = {"runs": runs, "overhead_pct": overheads, "cpu_overhead_pct": cpu_overheads}
    measured: float | None = heron_ov if overheads.get("heron") else None
    base_loops = [b["loop_s"] for b in base if b["ok"]]
    noise = (max(base_loops) / min(base_loops) - 1) * 100 if len(base_loops) > 1 else 0.0
    heron_spread = (
        max(overheads["heron"]) - min(overheads["heron"]) if overheads.get("heron") else 0.0
    )
    conclusive = noise <= NOISY_PCT and heron_spread <= NOISY_PCT
    text = c.fmt_pct(measured)
    if measured is not None and not conclusive:
        text += (
            f" (untracked runs varied by {noise:.0f} % between rounds, Heron's overhead "
            f"by {heron_spread:.0f} points)"
        )
    report.targets = [
        c.Target(
            "Heron: overhead on a training loop",
            "< 1 %",
            text,
            None if measured is None or not conclusive else measured < 1.0,
            unmet_reason="inconclusive: machine too noisy"
            if measured is not None
            else "not measured",
        )
    ]
    report.raw["baseline_noise_pct"] = noise
    report.notes = [
        "Overheads are paired per round against the untracked run of the same round; "
        "the spread across rounds shows the machine's noise (a negative overhead is noise).",
        "CPU-time overhead counts the CPU seconds of the training process (every thread, "
        "so a background I/O thread is included) and of its child processes (W&B's "
        "wandb-core); it is less sensitive to other load on the machine than wall time.",
        "'inside log calls' is the share of the loop spent inside the logging calls "
        "themselves, timed in the same process (robust to machine noise, but blind to "
        "work a tool does on other threads or processes).",
        f"The target's verdict is withheld when the untracked runs' loop times differ by "
        f"more than {NOISY_PCT:.0f} % between rounds, or Heron's paired overheads by more "
        f"than {NOISY_PCT:.0f} points: the machine was too noisy to resolve a 1 % effect.",
        "'best of rounds' compares the fastest loop of each configuration (noise only "
        "ever adds time).",
        "'finish after' is the time to close the run after the loop (not in the overhead).",
    ]
    if args.quick:
        report.notes.append(
            f"Quick mode: {rounds} rounds of {steps} steps; overheads below ~2 % are "
            "within the noise at this size."
        )
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
