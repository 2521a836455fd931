"""A run started by ``heron reproduce --run``: what the process inherits from the run it
reproduces.

``heron reproduce RUN --run`` writes a small JSON file and starts the recorded command
with ``HERON_REPRODUCE`` set to its path (``heron.settings``). Then

- ``heron.init`` starts a run linked to the original (``system.reproduction``: ``of``,
  its id, ``of_name``, ``of_project``), in the original's project unless the script
  names one, with the original's **config** over what the script passes (the recorded
  values win, as a sweep's parameters do; the keys where the script asked for another
  value are listed in ``system.reproduction.overridden``);
- ``heron.seed_everything(seed)`` uses the original's recorded seed (and notes the
  seed the script asked for when it differs), so a script that drew its seed at
  random is reproduced too.

The file is read once per process. A file that is missing or not the expected JSON
raises :class:`~heron.errors.InvalidInput` at ``init``: a reproduction that silently
ran with other values would claim what it did not do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heron.errors import InvalidInput
from heron.nested import deep_merge, flatten

ENV = "HERON_REPRODUCE"
FORMAT = 1


@dataclass(frozen=True)
class Reproduction:
    of: str  # the original run's id
    name: str | None = None
    project: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "of": self.of,
            "name": self.name,
            "project": self.project,
            "config": self.config,
            "seed": self.seed,
        }

    def merged_config(self, asked: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The config the run starts with (the recorded values over ``asked``) and the
        dotted keys where ``asked`` said something else."""
        recorded = flatten(self.config)
        overridden = sorted(
            k for k, v in flatten(asked).items() if k in recorded and recorded[k] != v
        )
        return deep_merge(asked, self.config), overridden

    def record(self, overridden: list[str]) -> dict[str, Any]:
        """``system.reproduction`` of the new run."""
        out: dict[str, Any] = {"of": self.of, "of_name": self.name, "of_project": self.project}
        if overridden:
            out["overridden"] = overridden
        return out


def load(path: str) -> Reproduction:
    """The reproduction described by the file at ``path`` (see the module doc)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{ENV}={path}: cannot read it ({exc.strerror})") from None
    except ValueError:
        raise InvalidInput(f"{ENV}={path}: not the JSON `heron reproduce` writes") from None
    if not (
        isinstance(data, dict)
        and data.get("format") == FORMAT
        and isinstance(data.get("of"), str)
        and isinstance(data.get("config", {}), dict)
        and (data.get("seed") is None or isinstance(data.get("seed"), int))
    ):
        raise InvalidInput(f"{ENV}={path}: not the JSON `heron reproduce` writes")
    name, project = data.get("name"), data.get("project")
    return Reproduction(
        of=data["of"],
        name=name if isinstance(name, str) else None,
        project=project if isinstance(project, str) else None,
        config=data.get("config") or {},
        seed=data.get("seed"),
    )


_active: tuple[str, Reproduction] | None = None


def active(path: str | None) -> Reproduction | None:
    """The reproduction at ``path`` (None: not a reproduction), read once per process."""
    global _active
    if not path:
        return None
    if _active is None or _active[0] != path:
        _active = (path, load(path))
    return _active[1]


def recorded_seed() -> int | None:
    """The original run's seed when this process reproduces a run that recorded one.

    ``heron.seed_everything`` may be called before ``heron.init``: it reads the
    settings itself."""
    from heron.settings import Settings

    found = active(Settings.from_env().reproduce)
    return found.seed if found is not None else None
