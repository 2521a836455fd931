"""Formatting shared by the commands: consoles, times, sizes, values, JSON, progress."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from rich.progress import Progress

STATE_STYLES = {
    "running": "bold blue",
    "finished": "green",
    "failed": "bold red",
    "killed": "yellow",
    "crashed": "bold magenta",
    "pruned": "dim yellow",
}


def stdout() -> Console:
    # Made per command, not at import: click's test runner swaps sys.stdout per call.
    return Console(soft_wrap=False, highlight=False, emoji=False)


def stderr() -> Console:
    """Progress and notes go to stderr so that stdout stays clean for data."""
    return Console(stderr=True, highlight=False, emoji=False)


def progress(console: Console) -> Progress:
    """A progress bar on ``console`` that is only drawn on a terminal and vanishes when done."""
    from rich.progress import (  # imported by the commands that show progress only
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def state_text(state: str) -> str:
    style = STATE_STYLES.get(state, "")
    return f"[{style}]{state}[/]" if style else state


def when(epoch: float | None) -> str:
    """Local time to the minute: the table is read by a person in their own time zone."""
    if epoch is None:
        return "-"
    moment = datetime.fromtimestamp(epoch)
    return moment.strftime("%Y-%m-%d %H:%M")


def iso_utc(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{seconds:.1f}s" if seconds < 10 else f"{secs}s"


def size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def value(v: Any) -> str:
    """A config or summary value for a table cell: numbers to 6 significant digits."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (dict, list)):
        return json.dumps(jsonable(v))
    return str(v)


def cell(v: Any) -> Text:
    """``value(v)`` as plain text: user strings may hold "[", which rich reads as markup."""
    return Text(value(v))


def jsonable(v: Any) -> Any:
    """``v`` with NaN and ±inf as the strings "NaN", "Infinity", "-Infinity": strict
    JSON has no such numbers, and null would lose which one it was."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def dumps(v: Any) -> str:
    return json.dumps(jsonable(v), ensure_ascii=False, allow_nan=False)
