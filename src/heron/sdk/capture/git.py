"""The git state of the code a run starts from: commit, branch, remote, dirty, diff.

Runs the ``git`` command (no GitPython) with a time limit on every call, so a huge
or slow repository delays ``heron.init`` by at most ``timeout`` seconds. Each part
that fails is recorded in :attr:`GitState.errors` and the rest is still captured.

Git is run with ``GIT_OPTIONAL_LOCKS=0`` so capturing never takes the index lock a
concurrent ``git commit`` of the user needs, and with colour, external diff drivers
and text conversion turned off so the diff is a plain patch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from heron.sdk.capture.redact import strip_credentials

DIFF_LIMIT_BYTES = 10 * 1024 * 1024
UNTRACKED_LIMIT = 1000
DEFAULT_TIMEOUT = 5.0

_GIT_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",  # never take index.lock: the user may be committing
    "GIT_TERMINAL_PROMPT": "0",  # never wait for a password
    "LC_ALL": "C",  # stable, parseable messages
}
_QUIET = ("-c", "color.ui=false", "-c", "core.quotepath=false")
_T = TypeVar("_T")


class GitFailed(Exception):
    """A git command failed or ran out of time (kept inside this module's results)."""


@dataclass(frozen=True)
class GitState:
    """What git says about the working tree at the start of a run.

    ``dirty`` is git's own meaning (``git describe --dirty``): a tracked file differs
    from ``HEAD``, staged or not (None when ``git status`` failed). Untracked files
    do not make the tree dirty; they are listed in ``untracked`` (ignored files
    excluded, at most ``UNTRACKED_LIMIT``).
    ``diff`` is ``git diff HEAD``: binary files appear as git's "Binary files ...
    differ" line, and a diff over ``DIFF_LIMIT_BYTES`` is cut with a note at the end.
    """

    root: str
    commit: str | None
    branch: str | None
    remote: str | None
    remote_url: str | None
    dirty: bool | None
    diff: str = ""
    diff_truncated: bool = False
    untracked: list[str] = field(default_factory=list)
    untracked_truncated: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary for the run record; the diff text and untracked names are
        stored as run files (``code/diff.patch``, ``code/untracked.txt``) instead."""
        out: dict[str, Any] = {
            "root": self.root,
            "commit": self.commit,
            "branch": self.branch,
            "remote": self.remote,
            "remote_url": self.remote_url,
            "dirty": self.dirty,
            "diff_bytes": len(self.diff.encode("utf-8")),
            "diff_truncated": self.diff_truncated,
            "untracked_count": len(self.untracked),
            "untracked_truncated": self.untracked_truncated,
        }
        if self.errors:
            out["errors"] = dict(self.errors)
        return out


def capture_git(path: Path, timeout: float = DEFAULT_TIMEOUT) -> GitState | None:
    """The git state of the repository containing ``path``.

    None when ``path`` is not inside a git work tree or git is not installed.
    ``timeout`` bounds the whole capture; commands still running at the deadline are
    killed and their part recorded in ``errors``. Raises :class:`GitFailed` only when
    git cannot even say where the repository is (say, a "dubious ownership" refusal).
    """
    git = _Git(Path(path), time.monotonic() + timeout)
    try:
        root = git.text("rev-parse", "--show-toplevel")
    except FileNotFoundError:
        return None  # git is not installed
    except GitFailed as exc:
        if "not a git repository" in str(exc).lower():
            return None
        raise
    errors: dict[str, str] = {}
    # status and diff each stat the whole tree: on a big repository they dominate,
    # so they run side by side (git is safe to read concurrently without locks).
    with ThreadPoolExecutor(max_workers=5, thread_name_prefix="heron-git") as pool:
        commit_f = pool.submit(
            _part, errors, "commit", lambda: git.text_or_none("rev-parse", "--verify", "HEAD")
        )
        branch_f = pool.submit(
            _part, errors, "branch", lambda: git.text_or_none("symbolic-ref", "--short", "HEAD")
        )
        status_f = pool.submit(_part, errors, "status", lambda: _status(git))
        diff_f = pool.submit(_part, errors, "diff", lambda: _diff(git, commit_f.result()))
        remote_f = pool.submit(_part, errors, "remote", lambda: _remote(git, branch_f.result()))
    commit, branch = commit_f.result(), branch_f.result()
    remote, url = remote_f.result() or (None, None)
    dirty, untracked, untracked_cut = status_f.result() or (None, [], False)
    diff, diff_cut = diff_f.result() or ("", False)
    return GitState(
        root=root,
        commit=commit,
        branch=branch,
        remote=remote,
        remote_url=strip_credentials(url) if url else None,
        dirty=dirty,
        diff=diff,
        diff_truncated=diff_cut,
        untracked=untracked,
        untracked_truncated=untracked_cut,
        errors=errors,
    )


def _part(errors: dict[str, str], name: str, fn: Callable[[], _T]) -> _T | None:
    try:
        return fn()
    except (GitFailed, OSError, UnicodeError, ValueError) as exc:
        errors[name] = str(exc) or type(exc).__name__
        return None


def _remote(git: _Git, branch: str | None) -> tuple[str, str] | None:
    """The remote the current branch tracks, else ``origin``, else the first one."""
    listing = git.text_or_none("config", "--get-regexp", r"^remote\..*\.url$") or ""
    urls: dict[str, str] = {}
    for line in listing.splitlines():
        key, _, url = line.partition(" ")
        urls.setdefault(key[len("remote.") : -len(".url")], url)
    if not urls:
        return None
    tracked = git.text_or_none("config", "--get", f"branch.{branch}.remote") if branch else None
    name = tracked if tracked in urls else "origin" if "origin" in urls else next(iter(urls))
    assert name is not None
    return name, urls[name]


def _status(git: _Git) -> tuple[bool, list[str], bool]:
    """(dirty, untracked files, untracked list cut) from one ``git status`` call."""
    out = git.run("status", "--porcelain=v1", "-z", "--untracked-files=all").decode(
        "utf-8", "replace"
    )
    dirty = False
    untracked: list[str] = []
    fields = iter(out.split("\0"))
    for entry in fields:
        if len(entry) < 4:
            continue
        code, name = entry[:2], entry[3:]
        if code == "??":
            untracked.append(name)
            continue
        dirty = True
        if "R" in code or "C" in code:
            next(fields, None)  # the rename's source path follows
    untracked.sort()
    cut = len(untracked) > UNTRACKED_LIMIT
    return dirty, untracked[:UNTRACKED_LIMIT], cut


def _diff(git: _Git, commit: str | None) -> tuple[str, bool]:
    """``git diff HEAD`` (against the empty tree before the first commit), capped."""
    base = commit or git.text("hash-object", "-t", "tree", os.devnull)
    data, cut = git.run_capped(
        DIFF_LIMIT_BYTES, "diff", "--no-ext-diff", "--no-textconv", "--no-color", base
    )
    text = data.decode("utf-8", "replace")
    if cut:
        text += f"\n# heron: diff truncated at {DIFF_LIMIT_BYTES} bytes\n"
    return text, cut


class _Git:
    """Runs git in one folder under a shared deadline."""

    def __init__(self, cwd: Path, deadline: float) -> None:
        self.cwd = cwd
        self.deadline = deadline
        self.env = {**os.environ, **_GIT_ENV}

    def _args(self, args: tuple[str, ...]) -> list[str]:
        return ["git", *_QUIET, "-C", str(self.cwd), *args]

    def _left(self, args: tuple[str, ...]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise GitFailed(f"git {args[0]}: out of time")
        return left

    def run(self, *args: str) -> bytes:
        try:
            done = subprocess.run(
                self._args(args),
                capture_output=True,
                env=self.env,
                stdin=subprocess.DEVNULL,
                timeout=self._left(args),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitFailed(f"git {args[0]}: timed out") from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise GitFailed(f"git {args[0]}: {message or f'exit status {done.returncode}'}")
        return done.stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode("utf-8", "replace").strip()

    def text_or_none(self, *args: str) -> str | None:
        """Output of a command that exits non-zero to say "nothing" (no HEAD, detached)."""
        try:
            return self.text(*args) or None
        except GitFailed as exc:
            if "timed out" in str(exc) or "out of time" in str(exc):
                raise
            return None

    def run_capped(self, limit: int, *args: str) -> tuple[bytes, bool]:
        """stdout of a command, at most ``limit`` bytes (killing it past that)."""
        left = self._left(args)
        with tempfile.TemporaryFile() as err:  # a file: a chatty stderr cannot block git
            proc = subprocess.Popen(
                self._args(args),
                stdout=subprocess.PIPE,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=os.name == "posix",  # so _kill reaches git's children
            )
            timer = threading.Timer(left, _kill, (proc,))
            timer.start()
            try:
                assert proc.stdout is not None
                with proc.stdout:
                    data = proc.stdout.read(limit + 1)
                    if len(data) > limit:
                        _kill(proc)
                        proc.wait()
                        return data[:limit], True
                proc.wait()
            finally:
                timer.cancel()
                if proc.returncode is None:
                    _kill(proc)
                    proc.wait()
            if proc.returncode < 0:
                raise GitFailed(f"git {args[0]}: timed out")
            if proc.returncode != 0:
                err.seek(0)
                message = err.read().decode("utf-8", "replace").strip()
                raise GitFailed(f"git {args[0]}: {message or f'exit status {proc.returncode}'}")
            return data, False


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` and, on POSIX, its process group: a child git started (a pager, a
    hook) would otherwise keep the pipe open and the read waiting."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass  # already gone
