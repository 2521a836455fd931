"""Browser safety: what keeps a web page on another origin from using the server.

A server on loopback is still reachable from every page the user's browser opens, so
``BrowserSafetyMiddleware`` (pure ASGI: it never buffers, so event streams still
stream) checks every request before the app sees it:

- **Host** must name this server (``HERON_ALLOWED_HOSTS``; by default the loopback
  names and the address ``heron server`` binds to). A page whose own name resolves to
  127.0.0.1 (DNS rebinding) sends its own name, and is refused with 421.
- **Content-Type** must be the route's own for every request with a body: the batch
  type on ``POST .../batches``, ``application/octet-stream`` on blob uploads,
  ``application/json`` everywhere else (415 otherwise, a body without Content-Type
  included: Heron's own clients always say what they send). A page
  on another origin can only send ``text/plain``, form types or none without a CORS
  preflight, which is never granted: no route answers with
  ``Access-Control-Allow-Origin``.
- **Origin** of a state-changing request (POST, PUT, PATCH, DELETE) must be the
  server's own; without ``Origin``, ``Sec-Fetch-Site`` must say the request is not
  from another site (403 otherwise). Requests with neither (the Python client, curl)
  pass: they are not a browser acting for a page.

Every answer carries a Content-Security-Policy without inline script (an inline
script of the built UI's ``index.html`` is allowed by its hash), ``nosniff``,
``X-Frame-Options: DENY`` and ``Referrer-Policy: same-origin``.

``install_docs`` serves ``/api/docs`` (Swagger UI) from files shipped in the
``fastapi-offline`` package: no CDN, no inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heron import wire
from heron.server.problems import PROBLEM_TYPE, problem
from heron.settings import Settings

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_WILDCARD_BINDS = {"", "0.0.0.0", "::", "[::]"}
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_OPS_PATHS = {"/healthz", "/readyz", "/metrics"}  # probes and scrapers name the IP
JSON_TYPE = "application/json"
BLOB_TYPE = "application/octet-stream"
ANY_TYPE = "*/*"  # any type: a route that stores the bytes as they are
_BODY_TYPES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/api/v1/runs/[^/]+/batches/?$"), wire.BATCH_CONTENT_TYPE),
    ("PUT", re.compile(r"^/api/v1/blobs/[^/]+/?$"), BLOB_TYPE),
    # MLflow's client sends each artifact with its guessed type (a PUT: preflighted)
    ("PUT", re.compile(r"^/api/2\.0/mlflow-artifacts/artifacts/"), ANY_TYPE),
)
"""Routes whose body is not JSON, and the one type each takes."""

CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"
)
_FIXED_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
_INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def allowed_hosts(settings: Settings) -> list[str]:
    """The Host names this server answers: ``HERON_ALLOWED_HOSTS`` when set, else the
    loopback names plus the address ``heron server`` binds to (unless a wildcard)."""
    if settings.allowed_hosts is not None:
        names = [n.strip().lower() for n in settings.allowed_hosts.split(",")]
        return [n for n in names if n]
    names = list(LOOPBACK_HOSTS)
    bind = settings.server_host.strip().lower()
    if bind not in _WILDCARD_BINDS:
        bound = f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind
        if bound not in names:
            names.append(bound)
    return names


def host_name(host: str) -> str:
    """``Host`` without its port, lower case, without a trailing dot (``[::1]`` kept)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end > 0 else host
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def host_allowed(name: str, patterns: Iterable[str]) -> bool:
    """``name`` matches a pattern: exactly, ``*.example.com`` (any subdomain, not the
    domain itself), or ``*`` (anything: the check is off)."""
    for pattern in patterns:
        if pattern == "*" or pattern == name:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]) and len(name) > len(pattern) - 1:
            return True
    return False


def _netloc(scheme: str, host: str) -> str:
    """``host[:port]`` with the scheme's default port dropped, lower case."""
    host = host.strip().lower()
    default = {"http": "80", "https": "443"}.get(scheme)
    if default is not None and host.endswith(f":{default}") and not host.endswith("]"):
        host = host[: -len(default) - 1]
    return host


def same_origin(origin: str, scheme: str, host: str) -> bool:
    """``Origin`` names this server: the same host and port as ``Host`` (the scheme may
    differ behind a proxy that ends TLS)."""
    origin = origin.strip().lower()
    found, sep, rest = origin.partition("://")
    if not sep or found not in ("http", "https") or not rest or "/" in rest:
        return False
    return _netloc(found, rest) == _netloc(found, host) or _netloc(scheme, rest) == _netloc(
        scheme, host
    )


def expected_type(method: str, path: str) -> str:
    """The one Content-Type a request with a body may have on this route."""
    for m, pattern, media in _BODY_TYPES:
        if method == m and pattern.match(path):
            return media
    return JSON_TYPE


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _refusal(status: int, title: str, detail: str, kind: str) -> JSONResponse:
    return JSONResponse(problem(status, title, detail, kind), status, media_type=PROBLEM_TYPE)


class InlineScripts:
    """The CSP hashes of the inline scripts of the built UI's ``index.html``, read
    again whenever the file changes (a new build shows up without a restart)."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self._key: tuple[int, int] | None = None
        self._hashes = ""

    def hashes(self) -> str:
        try:
            st = self.index.stat()
        except OSError:
            return ""
        key = (st.st_mtime_ns, st.st_size)
        if key != self._key:
            try:
                text = self.index.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return ""
            found = []
            for body in _INLINE_SCRIPT.findall(text):
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                found.append(f" 'sha256-{digest}'")
            self._key, self._hashes = key, "".join(found)
        return self._hashes


class BrowserSafetyMiddleware:
    """Host, Content-Type and Origin checks on every request; security headers on
    every answer (module docstring)."""

    def __init__(self, app: ASGIApp, hosts: list[str], index: Path | None = None) -> None:
        self.app = app
        self.hosts = hosts
        self.scripts = InlineScripts(index) if index is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guarded = self._guarded(send)
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, guarded)
            return
        await self.app(scope, receive, guarded)

    def _refusal(self, scope: Scope) -> Response | None:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            name = raw_name.decode("latin-1").lower()
            if name not in headers:
                headers[name] = raw_value.decode("latin-1")
        method = str(scope.get("method", "GET")).upper()
        path = str(scope.get("path", ""))
        host = headers.get("host", "")
        if path not in _OPS_PATHS and not host_allowed(host_name(host), self.hosts):
            return _refusal(
                421,
                "Misdirected request",
                f"this server does not answer to the host name {host_name(host)!r} (the Host "
                "header); add it to HERON_ALLOWED_HOSTS if it is really this server's name",
                "UntrustedHost",
            )
        if _has_body(headers):
            want = expected_type(method, path)
            got = _media_type(headers.get("content-type", ""))
            if got != want and want != ANY_TYPE:
                shown = repr(got) if got else "none"
                return _refusal(
                    415,
                    "Unsupported media type",
                    f"{method} {path} takes a body of Content-Type {want}, not {shown}",
                    "UnsupportedMediaType",
                )
        if method in _UNSAFE_METHODS:
            origin = headers.get("origin")
            scheme = str(scope.get("scheme", "http"))
            if origin is not None:
                if not same_origin(origin, scheme, host):
                    return _refusal(
                        403,
                        "Cross-origin request refused",
                        f"{method} {path} from the page at {origin.strip()!r}: this server "
                        "only takes changes from its own pages or from non-browser clients",
                        "CrossOriginRefused",
                    )
            elif headers.get("sec-fetch-site", "none").strip().lower() not in (
                "same-origin",
                "none",
            ):
                return _refusal(
                    403,
                    "Cross-origin request refused",
                    f"{method} {path} from a page of another site (Sec-Fetch-Site: "
                    f"{headers['sec-fetch-site'].strip()}): refused",
                    "CrossOriginRefused",
                )
        return None

    def _guarded(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() not in _REPLACED
                ]
                headers.append((b"content-security-policy", self._csp(message).encode()))
                headers.extend(_FIXED_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    def _csp(self, message: Message) -> str:
        hashes = ""
        if self.scripts is not None:
            for k, v in message.get("headers", ()):
                if k.lower() == b"content-type" and v.lower().startswith(b"text/html"):
                    hashes = self.scripts.hashes()
                    break
        return CSP.format(hashes=hashes)


_REPLACED = {
    b"content-security-policy",
    b"x-content-type-options",
    b"x-frame-options",
    b"referrer-policy",
    b"access-control-allow-origin",  # CORS is never granted
    b"access-control-allow-credentials",
}


def _has_body(headers: dict[str, str]) -> bool:
    if "transfer-encoding" in headers:
        return True
    try:
        return int(headers.get("content-length", "0")) > 0
    except ValueError:
        return True  # a malformed length: the body's type is checked all the same


def install(app: FastAPI, settings: Settings, static_dir: Path) -> None:
    """Wrap the whole app, error answers included, in ``BrowserSafetyMiddleware``.

    Outside Starlette's ``ServerErrorMiddleware`` (``add_middleware`` would put it
    inside, and a 500 answer would go out without the headers)."""
    build = app.build_middleware_stack
    hosts = allowed_hosts(settings)
    index = static_dir / "index.html"

    def build_wrapped() -> ASGIApp:
        return BrowserSafetyMiddleware(build(), hosts, index)

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]


# --- /api/docs without a CDN -----------------------------------------------------------

DOCS_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API docs</title>
<link rel="icon" href="{prefix}/favicon.png">
<link rel="stylesheet" href="{prefix}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{prefix}/swagger-ui-bundle.js"></script>
<script src="{prefix}/init.js"></script>
</body>
</html>
"""
_DOCS_INIT = """// Swagger UI over this server's OpenAPI document (no inline script: CSP).
(function () {
  var box = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: box.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
"""


def swagger_dir() -> Path | None:
    """The Swagger UI files shipped by ``fastapi-offline`` (None if it is missing)."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    found = Path(fastapi_offline.__file__).parent / "static"
    return found if (found / "swagger-ui-bundle.js").is_file() else None


def install_docs(app: FastAPI, docs_url: str = "/api/docs") -> None:
    """``docs_url``: Swagger UI over ``app.openapi_url``, every file served from here.
    Call before the UI's catch-all route is installed."""
    openapi = app.openapi_url or ""
    html = _DOCS_PAGE.format(title=app.title, prefix=docs_url, openapi=openapi)
    files = swagger_dir()

    @app.get(docs_url, include_in_schema=False)
    async def docs_page() -> Response:
        if files is None:
            raise HTTPException(404, "the API docs need the fastapi-offline package")
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    @app.get(f"{docs_url}/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(_DOCS_INIT, media_type="text/javascript")

    @app.get(docs_url + "/{name}", include_in_schema=False)
    async def docs_file(name: str) -> Any:
        media = DOCS_FILES.get(name)
        if files is None or media is None:
            raise HTTPException(404, "Not Found")
        return FileResponse(files / name, media_type=media, headers={"Cache-Control": "no-cache"})
