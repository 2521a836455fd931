"""Validation of every name a user gives Heron: metric keys, projects, tags, artifact
names and artifact paths. One place, so the SDK, the store and the server agree.

Metric keys (also summary and config keys)
    1-256 characters: letters and digits (any script), ``_ - . / : ( ) [ ] @ = , +``
    and spaces; ``/`` separates namespaces (``train/loss``) and may not start or end
    the key or repeat (``a//b``). Keys starting with ``system/`` are written by the
    system metrics sampler; ``_`` starts reserved names (``_time``, ``_step``).

Run names and groups (labels), tags
    1-256 characters of any script, inner spaces allowed; no control characters (nor
    line or paragraph separators) and no leading or trailing whitespace.

Free text (notes, descriptions, config values): any characters but lone surrogates
    (``"\\ud800"`` in JSON), which no database can store; notes at most 1 MiB of UTF-8.

docs/server.md "Limits" lists every limit; change them here and there together.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata

from heron.errors import InvalidKey, UnsafePath

MAX_KEY_LENGTH = 256
MAX_NAME_LENGTH = 128
MAX_PATH_LENGTH = 1024
MAX_RUN_NAME_LENGTH = 256  # run names and groups (the runs.name column)
MAX_TAG_LENGTH = 256
MAX_CONFIG_PATH_LENGTH = 512  # a dotted config path (the run_config.key column)
MAX_RESUME_KEY_LENGTH = 128
MAX_FREE_TEXT_BYTES = 1 << 20  # notes: 1 MiB of UTF-8

_KEY_CHARS = re.compile(r"^[\w\-./:()\[\]@=,+ ]+$")
_NAME = re.compile(r"^[\w][\w\-.]*$")  # projects, artifact names, aliases
_SURROGATE = re.compile("[\ud800-\udfff]")


def key_problem(key: object) -> str | None:
    """Why ``key`` is not a valid metric key, or None when it is."""
    if not isinstance(key, str):
        return f"metric keys are strings, got {type(key).__name__} {key!r}"
    if not key:
        return "metric key is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"metric key is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}"
    if not _KEY_CHARS.fullmatch(key):
        bad = sorted({c for c in key if not _KEY_CHARS.fullmatch(c)})
        return (
            f"metric key {key!r} contains {''.join(bad)!r}; use letters, digits, "
            "spaces and _ - . / : ( ) [ ] @ = , +"
        )
    if key.startswith("/") or key.endswith("/") or "//" in key:
        return f"metric key {key!r}: '/' separates namespaces and cannot lead, trail or repeat"
    if key != key.strip():
        return f"metric key {key!r} has leading or trailing spaces"
    return None


def check_key(key: object) -> str:
    problem = key_problem(key)
    if problem:
        raise InvalidKey(problem)
    assert isinstance(key, str)
    return key


def check_name(name: object, what: str = "name") -> str:
    """Project names, artifact names and aliases: ``[\\w][\\w-.]*``, at most 128 chars."""
    if not isinstance(name, str) or not name:
        raise InvalidKey(f"{what} must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        raise InvalidKey(
            f"{what} {name!r} is not valid: use up to {MAX_NAME_LENGTH} letters, digits, "
            "'_', '-' and '.', starting with a letter, digit or '_'"
        )
    return name


def check_tag(tag: object) -> str:
    return check_label(tag, "tag", MAX_TAG_LENGTH)


def check_label(value: object, what: str, limit: int = MAX_RUN_NAME_LENGTH) -> str:
    """Run names, groups and tags: 1-``limit`` characters of any script, inner spaces
    allowed; no control characters (nor line/paragraph separators, nor lone surrogates)
    and no leading or trailing whitespace."""
    if not isinstance(value, str) or not value:
        raise InvalidKey(f"a {what} is a non-empty string, got {value!r}")
    if len(value) > limit:
        raise InvalidKey(f"a {what} is {len(value):,} characters long; the limit is {limit}")
    bad = sorted({c for c in value if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")})
    if bad:
        raise InvalidKey(
            f"{what} {value!r} contains control characters ({', '.join(map(ascii, bad))}); "
            "use printable characters only"
        )
    if value != value.strip():
        raise InvalidKey(f"{what} {value!r} has leading or trailing whitespace")
    return value


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored (a lone surrogate), or None."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return (
        f"text contains the lone surrogate {found.group()!a} at position "
        f"{found.start()}, which is not a character (send valid Unicode)"
    )


def check_text(text: object, what: str, max_bytes: int | None = None) -> str:
    """Free text (notes, descriptions): a string of valid Unicode (no lone
    surrogates), at most ``max_bytes`` bytes of UTF-8 when given."""
    if not isinstance(text, str):
        raise InvalidKey(f"{what} must be a string, got {type(text).__name__}")
    problem = text_problem(text)
    if problem:
        raise InvalidKey(f"{what}: {problem}")
    if max_bytes is not None and len(text) > max_bytes // 4:  # cheap unless it may be over
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise InvalidKey(f"{what} is {size:,} bytes of UTF-8; the limit is {max_bytes:,}")
    return text


def check_strings(value: object, what: str) -> None:
    """Every string inside ``value`` (dicts' keys and values, lists) is valid Unicode."""
    if isinstance(value, str):
        check_text(value, what)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_strings(k, what)
            check_strings(v, what)
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_strings(item, what)


def check_artifact_path(path: object) -> str:
    """A path inside an artifact or a run's files, normalised to ``a/b/c``.

    Rejects anything that could escape the folder it is stored under: absolute
    paths, drive letters, ``..`` segments, backslashes, NUL and control characters,
    and names that only differ by Unicode normalisation tricks.
    """
    if not isinstance(path, str) or not path:
        raise UnsafePath(f"artifact paths are non-empty strings, got {path!r}")
    if len(path) > MAX_PATH_LENGTH:
        raise UnsafePath(f"artifact path is longer than {MAX_PATH_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 0x7F for c in path):
        raise UnsafePath(f"artifact path {path!r} contains a NUL or control character")
    if "\\" in path:
        raise UnsafePath(f"artifact path {path!r} contains a backslash; use '/'")
    normal = unicodedata.normalize("NFC", path)
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        raise UnsafePath(f"artifact path {path!r} is absolute; give a relative path")
    parts = normal.split("/")
    if any(p in ("..", ".") for p in parts) or "" in parts[:-1]:
        raise UnsafePath(
            f"artifact path {path!r} has '.', '..' or empty segments; "
            "give a plain relative path such as 'models/best.pt'"
        )
    clean = posixpath.normpath(normal)
    if clean.startswith("..") or clean.startswith("/"):
        raise UnsafePath(f"artifact path {path!r} escapes the artifact")
    return clean


def check_metric_pattern(pattern: object) -> str:
    """A metric key, or a glob over keys (``val/*``, ``layer?/grad``) for define_metric."""
    if not isinstance(pattern, str):
        raise InvalidKey(f"metric patterns are strings, got {pattern!r}")
    problem = key_problem(pattern.replace("*", "x").replace("?", "x"))
    if problem:
        raise InvalidKey(problem.replace("metric key", "metric pattern"))
    return pattern
