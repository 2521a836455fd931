"""The objects of docs/rest-api.md, written from the server's OpenAPI document, so the
REST reference cannot drift from the code (``tests/test_docs.py`` fails when stale).

    python -m heron.server.openapi_docs            # rewrite docs/rest-api.md's objects
    python -m heron.server.openapi_docs --check    # exit 1 if they are stale

Each schema of the document (``heron.wire``'s answers, ``heron.server.models``' bodies
and answers) becomes a table of its fields, between the markers of its section: the
model registry's objects in the registry's section, every other object in "Objects".
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from heron.server.app import create_app
from heron.settings import Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "rest-api.md"
_PREFIX = "#/components/schemas/"
_SECTIONS = {"models": "registry-objects"}  # route tag -> section; every other: "objects"
# FastAPI's default 422 schemas, which routes without Heron's problem answers still
# name: the server never answers them (every error is a Problem).
_NOT_ANSWERED = frozenset({"HTTPValidationError", "ValidationError"})


def openapi() -> dict[str, Any]:
    """The server's OpenAPI document (its routes are not called: no store needed)."""
    app = create_app(cast(Any, None), cast(Any, None), Settings())
    return app.openapi()


def _begin(section: str) -> str:
    return (
        f"<!-- {section}: written by `python -m heron.server.openapi_docs` from the "
        "OpenAPI document; edit the code, not this part -->"
    )


def _end(section: str) -> str:
    return f"<!-- end of {section} -->"


def sections(spec: dict[str, Any]) -> dict[str, str]:
    """Section name -> its Markdown: each schema, in the order routes first name it."""
    schemas: dict[str, Any] = spec["components"]["schemas"]
    placed: dict[str, str] = {}
    for errors_too in (False, True):  # what routes take and give first, errors' last
        for operation in _operations(spec):
            section = next(
                (_SECTIONS[t] for t in operation.get("tags", ()) if t in _SECTIONS), "objects"
            )
            if not errors_too:
                answers = operation.get("responses", {})
                ok = {code: a for code, a in answers.items() if code.startswith("2")}
                operation = {**operation, "responses": ok}
            for name in _refs(operation, schemas):
                placed.setdefault(name, section)
    for name in sorted(schemas):  # named by no route (none today): still documented
        placed.setdefault(name, "objects")
    out: dict[str, str] = {}
    for name, section in placed.items():
        if name not in _NOT_ANSWERED:
            out[section] = out.get(section, "") + _object(name, schemas[name])
    return out


def render(text: str, spec: dict[str, Any]) -> str:
    """``text`` (docs/rest-api.md) with every generated section rewritten."""
    for section, body in sections(spec).items():
        begin, end = _begin(section), _end(section)
        if begin not in text or end not in text:
            raise ValueError(f"docs/rest-api.md lacks the markers of section {section!r}")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n\n{body}{end}{tail}"
    return text


def _operations(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for methods in spec["paths"].values():
        yield from methods.values()


def _refs(node: Any, schemas: dict[str, Any], seen: set[str] | None = None) -> Iterator[str]:
    """Schema names under ``node``, depth first, each once (errors' schemas last)."""
    seen = set() if seen is None else seen
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_PREFIX):
            name = ref[len(_PREFIX) :]
            if name not in seen:
                seen.add(name)
                yield name
                yield from _refs(schemas.get(name, {}), schemas, seen)
        for key, value in node.items():  # an operation's requestBody comes before responses
            if key != "$ref":
                yield from _refs(value, schemas, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value, schemas, seen)


def _object(name: str, schema: dict[str, Any]) -> str:
    parts = [f"### `{name}`\n\n"]
    description = schema.get("description")
    if description:
        parts.append(_prose(description) + "\n\n")
    properties: dict[str, Any] = schema.get("properties", {})
    if not properties:  # a named type (WireFloat, TableCell): what it may be
        parts.append(f"A value of type: {_type(schema)}.\n\n")
        return "".join(parts)
    required = set(schema.get("required", ()))
    parts.append("| field | type |\n| --- | --- |\n")
    for field, sub in properties.items():
        kind = _type(sub)
        if field not in required:
            default = f", default `{json.dumps(sub['default'])}`" if "default" in sub else ""
            kind += f"; optional{default}"
        parts.append(f"| `{field}` | {kind} |\n")
    parts.append("\n")
    return "".join(parts)


def _prose(text: str) -> str:
    """A docstring as one Markdown paragraph (``code`` -> `code`)."""
    return re.sub(r"\s+", " ", text.replace("``", "`")).strip()


def _type(s: dict[str, Any]) -> str:
    if "$ref" in s:
        name = s["$ref"][len(_PREFIX) :]
        return f"[`{name}`](#{name.lower()})"
    if "anyOf" in s:
        return " or ".join(_type(part) for part in s["anyOf"])
    if "const" in s:
        return f"`{json.dumps(s['const'])}`"
    if "enum" in s:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in s["enum"])
    kind = s.get("type")
    if kind == "array":
        return "list of " + _inner(s.get("items", {})) + _limits(s, "minItems", "maxItems")
    if kind == "object":
        values = s.get("additionalProperties")
        if isinstance(values, dict) and values:
            return "map of string to " + _inner(values)
        return "object"
    if kind == "string" and s.get("format") == "binary":
        return "bytes"
    if kind in ("string", "integer", "number", "boolean", "null"):
        return str(kind) + _limits(s, "minimum", "maximum") + _limits(s, "minLength", "maxLength")
    return "any JSON value"


def _inner(s: dict[str, Any]) -> str:
    """A type inside another: "list of (number or null)", not "list of number or null"."""
    kind = _type(s)
    return f"({kind})" if " or " in kind else kind


def _limits(s: dict[str, Any], low: str, high: str) -> str:
    found = [f">= {_number(s[low])}" if low in s else ""]
    found.append(f"<= {_number(s[high])}" if high in s else "")
    shown = ", ".join(part for part in found if part)
    return f" ({shown})" if shown else ""


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else str(value)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    paths = [Path(a) for a in args if a != "--check"]
    doc = paths[0] if paths else DOC
    current = doc.read_text(encoding="utf-8")
    wanted = render(current, openapi())
    if current == wanted:
        return 0
    if check:
        print(f"{doc} is stale: run python -m heron.server.openapi_docs", file=sys.stderr)
        return 1
    doc.write_text(wanted, encoding="utf-8")
    print(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
