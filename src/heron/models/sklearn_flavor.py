"""scikit-learn models: saved with skops, loaded with skops' type check (unknown types
refused unless trusted by name); joblib/pickle files load only with ``allow_pickle``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heron.errors import InvalidInput
from heron.models.safety import refuse_pickle, refuse_types

SKOPS = "model.skops"


def is_estimator(obj: object) -> bool:
    try:
        from sklearn.base import BaseEstimator
    except ImportError:
        return False
    return isinstance(obj, BaseEstimator)


def _skops() -> Any:
    try:
        import skops.io
    except ImportError:
        raise InvalidInput(
            "scikit-learn models are saved and loaded with skops: pip install 'heron[sklearn]'"
        ) from None
    return skops.io


def save(
    model: Any, folder: Path, input_example: Any = None
) -> tuple[dict[str, str], dict[str, Any] | None]:
    _skops().dump(model, folder / SKOPS)
    return {"skops": SKOPS}, signature(model, input_example)


def signature(model: Any, input_example: Any) -> dict[str, Any] | None:
    if input_example is None:
        return None
    inputs = _describe(input_example)
    outputs = None
    if hasattr(model, "predict"):
        outputs = _describe(model.predict(input_example))
    return {"inputs": inputs, "outputs": outputs}


def _describe(value: Any) -> dict[str, Any]:
    import numpy as np

    columns = getattr(value, "columns", None)
    if columns is not None and hasattr(value, "dtypes"):  # a pandas DataFrame
        return {
            "type": "dataframe",
            "columns": [{"name": str(c), "dtype": str(t)} for c, t in value.dtypes.items()],
        }
    array = np.asarray(value)
    return {"type": "ndarray", "dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]}


def load_file(path: Path, *, trusted: Sequence[str] = (), allow_pickle: bool = False) -> Any:
    """A ``.skops`` file (type-checked) or, with ``allow_pickle``, a joblib/pickle file."""
    if path.suffix == ".skops":
        sio = _skops()
        untrusted = list(sio.get_untrusted_types(file=path))
        unknown = [t for t in untrusted if t not in set(trusted)]
        if unknown:
            raise refuse_types(path, unknown)
        return sio.load(path, trusted=untrusted)
    if not allow_pickle:
        raise refuse_pickle(path, "a joblib/pickle file")
    return load_pickle(path)


def load_pickle(path: Path) -> Any:
    """Only ever called after the caller opted in with ``allow_pickle=True``."""
    try:
        import joblib
    except ImportError:
        import pickle

        with open(path, "rb") as f:
            return pickle.load(f)
    return joblib.load(path)
