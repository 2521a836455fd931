"""The code a run ran, rebuilt in a folder: ``heron reproduce RUN --dir DIR``.

From the run's record (``system.git``) and its files:

1. a git worktree of the source repository at the recorded commit (``git worktree
   add --detach``); the repository is ``repo`` if given, else the recorded
   ``git.root`` when it still exists, else a clone of the recorded ``remote_url``;
2. ``code/diff.patch`` applied with ``git apply`` (the uncommitted changes to tracked
   files); a truncated diff, or one git cannot apply, is reported, not half-applied;
3. the untracked files listed in ``code/untracked.txt`` restored from the run's files
   ``code/untracked/<path>`` where the run saved them; the others are reported missing;
4. the datasets the run hashed (``run.use_dataset``) hashed again at their recorded
   paths: one that changed or is gone is named;
5. the command to run: the recorded ``argv`` in the recorded working folder.

Nothing here runs the recorded program: that is left to the user (``--run`` is not
built yet). Paths from the record are checked to stay inside the folder.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from heron.errors import HeronError, InvalidInput

if TYPE_CHECKING:
    from heron.api import ApiRun

DIFF_FILE = "code/diff.patch"
UNTRACKED_FILE = "code/untracked.txt"
UNTRACKED_PREFIX = "code/untracked/"
GIT_TIMEOUT = 300.0


@dataclass(frozen=True)
class DatasetCheck:
    name: str
    path: str
    recorded: str
    current: str | None  # None: missing or unreadable
    status: Literal["same", "changed", "missing", "unreadable"]
    # for a changed folder: how many files and bytes, recorded and now, and the files
    # that changed, came or went (when the run recorded the folder's per-file digests)
    sizes: tuple[tuple[int, int], tuple[int, int]] | None = None
    files: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.status == "changed":
            hint = ""
            if self.sizes is not None:
                (files_a, bytes_a), (files_b, bytes_b) = self.sizes
                hint = (
                    f" ({files_a} files, {bytes_a} bytes recorded; {files_b} files, "
                    f"{bytes_b} bytes now)"
                )
            if self.files:
                shown = ", ".join(self.files[:10])
                more = f" and {len(self.files) - 10} more" if len(self.files) > 10 else ""
                hint += f": {shown}{more}"
            return (
                f"dataset {self.name!r} at {self.path} changed: recorded {self.recorded}, "
                f"now {self.current}{hint}"
            )
        if self.status == "missing":
            return f"dataset {self.name!r}: {self.path} is not on this machine"
        return f"dataset {self.name!r} at {self.path} cannot be read"


@dataclass
class CheckoutReport:
    run_id: str
    dir: Path
    commit: str
    source: str  # the repository (a path or URL) the worktree came from
    diff: str = "none"  # "none" (clean tree), "applied", "failed: ...", "missing", "truncated"
    restored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # untracked files not captured
    problems: list[str] = field(default_factory=list)
    command: str | None = None  # how to run it again, when argv was recorded
    datasets: list[DatasetCheck] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        data_ok = all(d.status == "same" for d in self.datasets)
        return (
            self.diff in ("none", "applied") and not self.missing and not self.problems and data_ok
        )


class GitError(InvalidInput):
    """A git command failed (its message carries git's own)."""


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (heron reproduce needs it)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not finish in {GIT_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def safe_relative(path: str) -> str | None:
    """``path`` if it is a relative path that stays inside its folder, else None."""
    if not path or "\0" in path or "\\" in path:
        return None
    parts = PurePosixPath(path).parts
    if PurePosixPath(path).is_absolute() or not parts or any(p in ("..", ".git") for p in parts):
        return None
    return path


def _check_dest(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InvalidInput(f"{dest} exists and is not an empty folder: choose a new --dir")


def _source(git: dict[str, Any], repo: Path | None, commit: str) -> tuple[str, bool]:
    """The repository to take the commit from, and whether it is a local one."""
    if repo is not None:
        if not (repo / ".git").exists() and not repo.joinpath("HEAD").exists():
            raise InvalidInput(f"--repo {repo} is not a git repository")
        return str(repo), True
    root = git.get("root")
    if isinstance(root, str) and Path(root).is_dir():
        return root, True
    url = git.get("remote_url")
    if isinstance(url, str) and url:
        return url, False
    raise InvalidInput(
        f"the run's repository ({root or 'unknown'}) is not on this machine and no remote "
        f"was recorded: pass --repo PATH, a clone that has commit {commit}"
    )


def _run_files(run: ApiRun) -> set[str]:
    return {f.path for f in run.files()}


def _read(run: ApiRun, path: str, scratch: Path) -> bytes:
    return run.download(path, scratch).read_bytes()


def checkout(run: ApiRun, dest: Path, repo: Path | None = None) -> CheckoutReport:
    """Rebuild ``run``'s code in ``dest`` (see the module doc). Raises InvalidInput when
    the run recorded no commit, ``dest`` is not new or empty, or the commit cannot be
    checked out; what can be done but is incomplete is in the report."""
    git = run.system.get("git")
    commit = git.get("commit") if isinstance(git, dict) else None
    if not isinstance(git, dict) or not isinstance(commit, str) or not commit:
        raise InvalidInput(
            f"run {run.id} recorded no git commit (it ran outside a git repository, or "
            "with HERON_CAPTURE_GIT=false or capture=False): its code cannot be rebuilt"
        )
    dest = dest.absolute()
    _check_dest(dest)
    source, local = _source(git, repo, commit)
    if local:
        try:
            _git("cat-file", "-e", f"{commit}^{{commit}}", cwd=Path(source))
        except GitError:
            raise InvalidInput(
                f"commit {commit} is not in {source}: fetch it (git fetch --all) or pass "
                "--repo with a clone that has it"
            ) from None
        _git("worktree", "add", "--detach", str(dest), commit, cwd=Path(source))
    else:
        _git("clone", "--quiet", "--no-checkout", source, str(dest))
        _git("checkout", "--quiet", "--detach", commit, cwd=dest)
    report = CheckoutReport(run.id, dest, commit, source)
    files = _run_files(run)
    with tempfile.TemporaryDirectory(prefix="heron-reproduce-") as tmp:
        scratch = Path(tmp)
        _apply_diff(run, git, files, dest, scratch, report)
        _restore_untracked(run, files, dest, scratch, report)
    report.datasets = check_datasets(run.system)
    report.command = _command(run, git, dest, report)
    return report


def check_datasets(system: dict[str, Any]) -> list[DatasetCheck]:
    """Hash each recorded dataset again at its recorded path (no cache: a check must
    read the bytes). A changed folder is named with the files that changed, came or
    went when the run recorded its per-file digests (folders of up to
    ``MANIFEST_FILES`` files), else with its file count and size."""
    from heron.sdk.capture.datasets import changed_files, hash_dataset

    recorded = system.get("datasets")
    out: list[DatasetCheck] = []
    if not isinstance(recorded, dict):
        return out
    for name, data in sorted(recorded.items()):
        if not isinstance(data, dict):
            continue
        path, digest = data.get("path"), data.get("digest")
        if not isinstance(path, str) or not isinstance(digest, str):
            continue
        if not Path(path).exists():
            out.append(DatasetCheck(name, path, digest, None, "missing"))
            continue
        try:
            now = hash_dataset(Path(path))
        except (OSError, HeronError):
            out.append(DatasetCheck(name, path, digest, None, "unreadable"))
            continue
        status: Literal["same", "changed"] = "same" if now.digest == digest else "changed"
        files, size = data.get("file_count"), data.get("bytes")
        sizes = None
        which: tuple[str, ...] = ()
        if status == "changed" and Path(path).is_dir() and isinstance(files, int):
            sizes = ((files, size if isinstance(size, int) else 0), (now.file_count, now.bytes))
            manifest = data.get("files")
            if isinstance(manifest, dict) and now.files is not None:
                which = tuple(changed_files(manifest, now.files))
        out.append(DatasetCheck(name, path, digest, now.digest, status, sizes, which))
    return out


def _apply_diff(
    run: ApiRun,
    git: dict[str, Any],
    files: set[str],
    dest: Path,
    scratch: Path,
    report: CheckoutReport,
) -> None:
    if DIFF_FILE not in files:
        if git.get("dirty"):
            report.diff = "missing"
            report.problems.append(
                f"the tree was dirty but the run has no {DIFF_FILE}: uncommitted changes are lost"
            )
        return
    if git.get("diff_truncated"):
        report.diff = "truncated"
        report.problems.append(
            f"{DIFF_FILE} was cut at its size limit when the run started: not applied"
        )
        return
    patch = run.download(DIFF_FILE, scratch)
    try:
        _git("apply", "--whitespace=nowarn", str(patch), cwd=dest)
    except GitError as exc:
        report.diff = f"failed: {exc.message}"
        report.problems.append(f"{DIFF_FILE} does not apply to {report.commit[:12]}: {exc.message}")
        return
    report.diff = "applied"


def _restore_untracked(
    run: ApiRun, files: set[str], dest: Path, scratch: Path, report: CheckoutReport
) -> None:
    if UNTRACKED_FILE not in files:
        return
    listed = _read(run, UNTRACKED_FILE, scratch).decode("utf-8", "replace").splitlines()
    for name in (line for line in listed if line):
        rel = safe_relative(name)
        if rel is None:
            report.problems.append(f"untracked file {name!r} has an unsafe path: skipped")
            continue
        saved = UNTRACKED_PREFIX + rel
        if saved not in files:
            report.missing.append(rel)
            continue
        got = run.download(saved, scratch)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(got.read_bytes())
        report.restored.append(rel)


def recorded_command(system: dict[str, Any], dest: Path) -> tuple[Path, list[str]] | None:
    """Where and what the run ran, moved into ``dest``: the recorded working folder
    inside the rebuilt repository, and ``argv`` with paths inside the recorded
    repository made relative to ``dest`` (None when no argv was recorded)."""
    program = system.get("program")
    process = program.get("process") if isinstance(program, dict) else None
    argv = process.get("argv") if isinstance(process, dict) else None
    if not isinstance(argv, list) or not argv:
        return None
    assert isinstance(process, dict)
    git = system.get("git")
    root = git.get("root") if isinstance(git, dict) else None
    where = dest
    cwd = process.get("cwd")
    if isinstance(cwd, str) and isinstance(root, str):
        try:
            inside = safe_relative(Path(cwd).relative_to(root).as_posix())
        except ValueError:  # it ran outside the repository
            inside = None
        if inside is not None and inside != ".":
            where = dest / inside
    args = [_moved(str(a), root, dest) for a in argv]
    return where, args


def _moved(arg: str, root: str | None, dest: Path) -> str:
    """An absolute path inside the recorded repository, moved to the rebuilt one."""
    if root is None or not arg.startswith(root.rstrip("/") + "/"):
        return arg
    inside = safe_relative(arg[len(root.rstrip("/")) + 1 :])
    return str(dest / inside) if inside is not None else arg


def _command(run: ApiRun, git: dict[str, Any], dest: Path, report: CheckoutReport) -> str | None:
    found = recorded_command(run.system, dest)
    if found is None:
        return None
    where, args = found
    if "***" in args or any("=***" in a for a in args):
        report.problems.append("the command line had secrets (shown as ***): fill them in")
    return f"cd {shlex.quote(str(where))} && python {shlex.join(args)}"
