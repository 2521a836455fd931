"""Run the whole benchmark suite and regenerate the tables in docs/benchmarks.md.

    python bench/run_all.py              # full sizes (takes a while; use a quiet machine)
    python bench/run_all.py --quick      # small sizes, a smoke test
    python bench/run_all.py --only log_call,ingest
    python bench/run_all.py --docs-only  # re-render the doc from bench/results/*.json

Each benchmark runs as its own ``python bench/NAME.py`` process, one after the other
(never in parallel: they would disturb each other's timings). The generated parts of
docs/benchmarks.md sit between ``<!-- bench:KEY:begin -->`` and
``<!-- bench:KEY:end -->`` markers; everything else in the doc is left as written.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time

import _common as c

BENCHMARKS = [
    "log_call",
    "ingest",
    "read_history",
    "search_runs",
    "disk_usage",
    "peak_memory",
    "training_overhead",
    "real_loop",
    "ui_browser",
    "ui_workspace",
    "server_ingest",
    "chart_series",
    "fresh_reads",
    "big_runs",
    "start_up",
]
DOC = c.REPO_DIR / "docs" / "benchmarks.md"


def _replace_block(text: str, key: str, body: str) -> tuple[str, bool]:
    begin, end = f"<!-- bench:{key}:begin -->", f"<!-- bench:{key}:end -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        return text, False
    return pattern.sub(lambda _m: f"{begin}\n{body.strip()}\n{end}", text, count=1), True


def machine_block(results: dict[str, c.JSON]) -> str:
    latest = max(results.values(), key=lambda r: r["started_at"])
    m, v = latest["machine"], latest["versions"]
    modes = {r["quick"] for r in results.values()}
    mode = "quick mode" if modes == {True} else "full sizes" if modes == {False} else "mixed"
    taken = sorted(r["started_at"][:16] + "Z" for r in results.values())
    loads = ", ".join(
        f"{name} {r['machine']['loadavg_at_start'][0]}" for name, r in results.items()
    )
    rows = [
        ["CPU", m["cpu"]],
        [
            "cores",
            f"{m['physical_cores']} physical / {m['logical_cores']} logical "
            f"({m['usable_cores']} usable)",
        ],
        ["RAM", f"{m['ram_gib']} GiB"],
        ["OS", m["os"]],
        ["Python", m["python"]],
        ["run", f"{mode}, {taken[0]} … {taken[-1]}"],
        ["1-min load average at the start of each benchmark", loads],
    ]
    rows += [[f"`{k}`", str(val)] for k, val in v.items()]
    return c.markdown_table(["", "value"], rows, numeric=False)


def targets_block(results: dict[str, c.JSON], previous: str = "") -> str:
    """The promises table: rows of the benchmarks in ``results``, and the rows that
    ``previous`` (the block as it stands in the doc) holds for benchmarks not re-run
    this time (their results files are absent), so ``--only`` keeps the others'."""
    kept = _rows_by_benchmark(previous)
    lines: list[str] = []
    for name in BENCHMARKS:
        r = results.get(name)
        if r is None:
            lines += kept.get(name, [])
            continue
        rows = []
        for t in r["targets"]:
            verdict = t["verdict"] if t["verdict"] == "met" else f"**{t['verdict']}**"
            where = f"[{name}](#{name})" + (" (quick mode)" if r["quick"] else "")
            rows.append([t["what"], t["goal"], t["measured"], verdict, where])
        if rows:  # its body rows, without the header the table helper adds
            table = c.markdown_table(["", "", "", "", ""], rows, numeric=False)
            lines += table.splitlines()[2:]
    if not lines:
        return "*No results yet: run `python bench/run_all.py`.*"
    header = c.markdown_table(
        ["promise", "goal", "measured", "verdict", "benchmark"], [], numeric=False
    ).splitlines()[:2]
    return "\n".join(header + lines)


def _rows_by_benchmark(block: str) -> dict[str, list[str]]:
    """The body rows of a rendered promises table, by the benchmark they link to."""
    out: dict[str, list[str]] = {}
    for line in block.splitlines():
        found = re.search(r"\[(\w+)\]\(#\1\)", line)
        if line.startswith("|") and found:
            out.setdefault(found.group(1), []).append(line)
    return out


def _block(text: str, key: str) -> str:
    begin, end = f"<!-- bench:{key}:begin -->", f"<!-- bench:{key}:end -->"
    found = re.search(re.escape(begin) + r"(.*?)" + re.escape(end), text, re.DOTALL)
    return found.group(1) if found else ""


def render_doc(results: dict[str, c.JSON]) -> list[str]:
    """Rewrite the generated blocks of docs/benchmarks.md; return the keys not found."""
    text = DOC.read_text()
    missing = []
    blocks = {name: c.report_markdown(r) for name, r in results.items()}
    if results:
        blocks["machine"] = machine_block(results)
    blocks["targets"] = targets_block(results, _block(text, "targets"))
    for key, body in blocks.items():
        text, found = _replace_block(text, key, body)
        if not found:
            missing.append(key)
    DOC.write_text(text)
    return missing


def load_results() -> dict[str, c.JSON]:
    out = {}
    for name in BENCHMARKS:
        path = c.RESULTS_DIR / f"{name}.json"
        if path.exists():
            out[name] = json.loads(path.read_text())
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument("--only", default="", help="comma-separated benchmarks to run")
    p.add_argument("--docs-only", action="store_true", help="only re-render the doc")
    p.add_argument("--tmp", default="", help="where the temporary folders go")
    args = p.parse_args(argv)

    names = [n.strip() for n in args.only.split(",") if n.strip()] or BENCHMARKS
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    failed = []
    if not args.docs_only:
        for name in names:
            cmd = [sys.executable, str(c.BENCH_DIR / f"{name}.py")]
            if args.quick:
                cmd.append("--quick")
            if args.tmp:
                cmd += ["--tmp", args.tmp]
            print(f"\n=== {name} ===", flush=True)
            t0 = time.perf_counter()
            rc = subprocess.run(cmd, cwd=c.REPO_DIR).returncode
            print(f"=== {name}: exit {rc} in {time.perf_counter() - t0:.0f} s ===", flush=True)
            if rc != 0:
                failed.append(name)
    results = load_results()
    missing = render_doc(results)
    print(f"\n{DOC.relative_to(c.REPO_DIR)} regenerated from {len(results)} result file(s)")
    if missing:
        print(f"markers not found in the doc for: {', '.join(missing)}", file=sys.stderr)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
