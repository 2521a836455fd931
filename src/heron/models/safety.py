"""What loading refuses by default: anything that would unpickle.

Unpickling runs code chosen by whoever wrote the file, so a model registry that loads
pickles by default hands the keys to anyone who can register a version. Heron loads
pickle-free formats (TorchScript, ``torch.load(weights_only=True)``, skops with its
type check) and refuses the rest unless the caller opts in with ``allow_pickle=True``.
"""

from __future__ import annotations

from pathlib import Path

from heron.errors import InvalidInput

PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib"})


class UnsafeModel(InvalidInput):
    """Loading this model would run code from the file (a pickle) or trust unknown
    types: refused unless the caller opts in."""

    title = "Unsafe model"


def refuse_pickle(path: Path, what: str) -> UnsafeModel:
    return UnsafeModel(
        f"{path.name} is {what}: loading it would unpickle, which can run any code the "
        "file's author chose. If you trust where it came from, pass allow_pickle=True"
    )


def refuse_types(path: Path, types: list[str]) -> UnsafeModel:
    shown = ", ".join(types[:10]) + (" ..." if len(types) > 10 else "")
    return UnsafeModel(
        f"{path.name} holds types skops does not trust by default: {shown}. Review them; "
        "if they are yours, pass trusted=[...] with those names"
    )
