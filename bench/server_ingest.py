"""(i) Ingest through a tracking server: 16 client processes logging at once.

* Heron: a real ``heron server`` subprocess (one worker process, its default) on SQLite
  (a fresh folder) and on PostgreSQL (a fresh database). Each client process runs the
  real SDK in remote mode: ``heron.init(url=...)``, ``run.log({"loss": v})`` per
  point, then ``run.flush()``, which returns once the server has stored every point.
  Three rounds of 16 clients go to the same server, so its memory after sustained
  ingest can be compared with its memory before; the rate shown is the median round's.
  The server caps glibc's malloc at two arenas (``heron.server.runner``); a third
  Heron row repeats SQLite with glibc's default arenas (8 per core), to show the
  memory the cap saves.
* MLflow: a real ``mlflow server`` subprocess (SQLite backend store, its default 4
  worker processes), the same number of client processes through ``MlflowClient``:
  ``log_batch`` in chunks of 1,000 points (its limit per call), and ``log_metric``
  per point. They get fewer points each (the table says how many): at their rate the
  same work would take hours.

Timed: every client first imports its tool and creates its run, then says it is
ready; the parent starts them all at once and the clock stops when the last one has
made its points durable. Points/s = every client's points / that time. Afterwards
the stored count of every run is checked through the server. Server RSS (the server
and its worker processes) is read before the first round, sampled every 100 ms
during ingest, and read after each round.

    python bench/server_ingest.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import _common as c
import _servers as s

NAME = "server_ingest"
TOOLS = [
    "heron-sqlite",
    "heron-sqlite-auth",
    "heron-postgres",
    "heron-sqlite-glibc-arenas",
    "mlflow-batch",
    "mlflow-metric",
]
#: A server with accounts on (the "-auth" variant): the clients send a site admin's token.
AUTH = {"HERON_AUTH": "on", "HERON_ADMIN_USER": "bench", "HERON_ADMIN_PASSWORD": "bench password 1"}
#: The allocator setting the "-glibc-arenas" variant gives the server: glibc's default
#: on this machine (8 arenas per core), which the server's own cap of 2 replaces.
ARENAS = {"MALLOC_ARENA_MAX": str(8 * (c.machine_info()["usable_cores"] or 1))}
CLIENTS_FULL, CLIENTS_QUICK = 16, 4
ROUNDS_FULL, ROUNDS_QUICK = 3, 1  # Heron: rounds on one server (memory after sustained ingest)
#: points per client: (full, quick)
POINTS = {
    "heron-sqlite": (500_000, 50_000),
    "heron-sqlite-auth": (500_000, 50_000),
    "heron-postgres": (500_000, 50_000),
    "heron-sqlite-glibc-arenas": (500_000, 50_000),
    "mlflow-batch": (20_000, 2_000),
    "mlflow-metric": (300, 20),
}
READY, GO = "@@READY@@", "go"
PATHS = {
    "heron-sqlite": "heron server (SQLite) ← run.log per point + run.flush()",
    "heron-sqlite-auth": "the same with accounts on: every batch carries a token",
    "heron-postgres": "heron server (PostgreSQL) ← run.log per point + run.flush()",
    "heron-sqlite-glibc-arenas": "the same on SQLite, server with glibc's default malloc arenas",
    "mlflow-batch": "mlflow server (SQLite) ← log_batch × 1,000",
    "mlflow-metric": "mlflow server (SQLite) ← log_metric per point",
}


# --------------------------------------------------------------------------- clients


def _wait_for_go() -> None:
    print(READY, flush=True)
    if sys.stdin.readline().strip() != GO:
        raise SystemExit("the parent went away before the start")


def heron_client(cfg: c.JSON) -> c.JSON:
    import heron

    n, i = int(cfg["n"]), int(cfg["client"])
    values = c.loss_curve(n, seed=i)
    if cfg.get("token"):
        import os

        os.environ["HERON_TOKEN"] = cfg["token"]  # read by heron.init, as a user sets it
    run = heron.init(
        project="bench",
        url=cfg["url"],
        dir=cfg["data_dir"],
        config={"client": i},
        system_metrics=False,
        capture=False,
    )
    _wait_for_go()
    t0 = time.time()
    for v in values:
        run.log({"loss": v})
    run.flush()
    t1 = time.time()
    run.finish()
    return {"t0": t0, "t1": t1, "points": n, "run_id": c.heron_run_id(run)}


def mlflow_client(cfg: c.JSON) -> c.JSON:
    import logging

    import mlflow

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    n, i = int(cfg["n"]), int(cfg["client"])
    values = c.loss_curve(n, seed=i)
    client = mlflow.MlflowClient(tracking_uri=cfg["url"])
    run_id = client.create_run(cfg["experiment_id"]).info.run_id
    _wait_for_go()
    t0 = time.time()
    if cfg["path"] == "batch":
        c.mlflow_log_batch(client, run_id, "loss", range(n), values)
    else:
        for step, v in enumerate(values):
            client.log_metric(run_id, "loss", v, step=step)
    t1 = time.time()
    client.set_terminated(run_id)
    stored = len(client.get_metric_history(run_id, "loss"))  # untimed check
    return {"t0": t0, "t1": t1, "points": n, "run_id": run_id, "stored": stored}


WORKERS = {"heron-client": heron_client, "mlflow-client": mlflow_client}


def run_clients(worker: str, cfgs: list[c.JSON], logs: Path) -> c.JSON:
    """Start one process per cfg, wait until all are ready, start them together, wait
    for all; {"ok", "wall_s" (go -> last done), "clients": [results]}."""
    procs: list[subprocess.Popen[str]] = []
    t_spawn = time.perf_counter()
    for i, cfg in enumerate(cfgs):
        Path(cfg["data_dir"]).mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", worker]
        with (logs / f"client{i}.stderr").open("w") as err:
            procs.append(
                subprocess.Popen(
                    [*cmd, "--cfg", json.dumps(cfg)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                    cwd=cfg["data_dir"],
                    env=c.worker_env(logs.parent),
                )
            )
    try:
        for i, p in enumerate(procs):
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            if line != READY:
                return _failed(f"client {i} did not get ready: {line}", logs / f"client{i}.stderr")
        _progress(f"{len(procs)} clients ready after {time.perf_counter() - t_spawn:.1f} s")
        t_go = time.time()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(GO + "\n")
            p.stdin.flush()
        results = []
        for i, p in enumerate(procs):
            out, _ = p.communicate(timeout=1800)
            result = _result(out)
            if result is None or not result.get("ok"):
                why = (result or {}).get("error") or f"exit code {p.returncode}"
                return _failed(f"client {i}: {why}", logs / f"client{i}.stderr")
            results.append(result)
        wall = max(r["t1"] for r in results) - t_go
        _progress(f"all points durable {wall:.2f} s after the start")
        return {"ok": True, "wall_s": wall, "clients": results}
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def _progress(text: str) -> None:
    print(f"    {text}", file=sys.stderr, flush=True)


def _result(stdout: str) -> c.JSON | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(c.RESULT_MARKER):
            parsed: c.JSON = json.loads(line[len(c.RESULT_MARKER) :])
            return parsed
    return None


def _failed(why: str, stderr: Path) -> c.JSON:
    tail = stderr.read_text(errors="replace").strip().splitlines()[-4:] if stderr.exists() else []
    return {"ok": False, "error": why + (": " + " | ".join(tail) if tail else "")}


class RssSampler:
    """Peak RSS of a server while a block runs, sampled every 100 ms."""

    def __init__(self, server: s.Server) -> None:
        self.server, self.peak = server, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.server.rss())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------- parent


def _stored_heron(url: str, run_id: str, token: str | None) -> int:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    info = httpx.get(f"{url}/api/v1/runs/{run_id}", timeout=60, headers=headers).json()
    return int(info["metrics"].get("loss", {}).get("count", 0))


def _token(url: str) -> str:
    import httpx

    body = {"name": AUTH["HERON_ADMIN_USER"], "password": AUTH["HERON_ADMIN_PASSWORD"]}
    return str(httpx.post(f"{url}/api/v1/auth/token", json=body, timeout=60).json()["secret"])


def measure_heron(
    store: str, workdir: Path, n: int, clients: int, rounds: int, env: dict[str, str]
) -> c.JSON:
    done: list[c.JSON] = []
    with s.heron_server(store, workdir, env=env) as server:
        token = _token(server.url) if env.get("HERON_AUTH") == "on" else None
        time.sleep(1.0)  # let start-up allocations settle
        rss_before = server.rss()
        for r in range(rounds):
            cfgs = [
                {"url": server.url, "n": n, "client": i, "token": token,
                 "data_dir": str(workdir / "data" / f"round{r}-client{i}")}
                for i in range(clients)
            ]  # fmt: skip
            with RssSampler(server) as sampler:
                got = run_clients("heron-client", cfgs, workdir / "env")
            if not got["ok"]:
                return {**got, "server_log": server.log_tail()}
            time.sleep(1.0)
            stored = [_stored_heron(server.url, x["run_id"], token) for x in got["clients"]]
            done.append(
                {
                    "wall_s": got["wall_s"],
                    "points": n * clients,
                    "stored_ok": all(k == n for k in stored),
                    "stored_min": min(stored),
                    "rss_after": server.rss(),
                    "rss_peak": sampler.peak,
                }
            )
    rates = [x["points"] / x["wall_s"] for x in done]
    return {
        "ok": True,
        "rounds": done,
        "rate": c.median(rates),
        "rate_rounds": rates,
        "rss_before": rss_before,
        "rss_after": done[-1]["rss_after"],
        "rss_peak": max(x["rss_peak"] for x in done),
        "stored_ok": all(x["stored_ok"] for x in done),
        "points": n,
    }


def measure_mlflow(sizes: dict[str, int], workdir: Path, clients: int) -> dict[str, c.JSON]:
    """Both MLflow write paths (tool -> points per client) against one ``mlflow server``
    (it takes long to start), each into its own experiment."""
    out: dict[str, c.JSON] = {}
    with s.mlflow_server(workdir) as server:
        import mlflow

        for tool, n in sizes.items():
            _progress(f"{tool}: {clients} × {n:,} points")
            experiment_id = mlflow.MlflowClient(tracking_uri=server.url).create_experiment(tool)
            time.sleep(1.0)
            rss_before = server.rss()
            cfgs = [
                {"url": server.url, "n": n, "client": i, "experiment_id": experiment_id,
                 "path": tool.removeprefix("mlflow-"),
                 "data_dir": str(workdir / "data" / f"{tool}-client{i}")}
                for i in range(clients)
            ]  # fmt: skip
            with RssSampler(server) as sampler:
                got = run_clients("mlflow-client", cfgs, workdir / "env")
            if not got["ok"]:
                out[tool] = {**got, "server_log": server.log_tail()}
                continue
            out[tool] = {
                "ok": True,
                "rate": n * clients / got["wall_s"],
                "wall_s": got["wall_s"],
                "rss_before": rss_before,
                "rss_after": server.rss(),
                "rss_peak": sampler.peak,
                "stored_ok": all(x["stored"] == n for x in got["clients"]),
                "points": n,
            }
    return out


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    index = 1 if args.quick else 0
    points = {tool: sizes[index] for tool, sizes in POINTS.items()}
    clients = CLIENTS_QUICK if args.quick else CLIENTS_FULL
    rounds = ROUNDS_QUICK if args.quick else ROUNDS_FULL
    report = c.Report(
        name=NAME,
        title=f"(i) ingest through a server, {clients} client processes",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"clients": clients, "points_per_client": points, "heron_rounds": rounds},
        columns=[
            "server ← clients",
            "points",
            "time (median round)",
            "points / s",
            "Heron SQLite ÷ this",
            "server RSS before",
            "after",
            "peak",
        ],
    )
    heron_why = c.heron_unavailable()
    pg_why = s.postgres_unavailable()
    results: dict[str, c.JSON] = {}
    with c.Workspace(NAME, args) as ws:
        tools = c.selected(args, TOOLS)
        for tool in (t for t in tools if t.startswith("heron")):
            n = points[tool]
            print(f"  {tool}: {clients} × {n:,} points ...", file=sys.stderr, flush=True)
            try:
                if heron_why or (tool == "heron-postgres" and pg_why):
                    why = heron_why or pg_why
                    results[tool] = {"ok": False, "error": why, "unavailable": True}
                elif tool == "heron-postgres":
                    with s.postgres_database() as url:
                        results[tool] = measure_heron(url, ws.new(tool), n, clients, rounds, {})
                else:
                    workdir = ws.new(tool)
                    store = str(workdir / "data" / "store")
                    env = ARENAS if tool.endswith("-glibc-arenas") else {}
                    env = AUTH if tool.endswith("-auth") else env
                    results[tool] = measure_heron(store, workdir, n, clients, rounds, env)
            except Exception as exc:  # a server that does not start, say: report, go on
                results[tool] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:400]}
        mlflow_sizes = {t: points[t] for t in tools if t.startswith("mlflow")}
        if mlflow_sizes:
            print("  mlflow: one server for both write paths ...", file=sys.stderr, flush=True)
            try:
                results.update(measure_mlflow(mlflow_sizes, ws.new("mlflow"), clients))
            except Exception as exc:
                failed = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:400]}
                results.update({t: failed for t in mlflow_sizes})
    base = (
        results.get("heron-sqlite", {}).get("rate")
        if results.get("heron-sqlite", {}).get("ok")
        else None
    )
    for tool, r in results.items():
        if not r["ok"]:
            report.rows.append(
                c.not_available_row(tool, 8)
                if r.get("unavailable")
                else [PATHS[tool], c.error_text(r), *["–"] * 6]
            )
            continue
        wall = r["points"] * clients / r["rate"]  # the median round's
        report.rows.append(
            [
                PATHS[tool],
                f"{clients} × {r['points']:,}",
                c.fmt_time(wall),
                c.fmt_num(r["rate"]),
                c.fmt_ratio(base, r["rate"]),
                c.fmt_bytes(r["rss_before"]),
                c.fmt_bytes(r["rss_after"]),
                c.fmt_bytes(r["rss_peak"]),
            ]
        )
        if not r["stored_ok"]:
            report.notes.append(f"WARNING: {tool}: not every point was stored when timing ended.")
    report.raw = results
    auth, plain = results.get("heron-sqlite-auth", {}), results.get("heron-sqlite", {})
    if auth.get("ok") and plain.get("ok"):
        ratio = auth["rate"] / plain["rate"]
        report.targets.append(
            c.Target(
                "Heron server ingest with accounts on ÷ off (SQLite)",
                "≥ 0.90 (auth costs under 10%)",
                f"{ratio:.3f}",
                ratio >= 0.90,
            )
        )
    for tool in ("heron-sqlite", "heron-postgres", "heron-sqlite-glibc-arenas"):
        r = results.get(tool, {})
        rate = r.get("rate") if r.get("ok") else None
        if not tool.endswith("-glibc-arenas"):  # a memory comparison, not another target
            report.targets.append(
                c.Target(
                    f"Heron server ingest ({tool.removeprefix('heron-')}), {clients} clients",
                    "≥ 1,000,000 points/s",
                    "–" if rate is None else f"{c.fmt_num(rate)} points/s",
                    None if rate is None else rate >= 1_000_000 and bool(r.get("stored_ok")),
                )
            )
        if r.get("ok"):
            growth = r["rss_after"] - r["rss_before"]
            report.notes.append(
                f"{tool}: server RSS {c.fmt_bytes(r['rss_before'])} before, "
                + ", ".join(
                    f"{c.fmt_bytes(x['rss_after'])} after round {i + 1}"
                    for i, x in enumerate(r["rounds"])
                )
                + f" ({c.fmt_bytes(growth)} growth over {rounds * clients * r['points']:,} points);"
                " rates per round: "
                + ", ".join(f"{c.fmt_num(x)}/s" for x in r["rate_rounds"])
                + " (the table shows the median)."
            )
    report.notes += [
        "Clients import their tool and create their run before the clock starts; the time "
        "ends when the last client's points are durable on the server (Heron: run.flush(); "
        "MLflow: its synchronous calls returned). Stored counts are checked afterwards.",
        f"Clients, server and database share this machine's {c.machine_info()['usable_cores']} "
        "usable cores: the clients' own logging work competes with the server for CPU.",
        "The server caps glibc's malloc at 2 arenas; the -glibc-arenas row runs the SQLite "
        "server with glibc's default (8 per core) instead: glibc keeps freed memory in one "
        "arena per thread that allocated, and the server's threadpool has many.",
        "MLflow clients log fewer points each (see the points column); rates are comparable, "
        "times are not. Both MLflow write paths use one mlflow server (log_batch first), each "
        "into its own experiment.",
    ]
    if heron_why:
        report.notes.append(f"Heron not available in this run: {heron_why}")
    if pg_why:
        report.notes.append(f"PostgreSQL not available in this run: {pg_why}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
