"""Passwords (argon2id, salted, slow on purpose) and tokens (random, looked up by their
SHA-256: a token has 256 bits of entropy, so a fast hash is safe and keeps every
authenticated request cheap)."""

from __future__ import annotations

import functools
import hashlib
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

TOKEN_PREFIX = "heron_"


@functools.cache
def _hasher() -> PasswordHasher:
    """argon2id with the library's current recommended cost, loaded on first use
    (argon2's C binding is a tenth of a second of every process's start otherwise)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Verified against when the user does not exist, so a wrong name costs what a wrong
    password costs (no timing oracle for which names exist). Made on first use: one
    argon2 hash costs tens of milliseconds and 64 MiB, which importing heron (every
    script, every CLI command) must not pay."""
    return _hasher().hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str, str]:
    """A fresh token: (secret, prefix shown in lists, hash stored)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[: len(TOKEN_PREFIX) + 6], token_hash(secret)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX) and 20 <= len(secret) <= 128
