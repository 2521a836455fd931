"""Values read out of a run's ``system`` record (JSON text in ``runs.system``) in SQL.

The filter language reaches into the record (``system.git.commit``,
``system.packages.torch``, ``datasets.train.digest``, see ``heron.query.fields``)
through the database's own JSON functions: SQLite's ``json_type``/``json_extract``/
``json_each`` and PostgreSQL's ``jsonb`` operators. Paths and names are always bound
parameters, never spliced into the SQL text.

Each expression is a scalar that is NULL when the run lacks the value *or* holds a
value of another JSON type, so a text test never matches a number and vice versa.

The store writes NaN and infinities as the bare tokens ``NaN``/``Infinity`` (see
``heron.store.values.dumps``), which neither database's JSON parser accepts. Before
parsing, those tokens (after ``:``, ``,`` or ``[``, with or without a space: where a
value can start) become ``null``; a string that happens to contain ``:NaN``
is changed too, which can only make a test on that string fail, never raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import ARRAY, Float, String, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.visitors import InternalTraversal

from heron.store.schema import runs

JsonKind = Literal["string", "number", "boolean"]
_BAD_TOKENS = ("-Infinity", "Infinity", "NaN")


def parseable(text: ColumnElement[str]) -> ColumnElement[str]:
    """``text`` with the non-JSON number tokens the store writes replaced by ``null``."""
    out: ColumnElement[str] = text
    for token in _BAD_TOKENS:
        for before in (":", ",", "[", ": ", ", "):
            out = func.replace(out, before + token, before + "null")
    return out


def sqlite_path(path: Sequence[str]) -> str:
    """``$."a"."b"``: each key quoted (callers reject keys holding ``"``)."""
    return "$" + "".join(f'."{key}"' for key in path)


class RecordValue(ColumnElement[Any]):
    """The value at ``path`` in ``runs.system`` if it is JSON ``kind``, else NULL.

    Strings come back as text, numbers as floats, booleans as the text
    ``'true'``/``'false'``.
    """

    __visit_name__ = "heron_record_value"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012  # what SQLAlchemy's cache key covers
        ("source", InternalTraversal.dp_clauseelement),
        ("sqlite_path", InternalTraversal.dp_clauseelement),
        ("pg_path", InternalTraversal.dp_clauseelement),
        ("kind", InternalTraversal.dp_string),
    ]

    def __init__(self, path: Sequence[str], kind: JsonKind) -> None:
        self.source = parseable(runs.c.system)
        self.sqlite_path: BindParameter[str] = literal(sqlite_path(path), String())
        self.pg_path: BindParameter[list[str]] = literal(list(path), ARRAY(String()))
        self.kind = kind
        self.type = Float() if kind == "number" else String()

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.source._from_objects


_SQLITE_TYPES = {"string": "'text'", "number": "'integer', 'real'", "boolean": "'true', 'false'"}
_PG_TYPES = {"string": "string", "number": "number", "boolean": "boolean"}


@compiles(RecordValue, "sqlite")
def _record_sqlite(element: RecordValue, compiler: SQLCompiler, **kw: Any) -> str:
    source = compiler.process(element.source, **kw)
    path = compiler.process(element.sqlite_path, **kw)
    jtype = f"json_type({source}, {path})"
    value = jtype if element.kind == "boolean" else f"json_extract({source}, {path})"
    types = _SQLITE_TYPES[element.kind]
    # Nested CASE: SQLite evaluates it lazily, and json_type raises on damaged text.
    return (
        f"(CASE WHEN json_valid({source}) THEN CASE WHEN {jtype} IN ({types}) THEN {value} END END)"
    )


@compiles(RecordValue, "postgresql")
def _record_postgresql(element: RecordValue, compiler: SQLCompiler, **kw: Any) -> str:
    source = compiler.process(element.source, **kw)
    path = compiler.process(element.pg_path, **kw)
    node = f"(CAST({source} AS jsonb) #> CAST({path} AS text[]))"
    text = f"({node} #>> '{{}}')"
    value = f"CAST({text} AS double precision)" if element.kind == "number" else text
    return f"(CASE WHEN jsonb_typeof({node}) = '{_PG_TYPES[element.kind]}' THEN {value} END)"


class PackageVersion(ColumnElement[str]):
    """The version recorded in ``runs.system`` for the package ``name`` (NULL if none).

    ``system.packages`` is a list of ``{name, version, ...}``; names compare in their
    PEP 503 normal form (lower case, runs of ``-_.`` as one ``-``), so ``name`` must
    already be normalised (``heron.query.fields.normalize_package``).
    """

    __visit_name__ = "heron_package_version"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012
        ("source", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, name: str) -> None:
        self.source = parseable(runs.c.system)
        self.name: BindParameter[str] = literal(name, String())
        self.type = String()

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.source._from_objects


def _normal_sql(expr: str) -> str:
    # PEP 503 with single separators (what installed names hold in practice).
    return f"lower(replace(replace({expr}, '_', '-'), '.', '-'))"


@compiles(PackageVersion, "sqlite")
def _package_sqlite(element: PackageVersion, compiler: SQLCompiler, **kw: Any) -> str:
    source = compiler.process(element.source, **kw)
    name = compiler.process(element.name, **kw)
    entry_name = "json_extract(heron_p.value, '$.name')"
    version = "json_extract(heron_p.value, '$.version')"
    empty = "'{\"packages\": []}'"
    is_list = f"json_type({source}, '$.packages') = 'array'"
    packages = f"CASE WHEN json_valid({source}) THEN CASE WHEN {is_list} THEN {source} END END"
    return (
        f"(SELECT {version} FROM json_each(coalesce({packages}, {empty}), '$.packages') "
        "AS heron_p WHERE json_type(heron_p.value, '$.version') = 'text' "
        f"AND {_normal_sql(entry_name)} = {name} LIMIT 1)"
    )


NAME_PG = "(heron_p ->> 'name')"


@compiles(PackageVersion, "postgresql")
def _package_postgresql(element: PackageVersion, compiler: SQLCompiler, **kw: Any) -> str:
    source = compiler.process(element.source, **kw)
    name = compiler.process(element.name, **kw)
    packages = f"(CAST({source} AS jsonb) -> 'packages')"
    return (
        "(SELECT heron_p ->> 'version' FROM jsonb_array_elements(CASE WHEN "
        f"jsonb_typeof({packages}) = 'array' THEN {packages} ELSE '[]'::jsonb END) AS heron_p "
        "WHERE jsonb_typeof(heron_p -> 'version') = 'string' "
        f"AND {_normal_sql(NAME_PG)} = {name} "
        "LIMIT 1)"
    )
