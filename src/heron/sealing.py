"""Secrets kept encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256), so that a
copy of the database alone does not reveal them. Webhook signing secrets must be
recoverable to sign deliveries, so they are sealed rather than hashed.

The key is derived from ``HERON_SECRET_KEY``, else kept in
``HERON_CONFIG_DIR/server-secret.key`` (made on first use, mode 0600): servers that
share one database need the same ``HERON_SECRET_KEY``. A value stored before sealing
existed (no prefix) still reads as it is."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from heron.errors import InvalidInput
from heron.settings import Settings

PREFIX = "sealed:v1:"
KEY_FILE = "server-secret.key"


class Sealer:
    def __init__(self, passphrase: str) -> None:
        digest = hashlib.sha256(b"heron sealing v1\0" + passphrase.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        if settings.secret_key:
            return cls(settings.secret_key)
        return cls(_key_file(settings.config_dir.expanduser() / KEY_FILE))

    def seal(self, text: str) -> str:
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # kept before secrets were sealed
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise InvalidInput(
                "a secret in the database was sealed with another key: set HERON_SECRET_KEY "
                "to the key the servers of this database share"
            ) from None


def _key_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key
