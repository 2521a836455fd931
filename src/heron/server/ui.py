"""Serving the web UI: the built files of ``static/`` with a single-page-app fallback.

Any GET that is not an API or operations path and not a file returns ``index.html``
(the UI routes in the browser). Files under ``assets/`` carry a content hash in their
names, so they are cached for a year; ``index.html`` is never cached, so a new build
shows up at once. Without a build, ``/`` explains how to make one.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException

STATIC_DIR = Path(__file__).parent / "static"
_RESERVED = ("api/", "healthz", "readyz", "metrics")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html>
<html><head><meta charset="utf-8"><title>Heron</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>Heron server</h1>
<p>The API is running (<a href="/api/docs">/api/docs</a>), but the web UI has not been
built. Build it with <code>./scripts/setup</code> in a checkout of Heron (it writes
<code>src/heron/server/static/</code>), then restart the server.</p>
</body></html>
"""


def install(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    root = static_dir.resolve()

    # Every method, so that an unknown API route is a 404 problem, not a 405.
    @app.api_route("/{path:path}", methods=list(_METHODS), include_in_schema=False)
    async def spa(request: Request, path: str) -> Response:
        if path.startswith(_RESERVED) or request.method not in ("GET", "HEAD"):
            raise HTTPException(404, "Not Found")
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT)
        if path:
            found = _file(root, path)
            if found is not None:
                cache = _IMMUTABLE if path.startswith("assets/") else "no-cache"
                media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
                return FileResponse(found, media_type=media_type, headers={"Cache-Control": cache})
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})


def _file(root: Path, path: str) -> Path | None:
    """The built file at ``path``, if it is a regular file inside ``root``."""
    if "\x00" in path or "\\" in path:
        return None
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate
