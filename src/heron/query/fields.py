"""Which fields exist, which values each may be compared with, and time literals.

Type errors are found while parsing so that ``parse`` alone validates a filter.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Literal, NoReturn

from heron.query.lexer import Token, fail
from heron.query.nodes import Compare, Exists, Field, Has, In, Like, Predicate, Value
from heron.query.unparse import unparse_field, unparse_value
from heron.states import RUN_STATES

FieldType = Literal["text", "time", "number", "metric", "config", "tags", "bool", "version"]

# Run attributes and what they hold. "group" and "duration" may be missing.
ATTRIBUTES: dict[str, FieldType] = {
    "name": "text",
    "state": "text",
    "group": "text",
    "id": "text",
    "project": "text",
    "notes": "text",
    "created": "time",
    "duration": "number",
}
PREFIXES = {"config": "config", "metrics": "metric", "summary": "metric"}
# Fields read from the run's system record: the key after "system." -> (the path in the
# record, the type). "packages.<name>" is the version of an installed distribution.
SYSTEM_FIELDS: dict[str, tuple[tuple[str, ...], FieldType]] = {
    "git.commit": (("git", "commit"), "text"),
    "git.branch": (("git", "branch"), "text"),
    "git.remote_url": (("git", "remote_url"), "text"),
    "git.dirty": (("git", "dirty"), "bool"),
    "python": (("program", "python", "version"), "version"),
    "heron": (("heron", "version"), "version"),
    "reproduction.of": (("reproduction", "of"), "text"),
    "reproducibility.score": (("reproducibility", "score"), "number"),
}
PACKAGES = "packages."
# ``datasets.<name>.<part>`` (``run.use_dataset``): the parts and their types.
DATASET_PARTS: dict[str, FieldType] = {
    "digest": "text",
    "path": "text",
    "file_count": "number",
    "bytes": "number",
}
RECORD_PREFIXES = ("system", "datasets")
_RECORD_FIELDS = (
    [f"system.{k}" for k in SYSTEM_FIELDS]
    + ["system.packages.<name>"]
    + [f"datasets.<name>.{p}" for p in DATASET_PARTS]
)
FUNCTIONS = ("min", "max", "last", "count")
ORDERING = frozenset({"<", "<=", ">", ">="})
_EXPECTED_FIELD = (
    "expected config.<key>, metrics.<key>, summary.<key>, min/max/last/count(metrics.<key>), "
    "system.<field>, datasets.<name>.<part>, tags or one of " + ", ".join(ATTRIBUTES)
)


def normalize_package(name: str) -> str:
    """How package names compare: lower case, ``_`` and ``.`` read as ``-`` (PEP 503)."""
    return name.lower().replace("_", "-").replace(".", "-")


def record_path(f: Field) -> tuple[tuple[str, ...], FieldType]:
    """Where a ``system``/``dataset`` field lives in the system record, and its type.

    ``system.packages.<name>`` has no fixed path (the packages are a list): its path is
    ``("packages", <normalised name>)``.
    """
    if f.kind == "dataset":
        name, part = f.key.rsplit(".", 1)
        return ("datasets", name, part), DATASET_PARTS[part]
    if f.key.startswith(PACKAGES):
        return ("packages", normalize_package(f.key[len(PACKAGES) :])), "version"
    return SYSTEM_FIELDS[f.key]


def field_type(f: Field) -> FieldType:
    if f.kind == "attr":
        return ATTRIBUTES[f.key]
    if f.kind == "metric":
        return "metric" if f.part == "value" else "number"
    if f.kind in ("system", "dataset"):
        return record_path(f)[1]
    return f.kind  # type: ignore[return-value]  # "config" or "tags"


def _record_field(prefix: str, key: str, token: Token, text: str) -> Field:
    """``system.<key>`` or ``datasets.<key>``, checked against what the record holds."""
    start = token.pos + len(prefix) + 1
    if '"' in key or "\\" in key or any(ord(ch) < 32 for ch in key):
        fail(
            f"{prefix}.{key!r} may not hold quotes, backslashes or control characters", text, start
        )
    if prefix == "system":
        if key in SYSTEM_FIELDS:
            return Field("system", key, pos=token.pos)
        if key.startswith(PACKAGES) and len(key) > len(PACKAGES):
            return Field("system", key, pos=token.pos)
        known = [*SYSTEM_FIELDS, "packages.<name>"]
        close = _close_matches(key.lower(), known, n=1)
        hint = f" (did you mean 'system.{close[0]}'?)" if close else ""
        fail(
            f"unknown field {'system.' + key!r}",
            text,
            token.pos,
            f"{hint}; expected one of " + ", ".join(_RECORD_FIELDS[: len(SYSTEM_FIELDS) + 1]),
        )
    name, dot, part = key.rpartition(".")
    if dot and name and part in DATASET_PARTS:
        return Field("dataset", key, pos=token.pos)
    parts = ", ".join(DATASET_PARTS)
    if dot and name:
        close = _close_matches(part.lower(), list(DATASET_PARTS), n=1)
        hint = f" (did you mean 'datasets.{name}.{close[0]}'?)" if close else ""
        fail(
            f"unknown dataset part {part!r}",
            text,
            start + len(name) + 1,
            f"{hint}; expected {parts}",
        )
    fail(
        f"expected datasets.<name>.<part> (like datasets.{key or 'train'}.digest)",
        text,
        start,
        f"; the parts are {parts}",
    )


def field_from_word(token: Token, text: str) -> Field:
    """Resolve a word such as ``state``, ``config.lr`` or ``metrics.`val acc```."""
    raw = token.text
    dot = raw.find(".")
    if dot > 0 and "`" not in raw[:dot]:
        prefix = raw[:dot]
        if prefix.lower() in RECORD_PREFIXES:
            return _record_field(prefix.lower(), token.value[dot + 1 :], token, text)
        kind = PREFIXES.get(prefix.lower())
        if kind is not None:
            key = token.value[dot + 1 :]
            if not key:
                example = f", like {prefix}.lr"
                fail(f"expected a key after {prefix + '.'!r}", text, token.pos + dot + 1, example)
            return Field("config" if kind == "config" else "metric", key, pos=token.pos)
        close = _close_matches(prefix.lower(), [*PREFIXES, *RECORD_PREFIXES], n=1)
        hint = f" (did you mean '{close[0]}.{raw[dot + 1 :]}'?)" if close else ""
        fail(f"unknown field {raw!r}", text, token.pos, f"{hint}; {_EXPECTED_FIELD}")
    name = raw.lower() if token.bare else ""
    if name == "tags":
        return Field("tags", "tags", pos=token.pos)
    if name in ATTRIBUTES:
        return Field("attr", name, pos=token.pos)
    close = _close_matches(name, [*ATTRIBUTES, "tags"], n=1)
    if close:
        hint = f" (did you mean '{close[0]}'?)"
    elif token.bare and re.fullmatch(r"[^\W\d]\w*", raw):  # an identifier: a likely key
        hint = f" (did you mean config.{raw} or metrics.{raw}?)"
    else:
        hint = ""
    fail(f"unknown field {raw!r}", text, token.pos, f"{hint}; {_EXPECTED_FIELD}")


# Compiled (and cached by ``re``) by the first time literal: most filters have none.
_TIME = (
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def parse_time(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 date or time (UTC unless an offset is given), or None.

    Parsed by hand: ``datetime.fromisoformat`` accepts different forms per Python version.
    """
    match = re.fullmatch(_TIME, text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = timezone.utc
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=tz,
        )
        return moment.timestamp()
    except (ValueError, OverflowError):
        return None  # e.g. 2026-02-30, an offset of 24 hours or more, year 1 at +01:00


def time_value(value: Value) -> float:
    """``created`` compares with epoch seconds; strings are ISO dates (checked by the parser)."""
    if isinstance(value.value, str):
        seconds = parse_time(value.value)
        assert seconds is not None, "checked by check_predicate"
        return seconds
    assert isinstance(value.value, float)
    return value.value


def _describe(value: Value) -> str:
    if value.kind in ("string", "number"):
        return f"the {value.kind} {unparse_value(value)}"
    return unparse_value(value)


def _check_value(f: Field, op: str, value: Value, text: str) -> None:
    """Fail unless ``f <op> value`` compares like with like (``op`` is 'in' for lists)."""
    kind, ftype, name = value.kind, field_type(f), unparse_field(f)
    ordering = op in ORDERING

    def wrong(why: str) -> NoReturn:
        fail(f"cannot compare {name} with {_describe(value)}", text, value.pos, f": {why}")

    if ftype == "tags":
        if op != "in":
            usage = f': use tags has "x" or tags in ("x", "y"), not {op}'
            fail("tags is a set", text, f.pos, usage)
        if kind != "string":
            wrong("tags are strings, so quote the value")
    elif ftype == "config":
        if ordering and kind in ("bool", "null"):
            wrong(f"true, false and null only work with =, != and in, not {op}")
    elif ftype == "text":
        null_ok = f.key == "group" and op in ("=", "!=")
        if kind != "string" and not (kind == "null" and null_ok):
            wrong(f"{name} is text, so quote the value")
        if f.key == "state" and not ordering and kind == "string" and value.value not in RUN_STATES:
            states = ", ".join(RUN_STATES)
            fail(f"unknown state {value.value!r}", text, value.pos, f"; expected one of {states}")
    elif ftype == "time":
        if kind == "string":
            if parse_time(str(value.value)) is None:
                fail(
                    f'expected an ISO date like "2026-11-01" or "2026-11-01T12:00" for {name}',
                    text,
                    value.pos,
                    f", found {_describe(value)} (epoch seconds work too)",
                )
        elif kind != "number":
            wrong("created is a time: use epoch seconds or an ISO date string")
    elif ftype == "number":
        if kind != "number":
            wrong(f"{name} is a number")
    elif ftype == "bool":
        if kind != "bool":
            wrong(f"{name} is true or false")
        if ordering:
            wrong(f"true and false only work with =, != and in, not {op}")
    elif ftype == "version":
        if kind != "string":
            wrong(f'{name} is a version string, so quote it (like "2.5.1")')
        if ordering:
            wrong(f'versions compare as text ("3.10" < "3.9"), so use =, in or like, not {op}')
    elif ftype == "metric":
        if kind == "string" and ordering:
            wrong(f"summary strings only work with =, != and in, not {op}")
        if kind in ("bool", "null"):
            wrong(f"{name} holds numbers (or strings set as summary values)")


def check_predicate(pred: Predicate, text: str) -> None:
    """Fail on a predicate whose field and values do not go together."""
    f = pred.field
    ftype = field_type(f)
    if isinstance(pred, Compare):
        _check_value(f, pred.op, pred.value, text)
    elif isinstance(pred, In):
        for value in pred.values:
            _check_value(f, "in", value, text)
    elif isinstance(pred, Like):
        if ftype not in ("text", "config", "tags", "version"):
            fail("'like' matches text only", text, f.pos, f", but {unparse_field(f)} is a {ftype}")
    elif isinstance(pred, Has):
        if ftype != "tags":
            usage = f' (tags has "x"), not on {unparse_field(f)}'
            fail("'has' works on tags only", text, f.pos, usage)
    else:
        assert isinstance(pred, Exists)


def _close_matches(word: str, known: list[str], n: int) -> list[str]:
    import difflib  # only a mistake needs it (a training process never does)

    return difflib.get_close_matches(word, known, n=n)
