"""``RemoteStore``: the :class:`~heron.store.base.RunStore` protocol over ``heron
server``'s REST API, in full.

What a server does beside its database (reaping stale runs, polling changes,
garbage collection) is not part of it: the server does those itself, and
``GET /api/v1/events`` pushes its changes to whoever listens.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from typing_extensions import Unpack

from heron.errors import InvalidValue, StoreError
from heron.remote.http import HttpClient
from heron.store.base import (
    CONSOLE_PAGE_MAX,
    ArtifactVersion,
    Batch,
    ConsolePage,
    FileEntry,
    IngestResult,
    MediaItem,
    MediaKey,
    ProjectInfo,
    ProjectKeys,
    RunEdit,
    RunInfo,
    RunSpec,
    RunTable,
    Series,
)
from heron.wire import (
    BATCH_CONTENT_TYPE,
    artifact_from_json,
    console_from_json,
    count_from_json,
    decode_batch,
    deleted_from_json,
    encode_batch,
    file_from_json,
    history_from_json,
    ingested_from_json,
    keys_from_json,
    media_item_from_json,
    media_key_from_json,
    project_from_json,
    run_from_json,
    run_page_from_json,
    spec_to_json,
    table_from_json,
)

T = TypeVar("T")

# Batches of training curves compress 3-5x; below this size it is not worth the CPU.
_GZIP_ABOVE = 4096


def _quote(part: str) -> str:
    return quote(part, safe="")


_JSON = {"Content-Type": "application/json"}


def _json_body(value: Any, what: str) -> bytes:
    """``value`` as JSON bytes; InvalidValue (as the local store says) when it is not JSON."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:
        raise _not_json(what, exc) from None


def _not_json(what: str, exc: Exception) -> InvalidValue:
    return InvalidValue(
        f"cannot send {what} as JSON ({exc}); use numbers, strings, booleans, None, lists and dicts"
    )


class RemoteStore:
    """A :class:`~heron.store.base.RunStore` answered by a server (``http://host:port``).

    Errors are the server's, re-raised as the same ``heron.errors`` classes
    (``heron.remote.http``); a server that cannot be reached raises Unavailable, and
    an answer this client cannot read (not JSON, fields missing: not a Heron server,
    or another version) raises StoreError.
    """

    def __init__(self, url: str, client: HttpClient | None = None) -> None:
        self.http = client if client is not None else HttpClient(url)
        self.url = self.http.url

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    def _ask(self, method: str, path: str, read: Callable[[Any], T], **kwargs: Any) -> T:
        """One request; its JSON answer through ``read``, the one place where an answer
        that is not what a Heron server sends becomes a StoreError."""
        response = self.http.request(method, path, **kwargs)
        try:
            return read(response.json())
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # InvalidInput too
            raise self._unreadable(method, path, exc) from None

    def _unreadable(self, method: str, path: str, exc: Exception) -> StoreError:
        return StoreError(
            f"the answer of {self.url} to {method} {path} is not what a Heron server sends "
            f"({type(exc).__name__}: {exc}); check that this address is a Heron server and "
            "that it runs the same version of Heron as this client"
        )

    # --- writing -----------------------------------------------------------
    def create_run(self, spec: RunSpec) -> RunInfo:
        body = _json_body(spec_to_json(spec), "the run's config and system info")
        return self._ask("POST", "/runs", run_from_json, content=body, headers=_JSON)

    def ingest(self, batch: Batch) -> IngestResult:
        try:
            body = encode_batch(batch)
        except (TypeError, ValueError) as exc:  # an event value that is not JSON
            raise _not_json("the batch's events", exc) from None
        headers = {"Content-Type": BATCH_CONTENT_TYPE}
        if len(body) > _GZIP_ABOVE:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        # The server frees what retention orphaned itself: nothing for the client to do.
        return self._ask(
            "POST",
            f"/runs/{_quote(batch.run_id)}/batches",
            ingested_from_json,
            content=body,
            headers=headers,
        )

    def heartbeat(self, run_id: str, at: float) -> None:
        self.http.request("POST", f"/runs/{_quote(run_id)}/heartbeat", json={"at": at})

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        self.http.request(
            "POST", f"/runs/{_quote(run_id)}/crashed", json={"at": at, "reason": reason}
        )

    def update_run(self, run_id: str, **edit: Unpack[RunEdit]) -> RunInfo:
        body: dict[str, Any] = {
            "add_tags": list(edit.get("add_tags", ())),
            "remove_tags": list(edit.get("remove_tags", ())),
        }
        if (name := edit.get("name")) is not None:
            body["name"] = name
        if (notes := edit.get("notes")) is not None:
            body["notes"] = notes
        return self._ask("PATCH", f"/runs/{_quote(run_id)}", run_from_json, json=body)

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        body = {"ids": list(run_ids), "force": True}
        return self._ask("POST", "/runs/delete", deleted_from_json, json=body)

    # --- reading -----------------------------------------------------------
    def list_projects(self) -> list[ProjectInfo]:
        return self._ask("GET", "/projects", lambda a: [project_from_json(p) for p in a])

    def get_run(self, run_id: str) -> RunInfo:
        return self._ask("GET", f"/runs/{_quote(run_id)}", run_from_json)

    def search_runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunInfo]:
        # The store's contract: an unknown name matches no runs (heron.Api checks names
        # itself, through heron.service.names).
        params: dict[str, Any] = {"include_system": "true", "offset": offset}
        params["check_names"] = "false"
        if project is not None:
            params["project"] = project
        if filter:
            params["filter"] = filter
        if order_by:
            params["order_by"] = list(order_by)
        if limit is not None:
            params["limit"] = limit
        return self._ask("GET", "/runs", lambda a: run_page_from_json(a)[0], params=params)

    def count_runs(self, project: str | None = None, filter: str | None = None) -> int:
        params = {k: v for k, v in (("project", project), ("filter", filter)) if v}
        params["check_names"] = "false"  # the store's contract, as in search_runs
        return self._ask("GET", "/runs/count", count_from_json, params=params)

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> dict[str, Series]:
        params = {} if keys is None else {"keys": list(keys)}
        if keys is not None and not params["keys"]:
            return {}
        # The binary batch format: a million-point history parses in milliseconds.
        path = f"/runs/{_quote(run_id)}/history"
        response = self.http.request(
            "GET",
            path,
            params=params,
            headers={"Accept": f"{BATCH_CONTENT_TYPE}, application/json;q=0.5"},
        )
        try:
            if response.headers.get("content-type", "").startswith(BATCH_CONTENT_TYPE):
                return decode_batch(response.content).metrics
            return history_from_json(response.json())
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise self._unreadable("GET", path, exc) from None

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return self._ask(
            "GET",
            f"/projects/{_quote(project)}/resumable",
            lambda a: None if a is None else run_from_json(a),
            params={"resume_key": resume_key},
        )

    def project_keys(self, project: str) -> ProjectKeys:
        return self._ask("GET", f"/projects/{_quote(project)}/keys", keys_from_json)

    def runs_table(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        columns: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> RunTable:
        body = {
            "project": project,
            "filter": filter,
            "order_by": list(order_by),
            "columns": list(columns),
            "limit": limit,
            "offset": offset,
        }
        return self._ask("POST", "/runs/table", table_from_json, json=body)

    def console(self, run_id: str, after: int = 0, limit: int | None = 1000) -> ConsolePage:
        params: dict[str, Any] = {"after": after}
        if limit is not None:
            params["limit"] = limit
        else:  # the server pages its answers: gather every page
            return self._whole_console(run_id, after)
        path = f"/runs/{_quote(run_id)}/console"
        return self._ask("GET", path, console_from_json, params=params)

    def _whole_console(self, run_id: str, after: int) -> ConsolePage:
        lines = []
        while True:
            page = self.console(run_id, after, CONSOLE_PAGE_MAX)
            lines.extend(page.lines)
            if not page.lines or page.lines[-1].line >= page.total:
                return ConsolePage(lines, page.total)
            after = page.lines[-1].line

    # --- media -------------------------------------------------------------
    def media_keys(self, run_id: str) -> list[MediaKey]:
        path = f"/runs/{_quote(run_id)}/media"
        return self._ask("GET", path, lambda a: [media_key_from_json(k) for k in a])

    def media(
        self,
        run_id: str,
        key: str,
        *,
        first_step: int | None = None,
        last_step: int | None = None,
        limit: int | None = None,
    ) -> list[MediaItem]:
        asked = {"key": key, "first_step": first_step, "last_step": last_step, "limit": limit}
        params = {k: v for k, v in asked.items() if v is not None}
        path = f"/runs/{_quote(run_id)}/media/items"
        return self._ask("GET", path, lambda a: [media_item_from_json(m) for m in a], params=params)

    # --- artifacts ---------------------------------------------------------
    def run_files(self, run_id: str) -> list[FileEntry]:
        path = f"/runs/{_quote(run_id)}/files"
        return self._ask("GET", path, lambda a: [file_from_json(f) for f in a])

    def artifact(self, project: str, ref: str) -> ArtifactVersion:
        path = f"/projects/{_quote(project)}/artifacts/{_quote(ref)}"
        return self._ask("GET", path, artifact_from_json)

    def artifact_by_id(self, version_id: int) -> ArtifactVersion:
        return self._ask("GET", f"/artifacts/{int(version_id)}", artifact_from_json)

    def artifacts(
        self,
        project: str | None = None,
        *,
        created_by: str | None = None,
        used_by: str | None = None,
        name: str | None = None,
    ) -> list[ArtifactVersion]:
        query = {"project": project, "created_by": created_by, "used_by": used_by, "name": name}
        params = {k: v for k, v in query.items() if v is not None}
        return self._ask(
            "GET", "/artifacts", lambda a: [artifact_from_json(v) for v in a], params=params
        )

    def close(self) -> None:
        self.http.close()
