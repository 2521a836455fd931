"""PyTorch models: saved as a state dict (plus TorchScript on request). Loaded as plain
tensors (``torch.load(weights_only=True)``) by default; TorchScript (``torch.jit.load``,
which runs the archive's code) only with ``allow_torchscript=True``, a full pickle only
with ``allow_pickle=True`` (:mod:`heron.models.safety`)."""

from __future__ import annotations

import pickle
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from heron.errors import InvalidInput
from heron.models.safety import UnsafeModel, refuse_pickle, refuse_torchscript

STATE_DICT = "model.pt"
TORCHSCRIPT = "model.torchscript.pt"


@contextmanager
def _jit() -> Iterator[None]:
    """TorchScript is deprecated upstream (torch 2.13 warns on every call) but it is
    still the pickle-free way to ship a module with its code, which this flavour
    promises; the warning is for torch's users, not ours."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.jit.*")
        yield


def is_module(obj: object) -> bool:
    try:
        import torch
    except ImportError:
        return False
    return isinstance(obj, torch.nn.Module)


def save(
    model: Any, folder: Path, input_example: Any = None, torchscript: bool = False
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Write the model's files into ``folder``: (files by role, signature or None)."""
    import torch

    files = {"state_dict": STATE_DICT}
    torch.save(model.state_dict(), folder / STATE_DICT)
    if torchscript:
        with _jit():
            torch.jit.save(_script(model, input_example), str(folder / TORCHSCRIPT))
        files["torchscript"] = TORCHSCRIPT
    return files, signature(model, input_example)


def _script(model: Any, input_example: Any) -> Any:
    """The module compiled in eval mode (what serving wants: no dropout, BatchNorm on
    its running statistics); traced from ``input_example`` when scripting fails."""
    import torch

    was_training = model.training
    model.eval()
    try:
        try:
            with _jit():
                return torch.jit.script(model)
        except Exception as scripting:  # torch raises many kinds here
            if input_example is None:
                raise InvalidInput(
                    f"cannot script {type(model).__name__} for TorchScript ({scripting}); "
                    "pass input_example= to trace it instead, or torchscript=False"
                ) from None
        with _jit():
            return torch.jit.trace(model, _as_tuple(input_example))  # type: ignore[no-untyped-call]
    finally:
        model.train(was_training)


def signature(model: Any, input_example: Any) -> dict[str, Any] | None:
    """Shapes and dtypes of the example and of what the model returns for it (batch
    dimension written as -1); None without an example."""
    if input_example is None:
        return None
    import torch

    was_training = model.training
    model.eval()  # no BatchNorm statistics updated, no dropout, by looking
    try:
        with torch.no_grad():
            output = model(*_as_tuple(input_example))
    finally:
        model.train(was_training)
    return {"inputs": _describe(input_example), "outputs": _describe(output)}


def _as_tuple(example: Any) -> tuple[Any, ...]:
    return tuple(example) if isinstance(example, list | tuple) else (example,)


def _describe(value: Any) -> list[dict[str, Any]]:
    import torch

    items = value if isinstance(value, list | tuple) else [value]
    out = []
    for item in items:
        if isinstance(item, torch.Tensor):
            shape = [-1, *item.shape[1:]] if item.dim() else []
            out.append(
                {"type": "tensor", "dtype": str(item.dtype).removeprefix("torch."), "shape": shape}
            )
        else:
            out.append({"type": type(item).__name__})
    return out


def load(
    folder: Path,
    manifest: dict[str, Any],
    *,
    model: Any = None,
    map_location: Any = "cpu",
    allow_torchscript: bool = False,
    allow_pickle: bool = False,
) -> Any:
    """``model`` given: the state dict loaded into it. Else the TorchScript module if
    one was saved (only with ``allow_torchscript``), else the state dict (a dict of
    tensors)."""
    from heron.models.manifest import file_in

    scripted = file_in(folder, manifest, "torchscript")
    weights = file_in(folder, manifest, "state_dict")
    if model is None and scripted is not None:
        if not allow_torchscript:
            raise refuse_torchscript(scripted, weights=weights is not None)
        return _jit_load(scripted, map_location)
    if weights is None:
        raise InvalidInput(f"the model in {folder} has no state dict to load into {model!r}")
    state = _tensors(weights, map_location, allow_pickle=allow_pickle)
    if model is None:
        return state
    model.load_state_dict(state)
    return model


def load_file(
    path: Path,
    *,
    allow_pickle: bool = False,
    allow_torchscript: bool = False,
    map_location: Any = "cpu",
) -> Any:
    """A ``.pt`` file without a manifest: a state dict; TorchScript only with
    ``allow_torchscript``; a full pickle only with ``allow_pickle``."""
    if is_torchscript(path):
        if not allow_torchscript:
            raise refuse_torchscript(path)
        return _jit_load(path, map_location)
    return _tensors(path, map_location, allow_pickle=allow_pickle)


def _jit_load(path: Path, map_location: Any) -> Any:
    """Only ever called after the caller opted in with ``allow_torchscript=True``."""
    import torch

    with _jit():
        return torch.jit.load(str(path), map_location=map_location)  # type: ignore[no-untyped-call]


def _tensors(path: Path, map_location: Any, *, allow_pickle: bool) -> Any:
    """``torch.load(weights_only=True)``; a full pickle only with ``allow_pickle``.
    Never TorchScript: torch would hand that to ``torch.jit.load``."""
    import torch

    if is_torchscript(path):
        raise refuse_torchscript(path)
    try:
        return _weights_only(path, map_location)
    except UnsafeModel:
        if not allow_pickle:
            raise
    return torch.load(path, map_location=map_location, weights_only=False)


def _weights_only(path: Path, map_location: Any) -> Any:
    import torch

    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        raise refuse_pickle(path, "a full PyTorch pickle (not just tensors)") from None
    except RuntimeError as exc:
        if "TorchScript" in str(exc):  # torch's own check, wider than is_torchscript
            raise refuse_torchscript(path) from None
        raise


def is_torchscript(path: Path) -> bool:
    """Whether torch would treat ``path`` as a TorchScript archive: a zip with a
    ``constants.pkl`` record (torch's own test), or compiled ``code/``."""
    try:
        if not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    records = {n.partition("/")[2] for n in names}
    return "constants.pkl" in records or any(r.startswith("code/") for r in records)
