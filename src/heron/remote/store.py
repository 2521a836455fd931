"""``RemoteStore``: the Store protocol over ``heron server``'s REST API."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from heron.errors import InvalidInput
from heron.remote.http import HttpClient
from heron.store.base import (
    CONSOLE_PAGE_MAX,
    ArtifactVersion,
    Batch,
    ConsolePage,
    FileEntry,
    IngestResult,
    ProjectInfo,
    ProjectKeys,
    RunChange,
    RunInfo,
    RunSpec,
    RunTable,
    Series,
)
from heron.wire import (
    BATCH_CONTENT_TYPE,
    artifact_from_json,
    console_from_json,
    decode_batch,
    encode_batch,
    file_from_json,
    float_from_json,
    project_from_json,
    run_from_json,
    series_from_json,
    spec_to_json,
)

# Batches of training curves compress 3-5x; below this size it is not worth the CPU.
_GZIP_ABOVE = 4096


def _maybe_float(value: Any) -> Any:
    """A table cell: the spelled-out non-finite floats back to floats."""
    return float_from_json(value) if value in ("NaN", "Infinity", "-Infinity") else value


def _quote(part: str) -> str:
    return quote(part, safe="")


class RemoteStore:
    """Everything a Store does, answered by a server (``http://host:port``)."""

    def __init__(self, url: str, client: HttpClient | None = None) -> None:
        self.http = client if client is not None else HttpClient(url)
        self.url = self.http.url

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    # --- writing -----------------------------------------------------------
    def create_run(self, spec: RunSpec) -> RunInfo:
        return run_from_json(self.http.json("POST", "/runs", json=spec_to_json(spec)))

    def ingest(self, batch: Batch) -> IngestResult:
        body = encode_batch(batch)
        headers = {"Content-Type": BATCH_CONTENT_TYPE}
        if len(body) > _GZIP_ABOVE:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        answer = self.http.json(
            "POST", f"/runs/{_quote(batch.run_id)}/batches", content=body, headers=headers
        )
        # The server frees what retention orphaned itself: nothing for the client to do.
        return IngestResult(seq=int(answer["seq"]), applied=bool(answer["applied"]))

    def heartbeat(self, run_id: str, at: float) -> None:
        self.http.request("POST", f"/runs/{_quote(run_id)}/heartbeat", json={"at": at})

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        self.http.request(
            "POST", f"/runs/{_quote(run_id)}/crashed", json={"at": at, "reason": reason}
        )

    def stale_runs(self, older_than: float) -> list[str]:
        # The server's own reaper marks runs whose heartbeats stopped.
        return []

    def update_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
    ) -> RunInfo:
        body: dict[str, Any] = {"add_tags": list(add_tags), "remove_tags": list(remove_tags)}
        if name is not None:
            body["name"] = name
        if notes is not None:
            body["notes"] = notes
        return run_from_json(self.http.json("PATCH", f"/runs/{_quote(run_id)}", json=body))

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        answer = self.http.json("POST", "/runs/delete", json={"ids": list(run_ids), "force": True})
        return int(answer["deleted"])

    # --- reading -----------------------------------------------------------
    def list_projects(self) -> list[ProjectInfo]:
        return [project_from_json(p) for p in self.http.json("GET", "/projects")]

    def get_run(self, run_id: str) -> RunInfo:
        return run_from_json(self.http.json("GET", f"/runs/{_quote(run_id)}"))

    def search_runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunInfo]:
        params: dict[str, Any] = {"include_system": "true", "offset": offset}
        if project is not None:
            params["project"] = project
        if filter:
            params["filter"] = filter
        if order_by:
            params["order_by"] = list(order_by)
        if limit is not None:
            params["limit"] = limit
        answer = self.http.json("GET", "/runs", params=params)
        return [run_from_json(r) for r in answer["runs"]]

    def count_runs(self, project: str | None = None, filter: str | None = None) -> int:
        params = {k: v for k, v in (("project", project), ("filter", filter)) if v}
        return int(self.http.json("GET", "/runs/count", params=params)["count"])

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> dict[str, Series]:
        params = {} if keys is None else {"keys": list(keys)}
        if keys is not None and not params["keys"]:
            return {}
        # The binary batch format: a million-point history parses in milliseconds.
        response = self.http.request(
            "GET",
            f"/runs/{_quote(run_id)}/history",
            params=params,
            headers={"Accept": f"{BATCH_CONTENT_TYPE}, application/json;q=0.5"},
        )
        if response.headers.get("content-type", "").startswith(BATCH_CONTENT_TYPE):
            return decode_batch(response.content).metrics
        return {key: series_from_json(s) for key, s in response.json().items()}

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        answer = self.http.json(
            "GET", f"/projects/{_quote(project)}/resumable", params={"resume_key": resume_key}
        )
        return None if answer is None else run_from_json(answer)

    def project_keys(self, project: str) -> ProjectKeys:
        answer = self.http.json("GET", f"/projects/{_quote(project)}/keys")
        return ProjectKeys(
            config=tuple(answer["config"]),
            metrics=tuple(answer["metrics"]),
            summary=tuple(answer["summary"]),
            tags=tuple(answer["tags"]),
        )

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
        answer = self.http.json("POST", "/runs/table", json=body)
        return RunTable(
            total=int(answer["total"]),
            ids=answer["ids"],
            names=answer["names"],
            states=answer["states"],
            groups=answer["groups"],
            tags=answer["tags"],
            created_at=answer["created_at"],
            durations=answer["durations"],
            columns={
                name: [_maybe_float(v) for v in values]
                for name, values in answer["columns"].items()
            },
        )

    def console(self, run_id: str, after: int = 0, limit: int | None = 1000) -> ConsolePage:
        params: dict[str, Any] = {"after": after}
        if limit is not None:
            params["limit"] = limit
        else:  # the server pages its answers: gather every page
            return self._whole_console(run_id, after)
        return console_from_json(
            self.http.json("GET", f"/runs/{_quote(run_id)}/console", params=params)
        )

    def _whole_console(self, run_id: str, after: int) -> ConsolePage:
        lines = []
        while True:
            page = self.console(run_id, after, CONSOLE_PAGE_MAX)
            lines.extend(page.lines)
            if not page.lines or page.lines[-1].line >= page.total:
                return ConsolePage(lines, page.total)
            after = page.lines[-1].line

    def changed_runs(self, since: float) -> list[RunChange]:
        raise InvalidInput(
            "a server pushes changes instead: subscribe to GET /api/v1/events (docs/rest-api.md)"
        )

    # --- artifacts ---------------------------------------------------------
    def run_files(self, run_id: str) -> list[FileEntry]:
        return [file_from_json(f) for f in self.http.json("GET", f"/runs/{_quote(run_id)}/files")]

    def artifact(self, project: str, ref: str) -> ArtifactVersion:
        path = f"/projects/{_quote(project)}/artifacts/{_quote(ref)}"
        return artifact_from_json(self.http.json("GET", path))

    def artifact_by_id(self, version_id: int) -> ArtifactVersion:
        return artifact_from_json(self.http.json("GET", f"/artifacts/{int(version_id)}"))

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
        return [artifact_from_json(a) for a in self.http.json("GET", "/artifacts", params=params)]

    def referenced_digests(self) -> set[str]:
        raise InvalidInput(
            "garbage collection runs where the blobs are: run `heron gc` on the server's "
            "store, not through its HTTP API"
        )

    def close(self) -> None:
        self.http.close()
