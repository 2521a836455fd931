"""What every integration needs: metric keys and values from a framework's dicts,
config that never refuses a value, and a run the integration starts, ends and reopens.
"""

from __future__ import annotations

import math
import numbers
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from heron.errors import HeronError, InvalidValue
from heron.keys import MAX_KEY_LENGTH, key_problem
from heron.media import Table
from heron.media.limits import MAX_TABLE_ROWS
from heron.sdk.init import current_run, init
from heron.sdk.run import Run, fast_path
from heron.sdk.values import to_float, to_json_value

_BAD_KEY_CHARS = re.compile(r"[^\w\-./:()\[\]@=,+ ]")


def metric_key(name: str) -> str:
    """A framework's metric name as a valid Heron key: characters Heron does not
    allow become ``_``, ``/`` is not repeated, led or trailed (``valid_0 l2`` stays)."""
    if not key_problem(name):
        return name
    key = _BAD_KEY_CHARS.sub("_", str(name))
    key = re.sub(r"/+", "/", key).strip("/ ")[:MAX_KEY_LENGTH]
    return key or "_"


def is_scalar(value: Any) -> bool:
    """A number ``Run.log`` takes: int, float, bool, numpy scalars, 0-d tensors."""
    if isinstance(value, (bool, numbers.Real)):
        return True
    return getattr(value, "ndim", None) == 0 and hasattr(value, "item")


def scalars(
    values: Mapping[str, Any], prefix: str = "", *, skip: frozenset[str] = frozenset()
) -> dict[str, float]:
    """The numbers of a framework's (possibly nested) metrics dict, keyed for Heron:
    nested dicts joined with ``/``, ``prefix`` in front; strings, lists and None left out.

    Called by a logger on every step: a plain ``float`` or ``int`` under a name seen
    before takes one dict lookup (the key's Heron spelling is remembered); everything
    else is walked and converted as :func:`is_scalar` and :func:`to_float` say."""
    out: dict[str, float] = {}
    for name, value in values.items():
        kind = type(value)
        if kind is float or kind is int:
            path = prefix + name if type(name) is str else f"{prefix}{name}"
            if path in skip:
                continue
            key = _metric_keys.get(path)
            if key is None:
                key = _remember_key(path)
            if kind is float:
                out[key] = value
                continue
            try:
                out[key] = to_float(path, value)
            except InvalidValue:  # an int too big for a float64: not a metric
                continue
            continue
        for path, item in _walk({name: value}, prefix):
            if path in skip or not is_scalar(item):
                continue
            try:
                out[metric_key(path)] = to_float(path, item)
            except InvalidValue:  # a complex or object-dtype scalar: not a metric
                continue
    return out


def log_scalars(run: Run, values: Mapping[str, Any], step: int, prefix: str = "") -> None:
    """``run.log(scalars(values, prefix), step=step)``, for a logger called every step.

    Without a prefix, a dict whose names :func:`scalars` kept as they were (the same
    keys, in the same order, all Heron keys) and whose values are all plain ``float``
    or ``int`` goes to ``run.log`` as it is: :func:`scalars` would build an equal dict
    (warm, 1.1 µs a call of 3 values less: 2.9 → 1.8 µs over building the framework's
    dict). An int too big for a float64 is refused by ``run.log`` after the rest is
    logged, as :func:`scalars` leaves it out."""
    names = tuple(values)
    if not prefix and names in _plain_names:
        for value in values.values():
            kind = type(value)
            if kind is not float and kind is not int:
                break
        else:
            try:  # noqa: SIM105 - contextlib.suppress is three calls more, cold
                run.log(values, step=step)
            except InvalidValue:
                pass
            return
    out = scalars(values, prefix)
    if not prefix and out and list(out) == list(names):
        if len(_plain_names) >= _MAX_REMEMBERED_KEYS:
            _plain_names.clear()
        _plain_names.add(names)
    if out:
        run.log(out, step=step)


class _Steps:
    """What a relay keeps where there is no compiled one (see :func:`relay`)."""

    __slots__ = ("last_step", "target")

    def __init__(self) -> None:
        self.last_step: int | None = None
        self.target: Any = None


def relay(logger: Any, base: type, rank_source: Any = None, prefix: str = "") -> Any:
    """Put a compiled ``_fastlog.Relay`` in front of ``logger.log_metrics`` (an instance
    attribute over the method) and return it: a step's dict of plain numbers under
    names the run has seen goes from the framework straight to the run's compiled
    ``log``, skipping the method's Python (about 5 µs a call with the caches cold after
    a training step, issue 19); anything else calls the method. The method logs with
    :func:`log_scalars`, then sets the relay's ``target`` to ``run.log`` and its
    ``last_step``. Where nothing is compiled, with a ``prefix`` (the logger's: its dicts
    are renamed), or when the logger's class overrides ``base.log_metrics`` (a user's
    subclass: its method must see every call), the method stays and the returned
    object only holds those two."""
    fast = fast_path()
    method = type(logger).log_metrics
    overridden = method is not vars(base).get("log_metrics")
    if fast is None or prefix or overridden:
        return _Steps()
    compiled = fast.Relay(method.__get__(logger), rank_source)
    logger.log_metrics = compiled
    return compiled


# The names of the metrics dicts that log_scalars passes as they are.
_plain_names: set[tuple[Any, ...]] = set()
# A framework's metric name -> its Heron key (``metric_key``), for the names of the
# last few thousand calls: the same names come every step.
_metric_keys: dict[str, str] = {}
_MAX_REMEMBERED_KEYS = 4096


def _remember_key(path: str) -> str:
    if len(_metric_keys) >= _MAX_REMEMBERED_KEYS:
        _metric_keys.clear()
    key = _metric_keys[path] = metric_key(path)
    return key


def _walk(values: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _walk(value, f"{path}/")
        else:
            yield path, value


def config_value(value: Any) -> Any:
    """A hyperparameter as config: kept as it is where Heron can store it, else its
    ``str()`` (a model, a callable, a device: config never refuses a value)."""
    if isinstance(value, Mapping):
        return {str(k): config_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [config_value(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return value
    try:
        return to_json_value("config", value)
    except HeronError:
        return str(value)


def config_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    """``config_value`` over a mapping, with keys as strings (dotted keys stay nested
    paths, as in ``run.config.update``)."""
    return {str(k): config_value(v) for k, v in values.items()}


class OwnedRun:
    """The run an integration logs to: the one it was given, else the current run
    (``heron.init`` called by the script), else one it starts with ``init_kwargs`` and
    ends itself. A run it ended is reopened (resumed, same id) when the framework logs
    again (``trainer.test()`` after ``trainer.fit()``)."""

    def __init__(self, run: Run | None, init_kwargs: Mapping[str, Any]) -> None:
        self._given = run
        self._init_kwargs = dict(init_kwargs)
        self._own: Run | None = None

    @property
    def started(self) -> bool:
        return self._given is not None or self._own is not None

    @property
    def owned(self) -> bool:
        """True when this integration started the run (and so ends it)."""
        return self._given is None and self._own is not None

    def get(self, config: Mapping[str, Any] | None = None) -> Run:
        """The run, started (with ``config``) or reopened if need be."""
        if self._given is not None:
            return self._given
        if self._own is None:
            current = current_run()
            if isinstance(current, Run):
                self._given = current
                if config:
                    current.config.update(config)
                return current
            kwargs = dict(self._init_kwargs)
            if config:
                kwargs["config"] = {**config, **dict(kwargs.get("config") or {})}
            self._own = init(**kwargs)
        elif self._own.state != "running":
            kwargs = {k: v for k, v in self._init_kwargs.items() if k != "config"}
            # a finished run reopens only when asked (docs/resume.md): it ended it itself
            kwargs.update(project=self._own.project, resume=self._own.id, reopen=True)
            self._own = init(**kwargs)
        return self._own

    def last(self) -> Run:
        """The run, started if need be, but not reopened: its id and project stay
        readable after the integration ended it."""
        if self._given is not None:
            return self._given
        return self._own if self._own is not None else self.get()

    def finish(self, state: str = "finished") -> None:
        """End the run if this integration started it; flush it otherwise."""
        if self._own is not None and self._given is None:
            if self._own.state == "running":
                self._own.finish(state)
        elif self._given is not None and self._given.state == "running":
            self._given.flush()


def init_kwargs(
    project: str | None,
    name: str | None,
    config: Mapping[str, Any] | None,
    tags: tuple[str, ...] | list[str],
    group: str | None,
    dir: Any,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """``heron.init``'s arguments as an integration's constructor took them."""
    kwargs: dict[str, Any] = {"project": project, "name": name, "tags": list(tags)}
    if config:
        kwargs["config"] = config_dict(config)
    if group is not None:
        kwargs["group"] = group
    if dir is not None:
        kwargs["dir"] = dir
    kwargs.update(extra)
    return kwargs


def log_table(
    run: Run, key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], step: int
) -> None:
    """Log a table (``heron.Table``) under ``key`` at ``step``: the first
    ``MAX_TABLE_ROWS`` rows (order them so the ones that matter come first)."""
    cells = [[config_value(v) for v in row] for row in rows[:MAX_TABLE_ROWS]]
    run.log({key: Table(columns=list(columns), data=cells)}, step=step)


def log_model_file(
    run: Run,
    save: Callable[[Path], object],
    filename: str,
    name: str | None,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """Save a model with ``save(path)`` into a temporary ``filename`` and log it as a
    version of the artifact ``name`` (default ``model-<run id>``), type ``model``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        save(path)
        ref = run.log_artifact(
            path, name=name or f"model-{run.id}", type="model", metadata=metadata or {}
        )
    assert isinstance(ref, str)
    return ref
