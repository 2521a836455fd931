"""``RemoteRegistry``: the :class:`~heron.registry.base.Registry` over ``heron server``'s
``/models`` and ``/webhooks`` routes (docs/rest-api.md, "Model registry").

The server decides who acts (its token -> actor mapping); the ``actor`` arguments of
the protocol are not sent. Errors come back as the same HeronError classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from heron.registry.base import (
    Actor,
    ArtifactSource,
    Delivery,
    HistoryEntry,
    ModelVersion,
    RegisteredModel,
    Webhook,
)
from heron.registry.wire import (
    delivery_from_json,
    history_from_json,
    model_from_json,
    version_from_json,
    webhook_from_json,
)

if TYPE_CHECKING:
    from heron.models.client import Models
    from heron.remote.http import HttpClient
    from heron.settings import Settings


def _q(part: str) -> str:
    return quote(str(part), safe="")


class RemoteRegistry:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def __repr__(self) -> str:
        return f"RemoteRegistry({self.http.url!r})"

    def _model(self, name: str) -> str:
        return f"/models/{_q(name)}"

    # --- models -------------------------------------------------------------
    def create_model(
        self,
        name: str,
        actor: Actor,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        protected: Sequence[str] = (),
        exist_ok: bool = False,
    ) -> RegisteredModel:
        from heron.errors import Conflict

        body = {
            "name": name,
            "description": description,
            "tags": dict(tags or {}),
            "protected": list(protected),
        }
        try:
            return model_from_json(self.http.json("POST", "/models", json=body))
        except Conflict:
            if not exist_ok:
                raise
            return self.get_model(name)

    def update_model(
        self,
        name: str,
        actor: Actor,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        protected: Sequence[str] | None = None,
    ) -> RegisteredModel:
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if tags is not None:
            body["tags"] = dict(tags)
        if protected is not None:
            body["protected"] = list(protected)
        return model_from_json(self.http.json("PATCH", self._model(name), json=body))

    def get_model(self, name: str) -> RegisteredModel:
        return model_from_json(self.http.json("GET", self._model(name)))

    def list_models(self) -> list[RegisteredModel]:
        return [model_from_json(m) for m in self.http.json("GET", "/models")]

    # --- versions -----------------------------------------------------------
    def create_version(
        self,
        name: str,
        source: ArtifactSource,
        actor: Actor,
        *,
        run_id: str | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        body: dict[str, Any] = {
            "run_id": run_id,
            "artifact_id": source.version_id,
            "files": [{"path": f.path, "digest": f.digest, "size": f.size} for f in source.files],
            "artifact_name": source.name,
            "single_file": bool(source.metadata.get("single_file")),
            "description": description,
            "tags": dict(tags or {}),
        }
        data = self.http.json("POST", f"{self._model(name)}/versions", json=body)
        return version_from_json(data)

    def get_version(self, name: str, version: int) -> ModelVersion:
        return version_from_json(self.http.json("GET", f"{self._model(name)}/versions/{version}"))

    def versions(self, name: str) -> list[ModelVersion]:
        found = self.http.json("GET", f"{self._model(name)}/versions")
        return [version_from_json(v) for v in found]

    def resolve(self, name: str, ref: str) -> ModelVersion:
        data = self.http.json("GET", f"{self._model(name)}/resolve", params={"ref": ref})
        return version_from_json(data)

    # --- changes ------------------------------------------------------------
    def transition(
        self,
        name: str,
        version: int,
        stage: str,
        actor: Actor,
        *,
        reason: str | None = None,
        archive_existing: bool = True,
    ) -> ModelVersion:
        body = {
            "version": version,
            "stage": stage,
            "reason": reason,
            "archive_existing": archive_existing,
        }
        return version_from_json(
            self.http.json("POST", f"{self._model(name)}/transitions", json=body)
        )

    def set_alias(
        self, name: str, version: int, alias: str, actor: Actor, *, reason: str | None = None
    ) -> ModelVersion:
        body = {"version": version, "alias": alias, "reason": reason}
        return version_from_json(self.http.json("POST", f"{self._model(name)}/aliases", json=body))

    def remove_alias(
        self, name: str, alias: str, actor: Actor, *, reason: str | None = None
    ) -> None:
        params = {} if reason is None else {"reason": reason}
        self.http.request("DELETE", f"{self._model(name)}/aliases/{_q(alias)}", params=params)

    def rollback(
        self,
        name: str,
        actor: Actor,
        *,
        stage: str | None = None,
        alias: str | None = None,
        reason: str | None = None,
    ) -> ModelVersion | None:
        body = {"stage": stage, "alias": alias, "reason": reason}
        data = self.http.json("POST", f"{self._model(name)}/rollback", json=body)
        return None if data.get("version") is None else version_from_json(data["version"])

    def history(self, name: str) -> list[HistoryEntry]:
        return [history_from_json(h) for h in self.http.json("GET", f"{self._model(name)}/history")]

    # --- webhooks -----------------------------------------------------------
    def add_webhook(
        self,
        url: str,
        events: Sequence[str],
        secret: str,
        actor: Actor,
        *,
        model: str | None = None,
    ) -> Webhook:
        body = {"url": url, "events": list(events), "secret": secret, "model": model}
        return webhook_from_json(self.http.json("POST", "/webhooks", json=body))

    def webhooks(self, model: str | None = None) -> list[Webhook]:
        params = {} if model is None else {"model": model}
        return [webhook_from_json(w) for w in self.http.json("GET", "/webhooks", params=params)]

    def remove_webhook(self, webhook_id: int, actor: Actor) -> None:
        self.http.request("DELETE", f"/webhooks/{int(webhook_id)}")

    def deliveries(self, webhook_id: int, limit: int = 100) -> list[Delivery]:
        found = self.http.json(
            "GET", f"/webhooks/{int(webhook_id)}/deliveries", params={"limit": limit}
        )
        return [delivery_from_json(d) for d in found]


def open_remote(settings: Settings, *, actor: Actor | None = None) -> Models:
    """``Models`` against the server at ``settings.url``; downloads cache locally under
    ``settings.dir``/cache."""
    from heron.local_dir import LocalDir
    from heron.models.client import Models
    from heron.remote.artifacts import RemoteArtifactStore
    from heron.remote.http import HttpClient
    from heron.remote.store import RemoteStore

    assert settings.url is not None
    http = HttpClient(settings.url)
    return Models(
        RemoteRegistry(http),
        RemoteStore(settings.url, http),
        RemoteArtifactStore(settings.url, http),
        LocalDir.at(settings.dir).cache,
        actor=actor,
        on_close=[http.close],
    )
