"""Keeping secrets out of what the run records: URLs, variable names, command lines.

Everything the capture modules write passes through here first. The rules are
deliberately blunt: a name that *might* hold a secret is dropped or masked, because a
token leaked into a shared tracker cannot be taken back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# A variable or flag whose name contains one of these is never recorded as is.
_SECRET_WORDS = (
    "TOKEN",
    "KEY",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
    "COOKIE",
    "PRIVATE",
)
# Schemes where the whole user-info part is a credential (``https://user:token@host``).
_DROP_USERINFO = frozenset({"http", "https", "ftp", "ftps"})
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]+")
_FLAG_WORDS = re.compile(r"[^A-Z0-9]+")
_SECRET_FLAG_ENDINGS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "PWD", "CREDENTIALS")


def is_secret_name(name: str) -> bool:
    """True when ``name`` (an environment variable or a command-line flag) looks secret."""
    upper = name.upper().replace("-", "_")
    return any(word in upper for word in _SECRET_WORDS)


def is_secret_flag(flag: str) -> bool:
    """True when a command-line flag (``--api-key``, ``--hf_token``) looks secret.

    Narrower than :func:`is_secret_name`: a word of the flag must *end* in a secret
    word (``--api-key``, ``--apikey``, ``--auth``), so ``--keyframes`` or
    ``--tokenizer`` stay readable and the command line stays reproducible.
    """
    words = [w for w in _FLAG_WORDS.split(flag.upper()) if w]
    return any(w.endswith(_SECRET_FLAG_ENDINGS) or w == "AUTH" for w in words)


def strip_credentials(url: str) -> str:
    """``url`` without credentials.

    ``https://user:token@host/x`` and ``https://token@host/x`` become
    ``https://host/x``. For ``ssh://`` and other schemes the user name is kept (it is
    an account such as ``git``) and only a password is removed. scp-like addresses
    (``git@github.com:org/repo.git``) and local paths have no credentials and come
    back untouched, as does anything that does not parse as a URL.
    """
    if "://" not in url or "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url
    if parts.scheme.lower() in _DROP_USERINFO:
        netloc = hostport
    else:
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hostport}" if user else hostport
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def strip_credentials_in_text(text: str) -> str:
    """Every URL inside ``text`` passed through :func:`strip_credentials`."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: strip_credentials(m.group(0)), text)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line safe to record.

    The value of a flag whose name looks secret is masked, both as ``--api-key=v``
    and as ``--api-key v``; credentials inside URLs are stripped.
    """
    out: list[str] = []
    mask_next = False
    for arg in argv:
        if mask_next and not arg.startswith("--"):
            out.append(MASK)
            mask_next = False
            continue
        mask_next = False
        if arg.startswith("-") and len(arg) > 1:
            name, eq, _ = arg.partition("=")
            if is_secret_flag(name):
                if eq:
                    out.append(f"{name}={MASK}")
                    continue
                mask_next = True
        out.append(strip_credentials_in_text(arg))
    return out
