"""``RemoteRegistry``: the :class:`~heron.registry.base.Registry` over ``heron server``'s
``/models`` and ``/webhooks`` routes (docs/rest-api.md, "Model registry").

Requests (:mod:`heron.registry.requests`) are sent as they are: the routes take the
same dataclasses as their bodies. The server decides who acts (its token -> actor
mapping); the ``actor`` arguments of the protocol are not sent. Errors come back as
the same HeronError classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from heron.errors import Conflict
from heron.registry import requests
from heron.registry.base import (
    Actor,
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
    request_to_json,
    version_from_json,
    webhook_from_json,
)

if TYPE_CHECKING:
    from heron.remote.http import HttpClient


def _q(part: str) -> str:
    return quote(str(part), safe="")


class RemoteRegistry:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def __repr__(self) -> str:
        return f"RemoteRegistry({self.http.url!r})"

    def _model(self, name: str) -> str:
        return f"/models/{_q(name)}"

    def _send(self, method: str, path: str, request: object) -> Any:
        return self.http.json(method, path, json=request_to_json(request))

    # --- models -------------------------------------------------------------
    def create_model(
        self, request: requests.NewModel, actor: Actor, *, exist_ok: bool = False
    ) -> RegisteredModel:
        try:
            return model_from_json(self._send("POST", "/models", request))
        except Conflict:
            if not exist_ok:
                raise
            return self.get_model(request.name)

    def update_model(
        self, name: str, request: requests.ModelUpdate, actor: Actor
    ) -> RegisteredModel:
        return model_from_json(self._send("PATCH", self._model(name), request))

    def get_model(self, name: str) -> RegisteredModel:
        return model_from_json(self.http.json("GET", self._model(name)))

    def list_models(self) -> list[RegisteredModel]:
        return [model_from_json(m) for m in self.http.json("GET", "/models")]

    # --- versions -----------------------------------------------------------
    def create_version(self, name: str, request: requests.NewVersion, actor: Actor) -> ModelVersion:
        return version_from_json(self._send("POST", f"{self._model(name)}/versions", request))

    def get_version(self, name: str, version: int) -> ModelVersion:
        path = f"{self._model(name)}/versions/{_q(str(version))}"
        return version_from_json(self.http.json("GET", path))

    def versions(self, name: str) -> list[ModelVersion]:
        found = self.http.json("GET", f"{self._model(name)}/versions")
        return [version_from_json(v) for v in found]

    def resolve(self, name: str, ref: str) -> ModelVersion:
        data = self.http.json("GET", f"{self._model(name)}/resolve", params={"ref": ref})
        return version_from_json(data)

    # --- changes ------------------------------------------------------------
    def transition(self, name: str, request: requests.Transition, actor: Actor) -> ModelVersion:
        return version_from_json(self._send("POST", f"{self._model(name)}/transitions", request))

    def set_alias(self, name: str, request: requests.AliasMove, actor: Actor) -> ModelVersion:
        return version_from_json(self._send("POST", f"{self._model(name)}/aliases", request))

    def remove_alias(
        self, name: str, alias: str, actor: Actor, *, reason: str | None = None
    ) -> None:
        params = {} if reason is None else {"reason": reason}
        self.http.request("DELETE", f"{self._model(name)}/aliases/{_q(alias)}", params=params)

    def rollback(self, name: str, request: requests.Rollback, actor: Actor) -> ModelVersion | None:
        data = self._send("POST", f"{self._model(name)}/rollback", request)
        return None if data.get("version") is None else version_from_json(data["version"])

    def history(self, name: str) -> list[HistoryEntry]:
        return [history_from_json(h) for h in self.http.json("GET", f"{self._model(name)}/history")]

    # --- webhooks -----------------------------------------------------------
    def add_webhook(self, request: requests.NewWebhook, actor: Actor) -> Webhook:
        return webhook_from_json(self._send("POST", "/webhooks", request))

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
