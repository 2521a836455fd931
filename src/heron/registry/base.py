"""The Registry contract: registered models, their versions, stages, aliases, history.

Identity
    A *registered model* is identified by its name (``heron.keys.check_name``), unique
    across the store (models are not per project). A *model version* by (model,
    number); numbers count 1, 2, 3, ... per model and are never reused. A version
    points at one artifact version (by id) and keeps the manifest digest that artifact
    had when it was registered, so a load can prove it got those bytes.

Stages and aliases
    Every version is in exactly one stage: ``none`` (new), ``staging``,
    ``production`` or ``archived``; any stage may move to any other. Moving a version
    into ``production`` archives every other production version unless
    ``archive_existing=False``. An alias (a free-form name such as ``champion``)
    points at one version of its model at a time; setting it moves it.

History
    Every stage change and alias move appends one :class:`HistoryEntry`, in the
    same transaction as the change. Entries are never updated or deleted; their
    ``id`` orders them.

Rollback
    The holders of a stage (or an alias) form a stack, replayed from the history:
    each forward move *into* the stage pushes its version, each rollback pops one.
    ``rollback`` pops the current holder, moves it to ``archived`` (a stage) and puts
    back the holder below it, all recorded with ``rollback_of`` = the history entry
    undone. Rolling back again goes one further back; with fewer than two holders on
    the stack there is nothing to roll back to (Conflict).

Actors and protection
    Every mutating call names an :class:`Actor`. A model's ``protected`` list names
    stages and aliases that only an admin may move a version into or out of (and set,
    move or remove). Changing the list itself, and adding or removing webhooks, also
    takes an admin. Locally the SDK and CLI act as the OS user, with admin rights;
    the server maps API tokens to actors.

Concurrency
    Changes to one model are serialised (a row lock on PostgreSQL, the write lock on
    SQLite): two concurrent promotions to production both apply, one after the
    other, and exactly one version ends up in production, the history telling the
    same story.

Errors
    ``NotFound`` (model, version, alias, webhook), ``InvalidInput`` (a bad name,
    stage or URL), ``Conflict`` (a model that exists, nothing to roll back to),
    ``Forbidden`` (a protected stage or alias moved by a non-admin).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from heron.registry import requests

Stage = Literal["none", "staging", "production", "archived"]
STAGES: tuple[Stage, ...] = ("none", "staging", "production", "archived")
# Stages a rollback can restore: "none" and "archived" have no meaningful holder.
ROLLBACK_STAGES: tuple[Stage, ...] = ("staging", "production")

DeliveryStatus = Literal["delivered", "retrying", "failed", "refused"]
EventName = Literal["version-created", "stage-changed", "alias-changed"]
EVENTS: tuple[EventName, ...] = ("version-created", "stage-changed", "alias-changed")


@dataclass(frozen=True)
class Actor:
    """Who makes a change: recorded in the history, checked against protections."""

    name: str
    is_admin: bool = False

    @classmethod
    def local(cls) -> Actor:
        """The OS user, as an admin: a local store belongs to whoever can open it."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            name = "local"
        return cls(name, True)


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str
    tags: dict[str, str]
    protected: tuple[str, ...]  # stages and aliases only an admin may move
    created_by: str
    created_at: float
    updated_at: float
    latest_version: int | None  # None: no version yet
    stages: dict[str, tuple[int, ...]]  # stage -> versions in it (none left out)
    aliases: dict[str, int]  # alias -> version


@dataclass(frozen=True)
class ModelVersion:
    model: str
    version: int
    stage: Stage
    aliases: tuple[str, ...]
    description: str
    tags: dict[str, str]
    run_id: str | None  # the run that produced it
    artifact_id: int  # the ArtifactVersion it points at
    artifact_digest: str  # that version's manifest digest when registered
    created_by: str
    created_at: float
    updated_at: float

    @property
    def uri(self) -> str:
        return f"models:/{self.model}/{self.version}"


@dataclass(frozen=True)
class HistoryEntry:
    """One stage change or alias move. Stage entries: ``from_value``/``to_value`` are
    stages and ``name`` is None. Alias entries: ``name`` is the alias and the values
    are version numbers as text (None: the alias did not exist / was removed)."""

    id: int
    model: str
    version: int | None
    kind: Literal["stage", "alias"]
    name: str | None
    from_value: str | None
    to_value: str | None
    actor: str
    actor_admin: bool
    reason: str | None
    time: float
    rollback_of: int | None = None  # set on the entries a rollback wrote


@dataclass(frozen=True)
class ModelEvent:
    """What webhooks are told, after the change committed."""

    event: EventName
    model: str
    version: int | None
    time: float
    actor: str
    history: HistoryEntry | None = None  # stage-changed and alias-changed

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "event": self.event,
            "model": self.model,
            "version": self.version,
            "time": self.time,
            "actor": self.actor,
        }
        h = self.history
        if h is not None:
            out.update(
                kind=h.kind,
                name=h.name,
                from_value=h.from_value,
                to_value=h.to_value,
                reason=h.reason,
                history_id=h.id,
                rollback_of=h.rollback_of,
            )
        return out


@dataclass(frozen=True)
class Webhook:
    id: int
    model: str | None  # None: every model
    url: str
    events: tuple[EventName, ...]
    created_by: str
    created_at: float


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook with its secret: only the dispatcher sees this."""

    hook: Webhook
    secret: str


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt (every attempt is kept). The dispatcher hands the log a new
    one with ``id`` 0: the log numbers it."""

    id: int
    webhook_id: int
    delivery: str  # the event delivery's id, shared by its attempts
    event: str
    attempt: int
    status: DeliveryStatus
    response_code: int | None
    error: str | None
    time: float


@runtime_checkable
class Registry(Protocol):
    """The model registry, local (SQL) or remote (REST). See the module doc.

    Changes take a request (:mod:`heron.registry.requests`) and the actor making them;
    a remote registry sends the request and the server decides who acts.
    """

    # --- models -------------------------------------------------------------
    def create_model(
        self, request: requests.NewModel, actor: Actor, *, exist_ok: bool = False
    ) -> RegisteredModel:
        """Conflict when it exists, unless ``exist_ok`` (then it is returned unchanged)."""
        ...

    def update_model(
        self, name: str, request: requests.ModelUpdate, actor: Actor
    ) -> RegisteredModel:
        """Change what the request gives; ``protected`` takes an admin."""
        ...

    def get_model(self, name: str) -> RegisteredModel: ...

    def list_models(self) -> list[RegisteredModel]:
        """Every model, by name."""
        ...

    # --- versions -----------------------------------------------------------
    def create_version(self, name: str, request: requests.NewVersion, actor: Actor) -> ModelVersion:
        """A new version (the model is created on first use); see :class:`NewVersion`.
        Files must already be in the artifact store the registry checks against."""
        ...

    def get_version(self, name: str, version: int) -> ModelVersion: ...

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of the model, newest first."""
        ...

    def resolve(self, name: str, ref: str) -> ModelVersion:
        """``ref``: a version number, a stage (any case: the highest version in it), or
        an alias; ``latest`` is the newest version unless an alias has that name."""
        ...

    # --- changes ------------------------------------------------------------
    def transition(self, name: str, request: requests.Transition, actor: Actor) -> ModelVersion:
        """Move a version to a stage (a no-op when it is there already)."""
        ...

    def set_alias(self, name: str, request: requests.AliasMove, actor: Actor) -> ModelVersion:
        """Point an alias at a version (a no-op when it does already)."""
        ...

    def remove_alias(
        self, name: str, alias: str, actor: Actor, *, reason: str | None = None
    ) -> None: ...

    def rollback(self, name: str, request: requests.Rollback, actor: Actor) -> ModelVersion | None:
        """Give exactly one of a stage and an alias its previous holder back; return
        it (None when an alias is rolled back to not existing)."""
        ...

    def history(self, name: str) -> list[HistoryEntry]:
        """Every stage change and alias move of the model, oldest first."""
        ...

    # --- webhooks -----------------------------------------------------------
    def add_webhook(self, request: requests.NewWebhook, actor: Actor) -> Webhook:
        """InvalidInput for a URL the egress policy refuses (heron.registry.egress)."""
        ...

    def webhooks(self, model: str | None = None) -> list[Webhook]:
        """Every webhook (``model``: those that fire for it)."""
        ...

    def remove_webhook(self, webhook_id: int, actor: Actor) -> None: ...

    def deliveries(self, webhook_id: int, limit: int = 100) -> list[Delivery]:
        """The newest attempts first."""
        ...


@runtime_checkable
class DeliversWebhooks(Protocol):
    """A registry whose webhook calls leave from this process (the SQL registry with
    its dispatcher). A remote registry's go out from the server."""

    def wait_for_webhooks(self, timeout: float | None = None) -> bool:
        """Block until every delivery started so far is done; False on timeout."""
        ...


@runtime_checkable
class RegistryEdits(Protocol):
    """Edits made beside the database (the SQL registry; a server serves them to
    MLflow's client): a version's description and tags, deleting a version or a model,
    renaming a model. Protections hold: deleting a version in a protected stage or
    holding a protected alias (or a model with one) takes an admin."""

    def update_version(
        self, name: str, version: int, request: requests.VersionUpdate, actor: Actor
    ) -> ModelVersion: ...

    def delete_version(self, name: str, version: int, actor: Actor) -> None:
        """Its aliases go too (their history says so); NotFound when there is none."""
        ...

    def rename_model(self, name: str, new_name: str, actor: Actor) -> RegisteredModel:
        """Conflict when ``new_name`` is taken; the versions, aliases, history and
        webhooks follow."""
        ...

    def delete_model(self, name: str, actor: Actor) -> None:
        """The model with its versions, aliases, webhooks and history."""
        ...
