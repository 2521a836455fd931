"""The tokens ``heron login`` keeps, one per server, in ``credentials.json`` under
``HERON_CONFIG_DIR`` (``~/.config/heron``): the file is created with mode 0600 and its
folder 0700, and replaced atomically. ``HERON_TOKEN`` wins over the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from heron.errors import InvalidInput
from heron.settings import Settings

FILE_NAME = "credentials.json"


def credentials_path(settings: Settings) -> Path:
    return settings.config_dir.expanduser() / FILE_NAME


def server_key(url: str) -> str:
    """Servers are named by their address without a trailing slash, lower case."""
    return url.strip().rstrip("/").lower()


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"{path} is not readable JSON ({exc}); delete it and run `heron login` again"
        ) from None
    servers = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        return {}
    return {k: v for k, v in servers.items() if isinstance(k, str) and isinstance(v, str)}


def token_for(settings: Settings, url: str) -> str | None:
    """The token to send to ``url``: HERON_TOKEN, else the one `heron login` saved."""
    if settings.token:
        return settings.token
    return _read(credentials_path(settings)).get(server_key(url))


def save_token(settings: Settings, url: str, token: str | None) -> Path:
    """Keep ``token`` for ``url`` (None: forget it); the file is never group-readable."""
    path = credentials_path(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    servers = _read(path)
    if token is None:
        servers.pop(server_key(url), None)
    else:
        servers[server_key(url)] = token
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"servers": servers}, out, indent=2)
    os.chmod(temporary, 0o600)  # whatever the umask or an earlier file said
    os.replace(temporary, path)
    return path
