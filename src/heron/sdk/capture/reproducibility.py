"""Will this run be reproducible? A score from what capture already gathered.

:func:`assess` is pure: from the run's ``system`` record (git, packages, program,
seed, datasets), its config and the files it saved, it lists what a reproduction
(``heron reproduce``) would lack, each with a weight, and scores the run
``100 - sum(weights)``:

=====================  ======  ================================================
check                  weight  missing when
=====================  ======  ================================================
``code``                   30  no git commit recorded (no repository, capture off)
``diff``                   10  the tree was dirty and the diff was cut at its limit
``untracked``              15  untracked source files that the run did not save
                               (``run.save_file(p, name="code/untracked/<p>")``)
``packages``               15  no package list recorded
``local_packages``         10  packages installed from local paths or editable
                               (Heron itself aside): no index can serve them
``seed``                   10  no ``heron.seed_everything`` and no ``seed`` in config
``data``                   10  a config value names an existing file or folder that
                               no ``run.use_dataset`` hashed
=====================  ======  ================================================

:class:`Watch` keeps one run's assessment current: built at ``init`` once capture is
done (no subprocess, no I/O but a ``stat`` per path-like config value), told of
seeds, saved files and hashed datasets later, it records ``system.reproducibility``
(``{"score", "missing": [{"check", "message"}]}``, filterable as
``system.reproducibility.score``) whenever the assessment changes, and logs one
warning line per missing item, once, on the ``heron`` logger: at ``init`` for the
code and the packages, at the end of the run for a seed and data still missing (a
script usually seeds and hashes its data after ``init``).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from heron.nested import flatten

if TYPE_CHECKING:
    from heron.sdk.run import Run

log = logging.getLogger("heron")

WEIGHTS: dict[str, int] = {
    "code": 30,
    "diff": 10,
    "untracked": 15,
    "packages": 15,
    "local_packages": 10,
    "seed": 10,
    "data": 10,
}
UNTRACKED_PREFIX = "code/untracked/"
SOURCE_SUFFIXES = frozenset(
    {".py", ".pyx", ".ipynb", ".sh", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".txt"}
    | {".c", ".cc", ".cpp", ".cu", ".h", ".hpp", ".jl", ".r", ".R", ".sql", ".jsonnet"}
)
_SEED_KEYS = frozenset({"seed", "random_seed", "rng_seed", "manual_seed"})
_SHOWN = 3  # names listed in a message
# Checks a script usually satisfies after init (seed_everything, use_dataset): their
# warnings wait for the end of the run, the score is kept current meanwhile.
LATER = frozenset({"seed", "data"})


@dataclass(frozen=True)
class Missing:
    check: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message}


@dataclass(frozen=True)
class Assessment:
    score: int
    missing: tuple[Missing, ...]

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "missing": [m.to_json() for m in self.missing]}


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def is_source(path: str) -> bool:
    return PurePosixPath(path).suffix in SOURCE_SUFFIXES


def assess(
    system: Mapping[str, Any],
    config: Mapping[str, Any],
    *,
    untracked: Iterable[str] = (),
    saved: Iterable[str] = (),
    dataset_paths: Iterable[str] = (),
    seeded: bool = False,
) -> Assessment:
    """What a reproduction of this run would lack (see the module doc).

    ``untracked``: the untracked files capture listed; ``saved``: the run's files so
    far; ``dataset_paths``: absolute paths hashed by ``use_dataset``; ``seeded``:
    ``heron.seed_everything`` was called."""
    missing: list[Missing] = []
    git = system.get("git")
    if not isinstance(git, dict) or not git.get("commit"):
        missing.append(
            Missing("code", "no git commit recorded: the code cannot be rebuilt (run in a repo)")
        )
    else:
        if git.get("dirty") and git.get("diff_truncated"):
            missing.append(Missing("diff", "the uncommitted diff was cut at its size limit"))
        kept = {p.removeprefix(UNTRACKED_PREFIX) for p in saved if p.startswith(UNTRACKED_PREFIX)}
        lost = [p for p in untracked if is_source(p) and p not in kept]
        if lost:
            missing.append(
                Missing(
                    "untracked",
                    f"{len(lost)} untracked source file(s) not captured ({_names(lost)}): "
                    "commit them, or run.save_file(path, name='code/untracked/<path>')",
                )
            )
    packages = system.get("packages")
    if not isinstance(packages, list):
        missing.append(Missing("packages", "no package list recorded"))
    else:
        local = [
            f"{p.get('name')} ({p.get('source')})"
            for p in packages
            if isinstance(p, dict)
            and p.get("source") in ("editable", "local")
            and p.get("name") != "heron"
        ]
        if local:
            missing.append(
                Missing(
                    "local_packages",
                    f"packages installed from local paths: {_names(local)}: no index can "
                    "install them elsewhere",
                )
            )
    flat = flatten(config)
    has_seed = seeded or isinstance(system.get("seed"), dict)
    if not has_seed and not any(k.rsplit(".", 1)[-1].lower() in _SEED_KEYS for k in flat):
        missing.append(Missing("seed", "no seed set: call heron.seed_everything(seed)"))
    hashed = [p.rstrip("/") for p in dataset_paths]
    unhashed = [
        f"config.{k}"
        for k, v in flat.items()
        if _is_data_path(v) and not _covered(os.path.abspath(v), hashed)
    ]
    if unhashed:
        missing.append(
            Missing(
                "data",
                f"data read from paths not hashed ({_names(unhashed)}): call run.use_dataset(path)",
            )
        )
    score = 100 - sum(WEIGHTS[m.check] for m in missing)
    return Assessment(max(0, score), tuple(missing))


def _is_data_path(value: object) -> bool:
    if not isinstance(value, str) or not value or len(value) > 4096 or "\n" in value:
        return False
    if "/" not in value and "." not in value:  # "adam", "relu": not paths
        return False
    try:
        return os.path.exists(value)
    except (OSError, ValueError):
        return False


def _covered(path: str, hashed: list[str]) -> bool:
    return any(
        path == h or path.startswith(h + os.sep) or h.startswith(path + os.sep) for h in hashed
    )


class Watch:
    """One run's assessment, kept current (see the module doc)."""

    def __init__(self, run: Run, system: Mapping[str, Any], untracked: list[str]) -> None:
        self._run = weakref.ref(run)
        self._system = dict(system)
        self._untracked = untracked
        self._saved: set[str] = set()
        self._datasets: list[str] = []
        self._seeded = False
        self._warned: set[str] = set()
        self._last: Assessment | None = None
        self._lock = threading.Lock()
        self._first: threading.Thread | None = None  # the assessment at init

    def update(
        self, *, seeded: bool = False, saved: str | None = None, dataset: str | None = None
    ) -> Assessment | None:
        run = self._run()
        if run is None:
            return None
        with self._lock:
            self._seeded = self._seeded or seeded
            if saved is not None:
                if not saved.startswith(UNTRACKED_PREFIX):
                    return self._last  # only these files change the assessment
                self._saved.add(saved)
            if dataset is not None:
                self._datasets.append(dataset)
            found = assess(
                self._system,
                _config(run),
                untracked=self._untracked,
                saved=self._saved,
                dataset_paths=self._datasets,
                seeded=self._seeded,
            )
            if found == self._last:
                return found
            self._last = found
            new = self._unwarned(found, LATER)
            try:  # under the lock: the records keep the order of the assessments
                run.record_system({"reproducibility": found.to_json()})
            except Exception:  # an ended run: its record is final
                log.debug("heron: reproducibility of run %s not recorded", run.id, exc_info=True)
        self._warn(run.id, new)
        return found

    def start(self, *, seeded: bool) -> None:
        """The first assessment, on a thread: off init's path (a few hundred µs with
        a large package list)."""
        self._first = threading.Thread(
            target=self._first_update,
            kwargs={"seeded": seeded},
            name="heron-reproducibility",
            daemon=True,
        )
        self._first.start()

    def _first_update(self, seeded: bool) -> None:
        try:
            self.update(seeded=seeded)
        except Exception:  # never a thread traceback in the script's terminal
            log.debug("heron: reproducibility not assessed", exc_info=True)

    def _unwarned(self, found: Assessment, skip: frozenset[str]) -> list[Missing]:
        new = [m for m in found.missing if m.check not in skip and m.check not in self._warned]
        self._warned.update(m.check for m in new)  # once per check, even if its text changes
        return new

    def _warn(self, run_id: str, missing: list[Missing]) -> None:
        for m in missing:
            log.warning("heron: run %s may not be reproducible: %s", run_id, m.message)

    def finished(self) -> None:
        """The run ended: warn of what is still missing among the checks a script
        usually satisfies after ``init`` (seed, datasets)."""
        if self._first is not None:
            self._first.join()
        run = self._run()
        if run is None or self._last is None:
            return
        with self._lock:
            new = self._unwarned(self._last, frozenset())
        self._warn(run.id, new)


_watches: weakref.WeakKeyDictionary[Run, Watch] = weakref.WeakKeyDictionary()


@dataclass
class _Early:
    """What a run did before its watch started (init's capture is on a thread)."""

    seeded: bool = False
    saved: set[str] = field(default_factory=set)
    datasets: list[str] = field(default_factory=list)


_early: weakref.WeakKeyDictionary[Run, _Early] = weakref.WeakKeyDictionary()
_early_lock = threading.Lock()


def _watch_or_early(run: Run) -> Watch | _Early:
    with _early_lock:
        found = _watches.get(run)
        if found is not None:
            return found
        return _early.setdefault(run, _Early())


def watch(run: Run, system: Mapping[str, Any], files: Mapping[str, str]) -> Watch:
    """Start keeping ``run``'s assessment (``heron.init``, once capture is done):
    ``system`` and ``files`` are what capture returned."""
    listed = [line for line in files.get("code/untracked.txt", "").splitlines() if line]
    store = _inside_repo(system, run.backend.folder.root)
    if store is not None:  # Heron's own folder in the repository is no source
        listed = [p for p in listed if not p.startswith(store)]
    found = Watch(run, system, listed)
    with _early_lock:  # what the script did while capture ran (it runs on a thread)
        early = _early.pop(run, None)
        _watches[run] = found
    if early is not None:
        found._seeded = early.seeded
        found._saved.update(early.saved)
        found._datasets.extend(early.datasets)
    found.start(seeded=_seeded_before)
    run.on_finish(found.finished)
    return found


def _config(run: Run) -> dict[str, Any]:
    """The run's config, read while the script may be changing it on another thread
    (a change replaces top-level keys: a copy that raced is simply taken again)."""
    for _ in range(10):
        try:
            return run.config.to_dict()
        except RuntimeError:  # "dictionary changed size during iteration"
            continue
    return {}


def _inside_repo(system: Mapping[str, Any], folder: Path) -> str | None:
    """``folder`` relative to the recorded repository root, with a trailing slash."""
    git = system.get("git")
    root = git.get("root") if isinstance(git, dict) else None
    if not isinstance(root, str):
        return None
    try:
        return folder.relative_to(root).as_posix().rstrip("/") + "/"
    except ValueError:
        return None


_seeded_before = False  # heron.seed_everything before any run started


def seeded(run: Run | None) -> None:
    """``heron.seed_everything`` was called (``run``: the current run, if any)."""
    global _seeded_before
    if run is None:
        _seeded_before = True
        return
    found = _watch_or_early(run)
    if isinstance(found, _Early):
        found.seeded = True
    else:
        found.update(seeded=True)


def saw_file(run: Run, path: str) -> None:
    """``run`` saved a file (``record_file``)."""
    if path.startswith(UNTRACKED_PREFIX):
        found = _watch_or_early(run)
        if isinstance(found, _Early):
            found.saved.add(path)
        else:
            found.update(saved=path)


def saw_dataset(run: Run, path: str) -> None:
    """``run`` hashed a dataset at ``path`` (``use_dataset``)."""
    found = _watch_or_early(run)
    if isinstance(found, _Early):
        found.datasets.append(path)
    else:
        found.update(dataset=path)
