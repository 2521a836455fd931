"""``heron.models``: the model registry.

    mv = heron.models.register(run, "model.pt", name="cifar10-resnet")
    heron.models.transition("cifar10-resnet", mv.version, "production", reason="+1.2%")
    model = heron.models.load("models:/cifar10-resnet@champion")   # or /Production, /7

Every function works on the store at ``dir`` (a folder, a server's address or a
database URL), else where every Heron entry point looks (:func:`heron.connect.connect`):
``HERON_URL``, then ``HERON_DIR``, then ./heron-runs; given a live run, on the store
that run logs to. Changes are made as the local OS user, with admin rights (a server
maps API tokens to actors). For many calls or another actor, open a :class:`Models`
yourself.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from heron.connect import locate
from heron.errors import NotFound
from heron.models import webhooks
from heron.models.client import Models, RunLike
from heron.models.safety import UnsafeModel
from heron.registry.base import (
    STAGES,
    Actor,
    HistoryEntry,
    ModelVersion,
    RegisteredModel,
)
from heron.settings import Settings
from heron.store.base import ArtifactVersion

__all__ = [
    "STAGES",
    "Actor",
    "HistoryEntry",
    "ModelVersion",
    "Models",
    "RegisteredModel",
    "UnsafeModel",
    "create_model",
    "download",
    "get_model",
    "get_version",
    "history",
    "list_models",
    "load",
    "log",
    "register",
    "remove_alias",
    "resolve",
    "rollback",
    "set_alias",
    "transition",
    "update_model",
    "versions",
    "webhooks",
]

_opened: dict[str, Models] = {}
_lock = threading.Lock()


def models_for(dir: str | Path | None = None, run: RunLike = None) -> Models:
    """The shared :class:`Models` of ``run``'s store, else of ``dir`` / the settings.
    Opened once per store location and closed at exit (delivering pending webhooks)."""
    target = _store_of(run) if run is not None and dir is None else dir
    settings = Settings.from_env()
    location = locate(target, settings)  # HERON_* as they are now, not at first use
    key = f"{location.kind}:{location}"
    with _lock:
        found = _opened.get(key)
        if found is None:
            found = Models.open(target, settings=settings)
            if not _opened:
                atexit.register(close_all)
            _opened[key] = found
        return found


def close_all() -> None:
    """Close every shared Models (what runs at exit)."""
    with _lock:
        opened = list(_opened.values())
        _opened.clear()
    for models in opened:
        models.close()


def _store_of(run: RunLike) -> str | None:
    """Where a live ``heron.Run`` stores its records (``Backend.location``: a folder, a
    server's or a database URL), so that what it registers lands in the same store;
    None for a run id, an ApiRun or a run that stores nothing (the settings decide)."""
    from heron.sdk.run import Run

    return run.backend.location if isinstance(run, Run) else None


def _shipped(run: RunLike) -> None:
    """A live run on the embedded store is made in the store by its shipper's first
    pass, a second after ``heron.init``: a version registered before that would name
    a run the store does not have yet. Asking the backend for it makes it now (the
    spool's ``create`` record is then a no-op). Other backends made the run at
    ``init`` (or record nothing): the read changes nothing there."""
    from heron.sdk.run import Run

    if isinstance(run, Run) and run.backend.records:
        with contextlib.suppress(NotFound):  # offline: registering says what is missing
            run.backend.get_run(run.id)


def register(
    run: RunLike,
    path_or_ref: str | Path | ArtifactVersion,
    *,
    name: str,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    dir: str | Path | None = None,
) -> ModelVersion:
    """A new version of model ``name`` from ``run``'s file, folder or artifact ref."""
    _shipped(run)
    return models_for(dir, run).register(
        run, path_or_ref, name=name, description=description, tags=tags
    )


def log(
    model: Any,
    *,
    name: str,
    register: bool = False,
    input_example: Any = None,
    torchscript: bool = False,
    run: RunLike = None,
    description: str = "",
    tags: Mapping[str, str] | None = None,
) -> ModelVersion | str:
    """Save a PyTorch module or scikit-learn estimator (with ``MLmodel.json``: flavour,
    signature from ``input_example``, requirements) as artifact ``name`` of the current
    run (or ``run``); ``register=True`` also makes it a version of model ``name``."""
    if run is None:
        from heron.sdk.init import get_run_or_raise

        run = get_run_or_raise()
    if register:
        _shipped(run)
    return models_for(None, run).log(
        run,
        model,
        name=name,
        register=register,
        input_example=input_example,
        torchscript=torchscript,
        description=description,
        tags=tags,
    )


def transition(
    name: str,
    version: int,
    stage: str,
    *,
    reason: str | None = None,
    archive_existing: bool = True,
    dir: str | Path | None = None,
) -> ModelVersion:
    """Move a version to a stage; promoting to production archives the previous one
    unless ``archive_existing=False``."""
    return models_for(dir).transition(
        name, version, stage, reason=reason, archive_existing=archive_existing
    )


def set_alias(
    name: str, version: int, alias: str, *, reason: str | None = None, dir: str | Path | None = None
) -> ModelVersion:
    """Point ``alias`` at the version (moving it from wherever it was)."""
    return models_for(dir).set_alias(name, version, alias, reason=reason)


def remove_alias(
    name: str, alias: str, *, reason: str | None = None, dir: str | Path | None = None
) -> None:
    models_for(dir).remove_alias(name, alias, reason=reason)


def rollback(
    name: str,
    *,
    stage: str | None = None,
    alias: str | None = None,
    reason: str | None = None,
    dir: str | Path | None = None,
) -> ModelVersion | None:
    """Give a stage or an alias back to its previous holder (docs/registry.md)."""
    return models_for(dir).rollback(name, stage=stage, alias=alias, reason=reason)


def create_model(
    name: str,
    *,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    protected: Sequence[str] = (),
    dir: str | Path | None = None,
) -> RegisteredModel:
    return models_for(dir).create_model(
        name, description=description, tags=tags, protected=protected
    )


def update_model(
    name: str,
    *,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    protected: Sequence[str] | None = None,
    dir: str | Path | None = None,
) -> RegisteredModel:
    """Change the description, tags or protected stages/aliases (admin) of a model."""
    return models_for(dir).update_model(
        name, description=description, tags=tags, protected=protected
    )


def get_model(name: str, *, dir: str | Path | None = None) -> RegisteredModel:
    return models_for(dir).get_model(name)


def list_models(*, dir: str | Path | None = None) -> list[RegisteredModel]:
    return models_for(dir).list_models()


def versions(name: str, *, dir: str | Path | None = None) -> list[ModelVersion]:
    """Every version of the model, newest first."""
    return models_for(dir).versions(name)


def get_version(name: str, version: int, *, dir: str | Path | None = None) -> ModelVersion:
    return models_for(dir).get_version(name, version)


def history(name: str, *, dir: str | Path | None = None) -> list[HistoryEntry]:
    """Every stage change and alias move of the model, oldest first."""
    return models_for(dir).history(name)


def resolve(uri: str, *, dir: str | Path | None = None) -> ModelVersion:
    """The version ``models:/NAME@ALIAS``, ``/STAGE`` or ``/VERSION`` names now."""
    return models_for(dir).resolve(uri)


def download(uri: str, *, dir: str | Path | None = None) -> Path:
    """The model's files in the local cache (digest-checked), fetched once."""
    return models_for(dir).download(uri)


def load(
    uri: str,
    *,
    allow_pickle: bool = False,
    allow_torchscript: bool = False,
    trusted: Sequence[str] = (),
    model: Any = None,
    map_location: Any = "cpu",
    dir: str | Path | None = None,
) -> Any:
    """Load a model by URI: PyTorch (a state dict, loaded into ``model`` if given),
    scikit-learn via skops, a plain file's path. Nothing that can run code loads by
    default: pickles (joblib, a full ``torch.save``) need ``allow_pickle=True``,
    TorchScript ``allow_torchscript=True``, skops types outside skops' defaults must be
    named in ``trusted``; otherwise :class:`UnsafeModel` says which to pass."""
    return models_for(dir).load(
        uri,
        allow_pickle=allow_pickle,
        allow_torchscript=allow_torchscript,
        trusted=trusted,
        model=model,
        map_location=map_location,
    )
