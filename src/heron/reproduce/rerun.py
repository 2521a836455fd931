"""Running a rebuilt run again: ``heron reproduce RUN --dir DIR --run``.

:func:`prepare` turns the run's record into a :class:`Launch`: the recorded command
line (``argv``) in the recorded working folder inside ``DIR``, with

- the interpreter of the reproduction's environment (``heron.reproduce.environment``);
- the recorded environment variables (the allow-list of
  ``heron.sdk.capture.environment``) restored, except those that describe the machine
  or a job rather than the computation (host name, virtualenv/conda prefix, the ranks
  and rendezvous of a distributed job, SLURM's job), which are listed as not restored;
  ``PYTHONHASHSEED`` as the run had it;
- arguments recorded as ``***`` (secrets are never recorded) filled in: asked for
  through ``ask`` (the CLI prompts when it has a terminal), else taken from the
  environment variable named after the flag (``--api-key`` -> ``API_KEY``) with a
  note, else reported;
- ``HERON_REPRODUCE`` pointing at a JSON file with the original's id, project, config
  and seed (:mod:`heron.sdk.reproduction`): the new run's ``heron.init`` links it to
  the original (``system.reproduction.of``) and restores that config and seed;
- the store the original was read from (``HERON_DIR`` or ``HERON_URL``), so the new
  run lands beside it.

:func:`execute` runs it (the terminal sees its output) and finds the new run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heron.reproduce.checkout import recorded_command
from heron.sdk.reproduction import ENV, Reproduction

if TYPE_CHECKING:
    from heron.api import Api, ApiRun

MASK = "***"
# Recorded variables that describe where or how the job ran, not what it computed.
NOT_RESTORED = frozenset(
    {
        "HOSTNAME",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "CONDA_DEFAULT_ENV",
        "RANK",
        "WORLD_SIZE",
        "LOCAL_RANK",
        "LOCAL_WORLD_SIZE",
        "GROUP_RANK",
        "NODE_RANK",
        "MASTER_ADDR",
        "MASTER_PORT",
    }
)
NOT_RESTORED_PREFIXES = ("SLURM_", "TORCHELASTIC_", "OMPI_COMM_")
_FLAG = re.compile(r"^--?([A-Za-z][\w-]*)(=.*)?$")

Ask = Callable[[str], "str | None"]  # flag name -> the secret, or None


@dataclass
class Launch:
    args: list[str]  # the whole command: the interpreter, then the recorded argv
    cwd: Path
    env: dict[str, str]  # set on top of this process's environment
    unset: list[str]  # removed from it (the other store location)
    reproduction: Reproduction
    file: Path  # the HERON_REPRODUCE file
    restored_env: dict[str, str] = field(default_factory=dict)
    not_restored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the command cannot run as recorded
    secrets: frozenset[str] = field(default=frozenset(), repr=False)  # filled in: not shown

    def shell(self) -> str:
        """The command as one shell line (secrets left as ``***``)."""
        import shlex

        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        unset = "".join(f"-u {k} " for k in self.unset)
        shown = [MASK if a in self.secrets else a for a in self.args]
        return f"cd {shlex.quote(str(self.cwd))} && env {unset}{env} {shlex.join(shown)}"


def _seed(system: Mapping[str, Any]) -> tuple[int | None, str | None]:
    seed = system.get("seed")
    if not isinstance(seed, dict):
        return None, None
    value, hashseed = seed.get("seed"), seed.get("pythonhashseed")
    return (
        value if isinstance(value, int) and not isinstance(value, bool) else None,
        hashseed if isinstance(hashseed, str) else None,
    )


def _env_name(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_").upper()


def _fill_secrets(args: list[str], ask: Ask | None, launch: Launch) -> set[str]:
    """Fill in the ``***`` arguments in place; the secrets filled (kept out of prints)."""
    filled: set[str] = set()
    for i, arg in enumerate(args):
        flag: str | None = None
        if arg == MASK and i > 0 and _FLAG.match(args[i - 1]):
            flag = args[i - 1].split("=", 1)[0]
        elif arg.endswith("=" + MASK) and _FLAG.match(arg):
            flag = arg.split("=", 1)[0]
        elif MASK not in arg:
            continue
        if flag is None:
            launch.problems.append(f"argument {i} was recorded as {arg!r}: fill it in")
            continue
        value = ask(flag) if ask is not None else None
        name = _env_name(flag)
        if value is None and name in os.environ:
            value = os.environ[name]
            launch.notes.append(f"{flag}: taken from the environment variable {name}")
        if value is None:
            launch.problems.append(
                f"{flag} was a secret (recorded as {MASK}): set {name} or run in a terminal "
                "to be asked"
            )
            continue
        args[i] = value if arg == MASK else f"{flag}={value}"
        filled.add(args[i])
    return filled


def store_env(api: Api) -> tuple[dict[str, str], list[str]]:
    """The variables that send the new run to the store ``api`` reads, and those to
    remove (the other kind of location)."""
    if api.remote:
        return {"HERON_URL": str(api.root)}, ["HERON_DIR"]
    if isinstance(api.root, Path):
        return {"HERON_DIR": str(api.root)}, ["HERON_URL"]
    return {"HERON_URL": str(api.root)}, ["HERON_DIR"]


def prepare(
    run: ApiRun,
    dest: Path,
    python: str,
    reproduce_file: Path,
    *,
    store: tuple[dict[str, str], list[str]],
    venv: Path | None = None,
    ask: Ask | None = None,
) -> Launch | None:
    """The launch of ``run``'s recorded command in ``dest`` (see the module doc); None
    when the run recorded no command line. Writes ``reproduce_file``."""
    system = run.system
    found = recorded_command(run.system, dest)
    if found is None:
        return None
    cwd, argv = found
    seed, hashseed = _seed(system)
    reproduction = Reproduction(
        of=run.id, name=run.name, project=run.project, config=run.config, seed=seed
    )
    reproduce_file.parent.mkdir(parents=True, exist_ok=True)
    reproduce_file.write_text(json.dumps(reproduction.to_json()), encoding="utf-8")
    env, unset = dict(store[0]), list(store[1])
    launch = Launch([python, *argv], cwd, env, unset, reproduction, reproduce_file)
    environment = system.get("environment")
    recorded = environment.get("env") if isinstance(environment, dict) else None
    for name, value in sorted((recorded if isinstance(recorded, dict) else {}).items()):
        if not isinstance(value, str):
            continue
        if name in NOT_RESTORED or name.startswith(NOT_RESTORED_PREFIXES):
            launch.not_restored.append(name)
        else:
            launch.restored_env[name] = value
    if hashseed is not None:
        launch.restored_env.setdefault("PYTHONHASHSEED", hashseed)
    env.update(launch.restored_env)
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    env[ENV] = str(reproduce_file)
    launch.secrets = frozenset(_fill_secrets(launch.args, ask, launch))
    return launch


def execute(launch: Launch, api: Api) -> tuple[int, str | None]:
    """Run the launch (its output goes to this terminal); the exit status and the id of
    the new run (None when the program started none)."""
    env = {k: v for k, v in os.environ.items() if k not in launch.unset}
    env.update(launch.env)
    linked = f'system.reproduction.of = "{launch.reproduction.of}"'
    before = {r.id for r in api.runs(filter=linked)}
    try:
        code = subprocess.run(launch.args, cwd=launch.cwd, env=env, check=False).returncode
    except OSError as exc:
        launch.problems.append(f"{launch.args[0]} cannot be started: {exc.strerror}")
        return 127, None
    new = [r.id for r in api.runs(filter=linked, order_by="-created") if r.id not in before]
    return code, (new[0] if new else None)
