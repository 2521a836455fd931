"""What a registry change asks for, declared once.

Each request is a frozen dataclass that every layer passes along unchanged: ``Models``
and the CLI build it, the :class:`~heron.registry.base.Registry` implementations take
it (``SqlRegistry`` applies it, ``RemoteRegistry`` sends it as JSON), and the server's
routes take it as their request body, so the OpenAPI document describes it too. Adding
a field is one edit here plus the rule that uses it.

The model's name is not part of a request: it is the resource the change is made to
(``/models/{name}/...``). Who makes the change (the actor) is not either: locally the
caller says, on a server the server decides.

Nothing is validated on construction: the registry checks every field (InvalidInput),
so a request from Python and one from JSON fail alike. The server's JSON decoding only
adds type checks and refuses unknown fields (``__pydantic_config__``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from heron.store.base import FileEntry

# A tag's value: kept as text (numbers and booleans are written out: 10 -> "10").
TagValue = str | int | float | bool

# Read by pydantic when a route decodes a request body: unknown fields are an error.
_STRICT: dict[str, Any] = {"extra": "forbid"}


@dataclass(frozen=True)
class NewModel:
    """Create a registered model (``protected`` takes an admin)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    name: str
    description: str = ""
    tags: Mapping[str, TagValue] = field(default_factory=dict)
    protected: Sequence[str] = ()  # stages and aliases only an admin may move


@dataclass(frozen=True)
class ModelUpdate:
    """Change what is given (None: leave it); ``protected`` takes an admin."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    description: str | None = None
    tags: Mapping[str, TagValue] | None = None
    protected: Sequence[str] | None = None


@dataclass(frozen=True)
class VersionUpdate:
    """Change a version's description or tags (None: leave it)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    description: str | None = None
    tags: Mapping[str, TagValue] | None = None


@dataclass(frozen=True)
class NewVersion:
    """A new model version: exactly one of ``artifact_id`` (an artifact version the run
    logged or used) and ``files`` (blobs already in the artifact store, by digest,
    logged as a new artifact version ``artifact_name`` of the run, type ``model``).

    ``run_id``: the source run; required with ``files``, with ``artifact_id`` it
    defaults to the run that logged the artifact. ``single_file``: the files are one
    file registered as such, so a download returns the file rather than its folder
    (the new artifact version's ``single_file``).
    ``metadata``: the new artifact version's metadata (with ``files``).
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    run_id: str | None = None
    artifact_id: int | None = None
    files: Sequence[FileEntry] = ()
    artifact_name: str | None = None  # default: the model's name
    single_file: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    tags: Mapping[str, TagValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """Move ``version`` to ``stage`` (any case). Moving into production archives every
    other production version unless ``archive_existing`` is False."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    version: int
    stage: str
    reason: str | None = None
    archive_existing: bool = True


@dataclass(frozen=True)
class AliasMove:
    """Point ``alias`` at ``version`` (moving it from wherever it was)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    version: int
    alias: str
    reason: str | None = None


@dataclass(frozen=True)
class Rollback:
    """Give exactly one of ``stage`` and ``alias`` its previous holder back."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    stage: str | None = None
    alias: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class NewWebhook:
    """Call ``url`` on ``events`` of ``model`` (None: of every model). Takes an admin."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT

    url: str
    events: Sequence[str]
    secret: str = field(repr=False)  # 16-256 characters; never shown, never returned
    model: str | None = None
