"""``Models``: the registry as a training script or a deploy job uses it.

One class over the handles of one :class:`~heron.connect.Connection`, each local or
remote: the :class:`~heron.registry.base.Registry` (SQL, or the server's REST routes),
the store (to look up runs and artifact versions), the artifact store (blobs) and the
local download cache. ``Models`` never asks which it has. The module functions of
:mod:`heron.models` share one per store location.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heron.artifacts.base import BlobStore
from heron.artifacts.files import cache_folder, collect, materialize_version
from heron.errors import DigestMismatch, InvalidInput, NotFound
from heron.models import flavors, manifest
from heron.registry.base import (
    Actor,
    DeliversWebhooks,
    Delivery,
    HistoryEntry,
    ModelVersion,
    RegisteredModel,
    Registry,
    Webhook,
)
from heron.registry.requests import (
    AliasMove,
    ModelUpdate,
    NewModel,
    NewVersion,
    NewWebhook,
    Rollback,
    Transition,
)
from heron.registry.uri import parse_model_uri
from heron.settings import Settings
from heron.store.base import ArtifactVersion, FileEntry

if TYPE_CHECKING:
    from heron.connect import Connection
    from heron.store.base import RunStore

RunLike = Any  # a heron.Run, an ApiRun or a run id (anything with .id, or a str)


class Models:
    """The model registry of one store. Open it with :meth:`open` (or over a
    connection you hold with :meth:`of`); close it when done."""

    def __init__(
        self,
        registry: Registry,
        store: RunStore,
        blobs: BlobStore,
        cache: Path,
        *,
        actor: Actor | None = None,
        on_close: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.registry = registry
        self.store = store
        self.blobs = blobs
        self.cache = cache
        self.actor = actor if actor is not None else Actor.local()
        self._on_close = list(on_close)

    def __repr__(self) -> str:
        return f"Models({self.registry!r}, actor={self.actor.name!r})"

    @classmethod
    def open(
        cls,
        dir: str | Path | None = None,
        *,
        settings: Settings | None = None,
        actor: Actor | None = None,
    ) -> Models:
        """The registry of the store at ``dir`` (a folder, a server's address or a
        database URL), else where :func:`heron.connect.connect` looks: HERON_URL, then
        HERON_DIR, then ./heron-runs. Closing it closes the connection."""
        from heron.connect import connect

        conn = connect(dir, settings=settings)
        try:
            return cls(
                conn.registry,
                conn.store,
                conn.blobs,
                conn.cache,
                actor=actor,
                on_close=[conn.close],
            )
        except BaseException:
            conn.close()
            raise

    @classmethod
    def of(cls, conn: Connection, *, actor: Actor | None = None) -> Models:
        """Over a connection the caller keeps (and closes: closing this does not)."""
        return cls(conn.registry, conn.store, conn.blobs, conn.cache, actor=actor)

    def close(self) -> None:
        """Deliver pending webhooks (bounded wait), then release the store."""
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()

    def __enter__(self) -> Models:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- registering --------------------------------------------------------
    def register(
        self,
        run: RunLike,
        path_or_ref: str | Path | ArtifactVersion,
        *,
        name: str,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        """A new version of model ``name`` from what ``run`` produced: a file or folder
        (logged as an artifact of the run, type ``model``), an artifact ref of the
        run's project (``ckpt-x:v3``, ``model:latest``) or an ArtifactVersion."""
        run_id = _run_id(run)
        options: dict[str, Any] = {"description": description, "tags": dict(tags or {})}
        if isinstance(path_or_ref, ArtifactVersion):
            request = NewVersion(run_id=run_id, artifact_id=path_or_ref.id, **options)
        elif not isinstance(path_or_ref, str | Path):
            raise InvalidInput(f"register takes a path or an artifact ref, got {path_or_ref!r}")
        elif isinstance(path_or_ref, Path) or Path(path_or_ref).exists():
            request = self._upload(Path(path_or_ref), name, run_id, options)
        else:
            project = self.store.get_run(run_id).project
            try:
                artifact = self.store.artifact(project, path_or_ref)
            except NotFound:
                raise NotFound(
                    f"{path_or_ref!r} is neither a file or folder here nor an artifact of "
                    f"project {project!r}"
                ) from None
            request = NewVersion(run_id=run_id, artifact_id=artifact.id, **options)
        return self.registry.create_version(name, request, self.actor)

    def _upload(self, path: Path, name: str, run_id: str, options: dict[str, Any]) -> NewVersion:
        """The blobs of ``path`` put into the artifact store, as a new-version request."""
        if not path.exists():
            raise NotFound(f"nothing to register at {path}: no such file or folder")
        files = []
        for rel, source in collect(path):
            blob = self.blobs.put_file(source)
            files.append(FileEntry(rel, blob.digest, blob.size))
        found = manifest.read(path) if path.is_dir() else None
        metadata = {} if found is None else {"flavor": found["flavor"]}
        return NewVersion(
            run_id=run_id,
            files=tuple(files),
            artifact_name=name,
            single_file=path.is_file(),
            metadata=metadata,
            **options,
        )

    def log(
        self,
        run: RunLike,
        model: Any,
        *,
        name: str,
        register: bool = False,
        input_example: Any = None,
        torchscript: bool = False,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion | str:
        """Save ``model`` with its manifest and log it as artifact ``name`` of ``run``;
        with ``register``, also make it a new version of model ``name`` (returned).
        Without, the artifact's ref is returned (``name:latest``)."""
        with tempfile.TemporaryDirectory(prefix="heron-model-") as tmp:
            folder = Path(tmp) / name
            folder.mkdir()
            flavors.save(model, folder, input_example=input_example, torchscript=torchscript)
            if register:
                return self.register(run, folder, name=name, description=description, tags=tags)
            if not hasattr(run, "log_artifact"):
                raise InvalidInput("log without register needs a live run (heron.init)")
            ref = run.log_artifact(folder, name=name, type="model")
            return str(ref)

    # --- reading ------------------------------------------------------------
    def get_model(self, name: str) -> RegisteredModel:
        return self.registry.get_model(name)

    def list_models(self) -> list[RegisteredModel]:
        return self.registry.list_models()

    def versions(self, name: str) -> list[ModelVersion]:
        return self.registry.versions(name)

    def get_version(self, name: str, version: int) -> ModelVersion:
        return self.registry.get_version(name, version)

    def history(self, name: str) -> list[HistoryEntry]:
        return self.registry.history(name)

    def resolve(self, uri: str) -> ModelVersion:
        """``models:/NAME@ALIAS``, ``models:/NAME/STAGE`` or ``models:/NAME/VERSION``."""
        parsed = parse_model_uri(uri)
        return self.registry.resolve(parsed.name, parsed.ref)

    def artifact(self, version: ModelVersion) -> ArtifactVersion:
        """The artifact a version points at, checked against the digest it had when
        it was registered."""
        artifact = self.store.artifact_by_id(version.artifact_id)
        if artifact.digest != version.artifact_digest:
            raise DigestMismatch(
                f"model {version.model} v{version.version}: artifact {artifact.ref} now has "
                f"digest {artifact.digest}, not the {version.artifact_digest} it was "
                "registered with; refusing to load it"
            )
        return artifact

    def download(self, uri_or_version: str | ModelVersion) -> Path:
        """The model's files in the local cache (fetched once, every file digest-checked);
        the file itself for a single-file model, else its folder."""
        version = (
            uri_or_version
            if isinstance(uri_or_version, ModelVersion)
            else self.resolve(uri_or_version)
        )
        artifact = self.artifact(version)
        what = f"model {version.model} v{version.version}"
        dest = cache_folder(self.cache / "models", artifact, what)
        return materialize_version(artifact, self.blobs, dest)

    def load(
        self,
        uri: str | ModelVersion,
        *,
        allow_pickle: bool = False,
        allow_torchscript: bool = False,
        trusted: Sequence[str] = (),
        model: Any = None,
        map_location: Any = "cpu",
    ) -> Any:
        """Download, then load by flavour (see :mod:`heron.models.flavors`); a plain file
        or folder comes back as its path. Nothing that can run code loads by default:
        pickles need ``allow_pickle``, TorchScript ``allow_torchscript``, skops types
        outside skops' defaults ``trusted`` (:mod:`heron.models.safety`)."""
        return flavors.load(
            self.download(uri),
            allow_pickle=allow_pickle,
            allow_torchscript=allow_torchscript,
            trusted=trusted,
            model=model,
            map_location=map_location,
        )

    # --- changes ------------------------------------------------------------
    def create_model(
        self,
        name: str,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        protected: Sequence[str] = (),
    ) -> RegisteredModel:
        """A new model (Conflict if the name is taken); ``protected`` takes an admin."""
        request = NewModel(name, description, dict(tags or {}), tuple(protected))
        return self.registry.create_model(request, self.actor)

    def update_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        protected: Sequence[str] | None = None,
    ) -> RegisteredModel:
        request = ModelUpdate(description, tags, protected)
        return self.registry.update_model(name, request, self.actor)

    def transition(
        self,
        name: str,
        version: int,
        stage: str,
        *,
        reason: str | None = None,
        archive_existing: bool = True,
    ) -> ModelVersion:
        request = Transition(version, stage, reason, archive_existing)
        return self.registry.transition(name, request, self.actor)

    def set_alias(
        self, name: str, version: int, alias: str, *, reason: str | None = None
    ) -> ModelVersion:
        return self.registry.set_alias(name, AliasMove(version, alias, reason), self.actor)

    def remove_alias(self, name: str, alias: str, *, reason: str | None = None) -> None:
        self.registry.remove_alias(name, alias, self.actor, reason=reason)

    def rollback(
        self,
        name: str,
        *,
        stage: str | None = None,
        alias: str | None = None,
        reason: str | None = None,
    ) -> ModelVersion | None:
        return self.registry.rollback(name, Rollback(stage, alias, reason), self.actor)

    # --- webhooks -----------------------------------------------------------
    def add_webhook(
        self, url: str, events: Sequence[str], secret: str, *, model: str | None = None
    ) -> Webhook:
        return self.registry.add_webhook(NewWebhook(url, events, secret, model), self.actor)

    def webhooks(self, model: str | None = None) -> list[Webhook]:
        return self.registry.webhooks(model)

    def remove_webhook(self, webhook_id: int) -> None:
        self.registry.remove_webhook(webhook_id, self.actor)

    def deliveries(self, webhook_id: int, limit: int = 100) -> list[Delivery]:
        return self.registry.deliveries(webhook_id, limit)

    def wait_for_webhooks(self, timeout: float | None = None) -> bool:
        """Block until this process has delivered (or given up on) every webhook call
        it started; True unless timed out. (Remote: the server delivers.)"""
        if isinstance(self.registry, DeliversWebhooks):
            return self.registry.wait_for_webhooks(timeout)
        return True


def _run_id(run: RunLike) -> str:
    if isinstance(run, str):
        return run
    run_id = getattr(run, "id", None)
    if not isinstance(run_id, str):
        raise InvalidInput(f"expected a run or a run id, got {run!r}")
    return run_id
