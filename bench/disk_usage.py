"""(e) Bytes on disk per logged point, for a smooth training curve.

Each tool logs, per step, a training loss computed in float32 as ``loss.item()``
returns it (``exp(-t/2e4) + 0.01 * noise``) and a learning rate from a warm-up +
cosine schedule (double), for 100,000 steps, i.e. 200,000 points, then closes the run
and its process exits. The figure is the size of everything the tool left in its
folder (as ``du`` counts it: allocated blocks; the apparent size is shown too)
divided by the number of points.

* Heron: ``run.log({"loss": l, "lr": lr})`` per step, ``run.finish()``;
* MLflow: ``log_batch`` (chunks of 1,000) into its SQLite store;
* TensorBoard: ``add_scalar`` twice per step, ``close()``;
* W&B offline: ``run.log({"loss": l, "lr": lr})``, ``finish()`` (its folder also holds
  its debug logs, which it writes for every run).

For scale: the raw arrays (int64 step, float64 time, float64 value) are 24 B/point.

    python bench/disk_usage.py [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

import _common as c

NAME = "disk_usage"
TOOLS = ["heron", "mlflow", "tensorboard", "wandb"]
N_FULL = N_QUICK = 100_000  # per-run overheads make smaller sizes misleading


def worker(tool: str, cfg: c.JSON) -> c.JSON:
    n = int(cfg["n"])
    data_dir = cfg["data_dir"]
    loss = c.loss_curve(n)
    lr = c.lr_schedule(n)
    if tool == "heron":
        run = c.heron_init(data_dir)
        for i in range(n):
            run.log({"loss": loss[i], "lr": lr[i]}, step=i)
        run.finish()
    elif tool == "mlflow":
        import mlflow

        exp_id = c.mlflow_setup(data_dir)
        client = mlflow.MlflowClient()
        run_id = client.create_run(exp_id).info.run_id
        c.mlflow_log_batch(client, run_id, "loss", range(n), loss)
        c.mlflow_log_batch(client, run_id, "lr", range(n), lr)
        client.set_terminated(run_id)
    elif tool == "tensorboard":
        writer = c.tb_writer(data_dir)
        for i in range(n):
            writer.add_scalar("loss", loss[i], i)
            writer.add_scalar("lr", lr[i], i)
        writer.close()
    elif tool == "wandb":
        wrun = c.wandb_init(data_dir)
        for i in range(n):
            wrun.log({"loss": loss[i], "lr": lr[i]})
        wrun.finish()
    else:
        raise ValueError(tool)
    return {"points": 2 * n}


WORKERS = {t: (lambda cfg, t=t: worker(t, cfg)) for t in TOOLS}


def _largest(data: Path) -> str:
    files = [p for p in data.rglob("*") if p.is_file()]
    if not files:
        return "–"
    big = max(files, key=lambda p: p.stat().st_size)
    name = big.name if len(big.name) <= 24 else big.name[:12] + "…" + big.name[-8:]
    return f"{name} ({c.fmt_bytes(big.stat().st_size)})"


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    n = N_QUICK if args.quick else N_FULL
    report = c.Report(
        name=NAME,
        title=f"(e) bytes on disk per point ({n:,} steps × loss + lr)",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"steps": n, "points": 2 * n},
        columns=[
            "tool",
            "files",
            "on disk (du)",
            "bytes / point (du)",
            "bytes / point (apparent)",
            "× Heron",
            "empty run",
            "marginal B / point",
            "largest file",
        ],
    )
    heron_why = c.heron_unavailable()
    results: dict[str, c.JSON] = {}
    with c.Workspace(NAME, args) as ws:
        for tool in c.selected(args, TOOLS):
            if tool == "heron" and heron_why:
                results[tool] = {"ok": False, "error": heron_why, "unavailable": True}
                continue
            empty_dir = ws.new(tool)
            empty = c.run_worker(__file__, tool, {"n": 0}, empty_dir)
            empty_bytes = c.du_bytes(empty_dir / "data")[0] if empty["ok"] else None
            workdir = ws.new(tool)
            print(f"  {tool}: {2 * n:,} points ...", file=sys.stderr, flush=True)
            r = c.run_worker(__file__, tool, {"n": n}, workdir)
            if r["ok"]:
                data = workdir / "data"
                allocated, apparent, files = c.du_bytes(data)
                r["empty_run_bytes"] = empty_bytes
                r["marginal_per_point"] = (
                    None if empty_bytes is None else (allocated - empty_bytes) / r["points"]
                )
                r.update(
                    du_bytes=allocated,
                    apparent_bytes=apparent,
                    files=files,
                    du_per_point=allocated / r["points"],
                    apparent_per_point=apparent / r["points"],
                    largest=_largest(data),
                    listing=sorted(
                        f"{p.relative_to(data)} {p.stat().st_size}"
                        for p in data.rglob("*")
                        if p.is_file()
                    )[:50],
                )
            results[tool] = r
    heron_pp = results.get("heron", {}).get("du_per_point")
    for tool, r in results.items():
        if r.get("unavailable"):
            report.rows.append(c.not_available_row(tool, 9))
        elif not r["ok"]:
            report.rows.append([c.display(tool), c.error_text(r), *["–"] * 7])
        else:
            report.rows.append(
                [
                    c.display(tool),
                    str(r["files"]),
                    c.fmt_bytes(r["du_bytes"]),
                    c.fmt_num(r["du_per_point"]),
                    c.fmt_num(r["apparent_per_point"]),
                    c.fmt_ratio(r["du_per_point"], heron_pp),
                    c.fmt_bytes(r["empty_run_bytes"]),
                    c.fmt_num(r["marginal_per_point"]),
                    r["largest"],
                ]
            )
    report.raw = results
    h = results.get("heron", {})
    measured = h.get("du_per_point") if h.get("ok") else None
    report.targets = [
        c.Target(
            "Heron: bytes on disk per point",
            "≤ 6 B/point",
            "–" if measured is None else f"{c.fmt_num(measured)} B/point",
            None if measured is None else measured <= 6,
        )
    ]
    report.notes = [
        "Everything each tool left in its folder counts (database, WAL, event files, "
        "its own logs); fixed per-run overheads weigh more in quick mode (fewer points).",
        "'empty run' is the footprint of a run with no points (schema, run record, logs); "
        "'marginal' is (total − empty run) / points. The target is checked on the total.",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
