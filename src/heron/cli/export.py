"""``heron export``: the runs table, or every metric point, as CSV, Parquet or JSON Lines.

Output goes to a temporary file beside ``--output`` that is renamed into place at the
end, so a failed export never leaves a half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from itertools import repeat
from pathlib import Path
from typing import IO, Any

import click

from heron.api import RUN_COLUMNS, Runs
from heron.cli import render
from heron.cli.context import CliError, open_api
from heron.cli.names import query_warnings
from heron.store.base import Series

FORMATS = ("csv", "parquet", "json")
POINT_COLUMNS = ("run_id", "key", "step", "time", "value")
_SUFFIXES = {
    "csv": "csv",
    "json": "json",
    "jsonl": "json",
    "ndjson": "json",
    "parquet": "parquet",
    "pq": "parquet",
}


@click.command()
@click.option("-p", "--project", help="Only this project's runs.")
@click.option("-f", "--filter", "filter_", metavar="EXPR", help="Only runs matching EXPR.")
@click.option("-s", "--sort", multiple=True, metavar="KEY", help="Sort key, as in `runs ls`.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="csv, parquet or json (JSON Lines: one object per line). "
    "Default: from the --output suffix, else csv.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    help="File to write; stdout when omitted (not for parquet).",
)
@click.option(
    "--history",
    is_flag=True,
    help="Export every metric point (run_id, key, step, time, value) instead of one row per run.",
)
@click.option(
    "-k",
    "--key",
    "keys",
    multiple=True,
    metavar="KEY",
    help="With --history: only these metric keys. Repeatable.",
)
@click.option(
    "--files",
    "files_dir",
    metavar="FOLDER",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also copy every exported run's files (artifacts logged as run files) into "
    "FOLDER/<run id>/<path>, as plain files.",
)
def export(
    project: str | None,
    filter_: str | None,
    sort: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    history: bool,
    keys: tuple[str, ...],
    files_dir: Path | None = None,
) -> None:
    """Export runs (config.* and summary.* columns) or their metric history."""
    to_stdout = output is None or str(output) == "-"
    fmt = fmt or _format_from_suffix(None if to_stdout else output)
    if fmt == "parquet" and to_stdout:
        raise click.UsageError("parquet is binary: give a file with --output PATH")
    api = open_api()
    # The file opens first: a path that cannot be written fails before any work (and
    # an unknown name, from api.runs, leaves no file).
    with _destination(None if to_stdout else output, binary=fmt == "parquet") as out:
        with query_warnings():
            found = api.runs(project, filter_, sort)
        if not found:  # no file rather than an empty one that looks like an export
            raise CliError(
                "no runs matched: nothing was exported" + (" (check --filter)" if filter_ else "")
            )
        if history:
            _export_points(found, keys or None, fmt, out)
        else:
            _export_runs(found, fmt, out)
    if files_dir is not None:
        copied = sum(_export_files(run, files_dir) for run in found)
        render.stderr().print(f"Copied {copied} run files into {files_dir}.", markup=False)
    if not to_stdout:
        what = "metric points of " if history else ""
        render.stderr().print(
            f"Exported {what}{len(found)} runs to {output} ({fmt}).", markup=False
        )


def _export_files(run: Any, folder: Path) -> int:
    """Every file of ``run`` into ``folder/<run id>/<path>``; how many."""
    files = run.files()
    for entry in files:
        run.download(entry.path, folder / run.id)
    return len(files)


def _format_from_suffix(path: Path | None) -> str:
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    return _SUFFIXES.get(suffix, "csv")


@contextlib.contextmanager
def _destination(path: Path | None, *, binary: bool) -> Iterator[IO[Any]]:
    """stdout, or a temp file beside ``path`` renamed onto it when all went well."""
    if path is None:
        yield sys.stdout
        return
    tmp = path.with_name(f".{path.name}.heron-tmp")
    try:
        with _open(tmp, binary) as handle:
            yield handle
        os.replace(tmp, path)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):  # renamed already, or never created
            tmp.unlink()


def _open(path: Path, binary: bool) -> IO[Any]:
    return path.open("wb") if binary else path.open("w", newline="", encoding="utf-8")


def _pq() -> Any:
    """pyarrow.parquet, typed loosely: its functions carry no annotations."""
    return importlib.import_module("pyarrow.parquet")


# --- one row per run ------------------------------------------------------------
def _export_runs(found: Runs, fmt: str, out: IO[Any]) -> None:
    records = found.to_records()
    if fmt == "parquet":
        _write_parquet(_arrow_table(records), out)
        return
    for record in records:
        record["created"] = render.iso_utc(record["created"])
    if fmt == "json":
        for record in records:
            out.write(render.dumps(record) + "\n")
    else:
        columns = list(records[0]) if records else list(RUN_COLUMNS)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            writer.writerow(_csv_cell(record[c]) for c in columns)


def _csv_cell(v: Any) -> Any:
    """Lists and dicts as JSON text; None as an empty cell; nan/inf as Python spells them."""
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return render.dumps(v)
    return v


def _arrow_table(records: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    columns = list(records[0]) if records else list(RUN_COLUMNS)
    arrays = {c: _arrow_column([r[c] for r in records]) for c in columns}
    # Microseconds: the precision the store keeps times in.
    micros = [None if r["created"] is None else round(r["created"] * 1e6) for r in records]
    arrays["created"] = pa.array(micros, pa.timestamp("us", tz="UTC"))
    return pa.table(arrays)


def _arrow_column(values: Sequence[Any]) -> Any:
    """A typed column where the values agree on a type, else JSON text (a config key
    that is a number in one run and a string in another)."""
    import pyarrow as pa

    kinds = {_kind(v) for v in values if v is not None}
    if kinds <= {"int"} or kinds <= {"float", "int"} or kinds <= {"bool"} or kinds <= {"str"}:
        return pa.array(values)
    if kinds == {"str-list"}:
        return pa.array(values, type=pa.list_(pa.string()))
    return pa.array([None if v is None else render.dumps(v) for v in values], type=pa.string())


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "str-list"
    return "json"


def _write_parquet(table: Any, out: IO[bytes]) -> None:
    _pq().write_table(table, out)


# --- one row per metric point -----------------------------------------------------
def _export_points(found: Runs, keys: Sequence[str] | None, fmt: str, out: IO[Any]) -> None:
    """Streamed run by run, so that memory holds one run's points at a time."""
    sink = _PointSink(fmt, out)
    bar = render.progress(render.stderr())
    with bar:
        task = bar.add_task("exporting", total=len(found), detail="")
        for run in found:
            points = sink.write_run(run.id, run.series(keys))
            bar.update(task, advance=1, detail=f"{run.id}: {points} points")
    sink.close()


class _PointSink:
    """Writes (run_id, key, step, time, value) rows; Parquet in row groups of about
    ``ROW_GROUP`` points, however the points are spread over runs and keys."""

    ROW_GROUP = 1 << 20

    def __init__(self, fmt: str, out: IO[Any]) -> None:
        self.fmt = fmt
        self.out = out
        self._writer: Any = None  # pyarrow.parquet.ParquetWriter, opened on first flush
        self._pending: list[Any] = []  # pyarrow tables not yet written
        self._pending_rows = 0
        self._csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writerow(POINT_COLUMNS)

    def write_run(self, run_id: str, series: dict[str, Series]) -> int:
        count = 0
        for key, s in sorted(series.items()):
            count += len(s)
            if self.fmt == "parquet":
                self._add_arrow(run_id, key, s)
                continue
            rows = zip(
                repeat(run_id), repeat(key), s.steps.tolist(), s.times.tolist(), s.values.tolist()
            )
            if self._csv is not None:
                self._csv.writerows(rows)
            else:
                self.out.writelines(
                    render.dumps(dict(zip(POINT_COLUMNS, row, strict=True))) + "\n" for row in rows
                )
        return count

    def _add_arrow(self, run_id: str, key: str, s: Series) -> None:
        import pyarrow as pa

        n = len(s)
        self._pending.append(
            pa.table(
                {
                    "run_id": pa.array([run_id] * n, pa.string()),
                    "key": pa.array([key] * n, pa.string()),
                    "step": pa.array(s.steps, pa.int64()),
                    "time": pa.array(s.times, pa.float64()),
                    "value": pa.array(s.values, pa.float64()),
                },
                schema=_points_schema(),
            )
        )
        self._pending_rows += n
        if self._pending_rows >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._writer is None:
            self._writer = _pq().ParquetWriter(self.out, _points_schema())
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending))
        self._pending, self._pending_rows = [], 0

    def close(self) -> None:
        if self.fmt == "parquet":
            self._flush()  # also makes a valid, empty file when there were no points
            self._writer.close()


def _points_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("run_id", pa.string()),
            ("key", pa.string()),
            ("step", pa.int64()),
            ("time", pa.float64()),
            ("value", pa.float64()),
        ]
    )
