"""Heron's one exception hierarchy.

Every error Heron raises on purpose derives from :class:`HeronError`, carries the
HTTP status a server would answer with, and a message that is safe to show a user
and says what to do next. The remote backend (a later issue) re-raises the same
classes from problem JSON, so local and remote fail alike.

    HeronError
    ├── InvalidInput            (400)  bad key, bad value, bad name, bad filter
    │   ├── InvalidKey          (400)  also a ValueError
    │   ├── InvalidValue        (400)  also a TypeError (wrong type for a metric)
    │   ├── FilterSyntaxError   (400)  says where and what was expected
    │   └── UnsafePath          (400)  artifact path escapes the store
    ├── Forbidden               (403)  the actor may not do this (a protected stage)
    ├── NotFound                (404)  run, project, artifact, alias
    │   └── RunDeleted          (410)  records for a run that was deleted (refused)
    ├── Conflict                (409)  a state change that is not allowed
    ├── PayloadTooLarge         (413)  a request body over the server's limit
    ├── StoreError              (500)  the store cannot be opened / migrated
    ├── Unavailable             (503)  the server cannot be reached (transient: retried)
    ├── DigestMismatch          (500)  a blob's bytes do not match its digest
    ├── SpoolError              (500)  a run's local spool cannot be written or read
    └── ShippingError           (500)  a run's records could not be shipped (kept in its spool)
"""

from __future__ import annotations


class HeronError(Exception):
    """Base class of every error Heron raises on purpose."""

    status_code: int = 500
    title: str = "Heron error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_problem(self) -> dict[str, object]:
        """RFC 7807 problem JSON for this error."""
        return {
            "type": f"https://heron.dev/errors/{type(self).__name__}",
            "title": self.title,
            "status": self.status_code,
            "detail": self.message,
        }


class InvalidInput(HeronError, ValueError):
    status_code = 400
    title = "Invalid input"


class InvalidKey(InvalidInput):
    title = "Invalid key"


class InvalidValue(HeronError, TypeError):
    status_code = 400
    title = "Invalid value"


class FilterSyntaxError(InvalidInput):
    title = "Filter syntax error"

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        if text:
            pointer = " " * position + "^"
            message = f"{message}\n  {text}\n  {pointer}"
        super().__init__(message)
        self.text = text
        self.position = position


class UnsafePath(InvalidInput):
    title = "Unsafe path"


class Forbidden(HeronError):
    """The actor is not allowed to do this (say, move a protected stage without admin)."""

    status_code = 403
    title = "Forbidden"


class Unauthorized(HeronError):
    """No credential, or one the server does not accept (unknown, revoked, expired)."""

    status_code = 401
    title = "Unauthorized"


class TooManyRequests(HeronError):
    """Too many failed sign-ins or token uses from one place: wait and try again."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(HeronError, LookupError):
    status_code = 404
    title = "Not found"


class RunDeleted(NotFound):
    """Records for a run that was deleted: refused for good (its writer stops shipping;
    a dead spool of it is removed)."""

    status_code = 410
    title = "Gone"


class Conflict(HeronError):
    status_code = 409
    title = "Conflict"


class PayloadTooLarge(HeronError):
    status_code = 413
    title = "Payload too large"


class StoreError(HeronError):
    status_code = 500
    title = "Store error"


class Unavailable(HeronError):
    """The server could not be reached or answered 5xx; retrying later may succeed."""

    status_code = 503
    title = "Service unavailable"


class DigestMismatch(HeronError):
    status_code = 500
    title = "Digest mismatch"


class SpoolError(HeronError):
    """A run's spool (``<dir>/spool/<run id>/``) cannot be written or read: a corrupt
    or truncated segment, a file where a folder belongs, no space left. The message
    names the file and says what happens to it (it is kept) and what to do."""

    status_code = 500
    title = "Spool error"


class ShippingError(HeronError):
    """A run's records could not be shipped to its store (the store refused a batch,
    or the spool became unreadable). They stay in the spool for ``heron sync``."""

    status_code = 500
    title = "Shipping error"
