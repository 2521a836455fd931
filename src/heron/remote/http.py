"""One HTTP client for everything that talks to ``heron server``.

Errors come back as the same :mod:`heron.errors` classes the local store raises: the
server answers RFC 7807 problem JSON whose ``type`` names the class. Anything that
says "try again later" (connection refused, timeouts, 5xx) becomes
:class:`~heron.errors.Unavailable`, which the shipper retries; 4xx errors are final.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from heron import errors

_URL = re.compile(r"^https?://", re.IGNORECASE)
API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def is_url(text: object) -> bool:
    """True for an ``http(s)://`` address of a Heron server."""
    return isinstance(text, str) and bool(_URL.match(text))


def _error_class(problem_type: object) -> type[errors.HeronError]:
    name = str(problem_type).rsplit("/", 1)[-1]
    found = getattr(errors, name, None)
    if isinstance(found, type) and issubclass(found, errors.HeronError):
        return found
    return errors.HeronError


def raise_for_problem(response: httpx.Response) -> None:
    """Raise the HeronError that a non-2xx answer describes."""
    if response.is_success:
        return
    status = response.status_code
    detail = f"HTTP {status} from {response.request.method} {response.request.url}"
    cls: type[errors.HeronError] = errors.HeronError
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if isinstance(problem, Mapping):
        detail = str(problem.get("detail") or problem.get("title") or detail)
        cls = _error_class(problem.get("type"))
    if status >= 500 or status == 429:
        # The server's trouble, not the request's: worth retrying.
        raise errors.Unavailable(f"the Heron server failed ({status}): {detail}")
    if status == 401:
        cls = errors.Unauthorized
        detail += (
            "; set HERON_TOKEN to an API token of this server, or run "
            f"`heron login {response.request.url.scheme}://{response.request.url.netloc.decode()}`"
        )
    if cls is errors.HeronError:
        cls = errors.NotFound if status == 404 else errors.InvalidInput
        if status == 409:
            cls = errors.Conflict
    error = cls.__new__(cls)
    errors.HeronError.__init__(error, detail)
    raise error


class HttpClient:
    """A connection pool to one server (``http://host:port``); thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        token: str | None = None,
    ) -> None:
        """``transport`` replaces the network (an in-process app in tests); ``token``:
        the API token sent with every request (a server with accounts needs one)."""
        if not is_url(url):
            raise errors.InvalidInput(
                f"server address {url!r} must start with http:// or https://, "
                "such as http://127.0.0.1:5310"
            )
        self.url = url.rstrip("/")
        headers = {"User-Agent": "heron-python"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=self.url + API_PREFIX,
            timeout=timeout,
            headers=headers,
            transport=transport,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise errors.Unavailable(
                f"cannot reach the Heron server at {self.url} ({type(exc).__name__}: {exc}); "
                "is `heron server` running there?"
            ) from None
        raise_for_problem(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        try:
            with self._client.stream(method, path, **kwargs) as response:
                if not response.is_success:
                    response.read()
                raise_for_problem(response)
                yield response
        except httpx.TransportError as exc:
            raise errors.Unavailable(
                f"cannot reach the Heron server at {self.url} ({type(exc).__name__}: {exc})"
            ) from None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
