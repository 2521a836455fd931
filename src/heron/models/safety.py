"""What loading refuses by default: any format whose loading can run code.

A model registry that runs a file's code when it loads it hands the keys to anyone who
can register a version (or answer as the server). Heron loads only data formats by
default: safetensors-style state dicts through ``torch.load(weights_only=True)``,
skops files whose types skops trusts (or the caller names in ``trusted``), and
``MLmodel.json``. Everything that can execute code at load is refused unless the
caller opts in with an argument that names the risk:

==========================================  =====================================
format                                      opt-in
==========================================  =====================================
pickle, joblib (``.pkl``/``.pickle``/        ``allow_pickle=True``
``.joblib``), a full ``torch.save`` pickle
(``torch.load(weights_only=False)``)
TorchScript archive (``torch.jit.load``:     ``allow_torchscript=True``
its ``__setstate__`` and constants run
at load)
skops file holding types skops does not     ``trusted=["module.Type", ...]``
trust by default
==========================================  =====================================

Each refusal is an :class:`UnsafeModel` whose message says which argument to pass and
what passing it allows.
"""

from __future__ import annotations

from pathlib import Path

from heron.errors import InvalidInput

PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib"})


class UnsafeModel(InvalidInput):
    """Loading this model could run code from the file (a pickle, a TorchScript
    archive) or would trust types nobody vetted: refused unless the caller opts in."""

    title = "Unsafe model"


def refuse_pickle(path: Path, what: str) -> UnsafeModel:
    return UnsafeModel(
        f"{path.name} is {what}: loading it would unpickle, which can run any code the "
        "file's author chose. If you trust whoever registered it, pass allow_pickle=True"
    )


def refuse_torchscript(path: Path, *, weights: bool = False) -> UnsafeModel:
    instead = (
        "; or pass model=YourModule() to load only its state dict (plain tensors) into "
        "a module of your own"
        if weights
        else ""
    )
    return UnsafeModel(
        f"{path.name} is a TorchScript archive: torch.jit.load runs code the file's "
        "author compiled into it (its __setstate__ methods run while it loads). If you "
        f"trust whoever registered it, pass allow_torchscript=True{instead}"
    )


def refuse_types(path: Path, types: list[str]) -> UnsafeModel:
    shown = ", ".join(types[:10]) + (" ..." if len(types) > 10 else "")
    return UnsafeModel(
        f"{path.name} holds types skops does not trust by default: {shown}. Loading "
        "them runs their code; review them and, if they are yours, pass trusted=[...] "
        "with those names"
    )
