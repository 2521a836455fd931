"""``MLmodel.json``: the small manifest inside a logged model's artifact.

    {"format": "heron-model/1", "flavor": "pytorch" | "sklearn" | "files",
     "files": {"state_dict": "model.pt", "torchscript": "model.torchscript.pt",
               "skops": "model.skops"},             which files hold what
     "class": "torchvision.models.resnet.ResNet",    the logged object's class
     "signature": {"inputs": {...}, "outputs": {...}} | null,
     "requirements": {"python": "3.12.1", "torch": "2.13.0", "numpy": "2.1.0", ...},
     "created_at": 1.7e9}

It is data, never code: reading it cannot run anything.
"""

from __future__ import annotations

import json
import platform
import time
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from heron.errors import InvalidInput
from heron.keys import check_artifact_path

MANIFEST = "MLmodel.json"
FORMAT = "heron-model/1"
FLAVORS = ("pytorch", "sklearn", "files")
_MAX_MANIFEST_BYTES = 1 << 20


def requirements(*distributions: str) -> dict[str, str]:
    """Installed versions of ``distributions`` (those found) and of Python."""
    out = {"python": platform.python_version()}
    for name in distributions:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return out


def write(folder: Path, flavor: str, files: dict[str, str], **extra: Any) -> dict[str, Any]:
    manifest = {
        "format": FORMAT,
        "flavor": flavor,
        "files": files,
        "created_at": time.time(),
        **extra,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read(folder: Path) -> dict[str, Any] | None:
    """The manifest of a model folder, None when it has none; InvalidInput if malformed."""
    path = folder / MANIFEST
    if not folder.is_dir() or not path.is_file():
        return None
    if path.stat().st_size > _MAX_MANIFEST_BYTES:
        raise InvalidInput(f"{path} is larger than a model manifest can be")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("flavor") not in FLAVORS:
        raise InvalidInput(f"{path} names no known flavor ({', '.join(FLAVORS)})")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise InvalidInput(f"{path}: 'files' must map roles to file names")
    for name in files.values():
        check_artifact_path(name)  # a manifest must not point outside its folder
    return manifest


def file_in(folder: Path, manifest: dict[str, Any], role: str) -> Path | None:
    """The file holding ``role`` (``state_dict``, ``torchscript``, ``skops``...), if any."""
    name = manifest["files"].get(role)
    return None if name is None else folder / check_artifact_path(name)
