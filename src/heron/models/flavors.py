"""Which flavour a model is, how to write its folder, and how to load a downloaded path.

Saving: a ``torch.nn.Module`` (state dict, optional TorchScript), a scikit-learn
estimator (skops). Loading a path: a folder with ``MLmodel.json`` by its flavour;
otherwise by file type: ``.skops`` (type-checked), ``.pt``/``.pth``/``.ckpt``
(``weights_only``; TorchScript only with ``allow_torchscript``, a full pickle only
with ``allow_pickle``), ``.pkl``/``.pickle``/``.joblib`` (only with ``allow_pickle``);
anything else is a plain file and its path comes back. What each opt-in allows:
:mod:`heron.models.safety`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heron.errors import InvalidInput
from heron.models import manifest, sklearn_flavor, torch_flavor
from heron.models.safety import PICKLE_SUFFIXES, refuse_pickle

TORCH_SUFFIXES = frozenset({".pt", ".pth", ".ckpt"})


def detect(model: object) -> str:
    if torch_flavor.is_module(model):
        return "pytorch"
    if sklearn_flavor.is_estimator(model):
        return "sklearn"
    raise InvalidInput(
        f"cannot log a {type(model).__module__}.{type(model).__name__}: heron.models.log "
        "knows torch.nn.Module and scikit-learn estimators; for anything else save it "
        "to files and use heron.models.register(run, path, name=...)"
    )


def save(
    model: Any, folder: Path, *, input_example: Any = None, torchscript: bool = False
) -> dict[str, Any]:
    """Write ``model`` and its manifest into ``folder``; return the manifest."""
    flavor = detect(model)
    if flavor == "pytorch":
        files, signature = torch_flavor.save(model, folder, input_example, torchscript)
        needs = manifest.requirements("torch", "numpy")
    else:
        if torchscript:
            raise InvalidInput("torchscript=True applies to PyTorch models only")
        files, signature = sklearn_flavor.save(model, folder, input_example)
        needs = manifest.requirements("scikit-learn", "skops", "numpy", "scipy")
    cls = type(model)
    return manifest.write(
        folder,
        flavor,
        files,
        signature=signature,
        requirements=needs,
        **{"class": f"{cls.__module__}.{cls.__qualname__}"},
    )


def load(
    path: Path,
    *,
    allow_pickle: bool = False,
    allow_torchscript: bool = False,
    trusted: Sequence[str] = (),
    model: Any = None,
    map_location: Any = "cpu",
) -> Any:
    """The loaded model at ``path`` (a downloaded artifact), or the path itself.
    Nothing that can run code loads without its opt-in (UnsafeModel names it)."""
    found = manifest.read(path)
    if found is not None:
        flavor = found["flavor"]
        if flavor == "pytorch":
            return torch_flavor.load(
                path,
                found,
                model=model,
                map_location=map_location,
                allow_torchscript=allow_torchscript,
                allow_pickle=allow_pickle,
            )
        if flavor == "sklearn":
            skops_file = manifest.file_in(path, found, "skops")
            if skops_file is None:
                raise InvalidInput(f"the sklearn model in {path} names no skops file")
            return sklearn_flavor.load_file(skops_file, trusted=trusted)
        return path
    if path.is_dir():
        return path
    suffix = path.suffix.lower()
    if suffix == ".skops":
        return sklearn_flavor.load_file(path, trusted=trusted)
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise refuse_pickle(path, "a pickle")
        return sklearn_flavor.load_pickle(path)
    if suffix in TORCH_SUFFIXES:
        return torch_flavor.load_file(
            path,
            allow_pickle=allow_pickle,
            allow_torchscript=allow_torchscript,
            map_location=map_location,
        )
    return path
