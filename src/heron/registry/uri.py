"""``models:/`` addresses: ``models:/NAME@ALIAS``, ``models:/NAME/STAGE``,
``models:/NAME/VERSION`` (and ``models:/NAME``: the newest version)."""

from __future__ import annotations

from dataclasses import dataclass

from heron.errors import InvalidInput
from heron.keys import check_name

SCHEME = "models:/"


@dataclass(frozen=True)
class ModelUri:
    name: str
    ref: str  # what Registry.resolve takes: a version number, a stage or an alias

    def __str__(self) -> str:
        return f"{SCHEME}{self.name}/{self.ref}"


def parse_model_uri(uri: object) -> ModelUri:
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        raise InvalidInput(
            f"{uri!r} is not a model URI; use models:/NAME@ALIAS, models:/NAME/STAGE "
            "or models:/NAME/VERSION"
        )
    rest = uri[len(SCHEME) :]
    if "@" in rest:
        name, _, ref = rest.partition("@")
    elif "/" in rest:
        name, _, ref = rest.partition("/")
    else:
        name, ref = rest, "latest"
    if not ref or "/" in ref or "@" in ref:
        raise InvalidInput(
            f"model URI {uri!r}: expected one version, stage or alias after the name"
        )
    return ModelUri(check_name(name, "model name"), ref)
