"""Lineage: datasets and artifacts -> runs -> checkpoints -> registered model versions.

A graph around one run or one model version, ``depth`` hops out, built from what the
store already records:

=================  ==================================================================
edge               from the record
=================  ==================================================================
dataset -> run     the run hashed it (``run.use_dataset``: ``system.datasets.<name>``)
artifact -> run    the run used that version (``run.use_artifact``)
run -> artifact    the run logged that version (``log_artifact``, ``log_checkpoint``)
artifact -> model  a registered model version points at that artifact version
run -> model       the model version's run, when its artifact came from elsewhere
run -> run         ``reproduces``: ``heron reproduce --run`` (``system.reproduction.of``)
=================  ==================================================================

Node ids: ``run:<id>``, ``dataset:<digest>``, ``artifact:<version id>`` (kind
``checkpoint`` for checkpoints), ``model:<name>/<version>``. A dataset is identified by
its digest (the same bytes under two names are one node; its ``names`` list them).

Authorisation is that of run reads: the starting run (or, for a model version, the
registry) must be readable by the caller, and nodes of projects the caller may not
read are left out of the graph, with their edges. Limits: ``depth`` 0..``MAX_DEPTH``;
at most ``max_nodes`` nodes (``truncated`` says when more were reachable); the model
versions of at most ``MAX_MODELS`` registered models are looked at; "which runs used
this dataset" without a dataset name reads runs' records, newest first, up to
``MAX_SCAN`` runs (with a name it is one indexed query).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from heron.errors import InvalidInput, NotFound
from heron.registry.base import ModelVersion, Registry
from heron.service.access import authorize_somewhere
from heron.service.runs import Tracking
from heron.store.base import ArtifactVersion, RunInfo

NodeKind = Literal["run", "dataset", "artifact", "checkpoint", "model_version"]
EdgeKind = Literal["input", "output", "registered", "reproduces"]
Direction = Literal["both", "up", "down"]

MAX_DEPTH = 10
DEFAULT_DEPTH = 2
MAX_NODES = 500
MAX_MODELS = 1000
MAX_SCAN = 20_000
_PAGE = 500
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Node:
    id: str
    kind: NodeKind
    label: str
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "data": self.data}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "target": self.target, "kind": self.kind}


@dataclass
class Graph:
    root: str
    depth: int
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)  # hops from the root
    truncated: bool = False

    def of_kind(self, kind: NodeKind) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "depth": self.depth,
            "truncated": self.truncated,
            "nodes": [
                {**n.to_json(), "level": self.levels.get(n.id, 0)} for n in self.nodes.values()
            ],
            "edges": [e.to_json() for e in self.edges.values()],
        }


@dataclass(frozen=True)
class TrainingData:
    """What trained a model version: its run(s) and the datasets and artifacts upstream."""

    model_version: ModelVersion
    runs: list[Node]
    datasets: list[Node]
    artifacts: list[Node]
    graph: Graph

    def to_json(self) -> dict[str, Any]:
        mv = self.model_version
        return {
            "model": mv.model,
            "version": mv.version,
            "stage": mv.stage,
            "aliases": list(mv.aliases),
            "runs": [n.to_json() for n in self.runs],
            "datasets": [n.to_json() for n in self.datasets],
            "artifacts": [n.to_json() for n in self.artifacts],
        }


def check_depth(depth: int) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth must be an integer from 0 to {MAX_DEPTH}, got {depth!r}")
    return depth


def check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise InvalidInput(f"a dataset digest is 'sha256:' and 64 hex digits, got {digest!r}")
    return digest


def _quoted_name(name: str) -> str:
    if "`" in name:
        raise InvalidInput(f"dataset name {name!r} cannot be searched (it holds a backquote)")
    return f"`{name}`"


class Lineage:
    """The lineage questions, for ``tracking``'s caller (see the module doc)."""

    def __init__(
        self, tracking: Tracking, registry: Registry | None, *, max_nodes: int = MAX_NODES
    ) -> None:
        self.tracking = tracking
        self.registry = registry
        self.max_nodes = max_nodes
        self._versions: list[ModelVersion] | None = None

    # --- the questions ----------------------------------------------------------------
    def of_run(
        self, run_id: str, depth: int = DEFAULT_DEPTH, direction: Direction = "both"
    ) -> Graph:
        """The graph around run ``run_id`` (NotFound, Forbidden as a run read)."""
        info = self.tracking.get_run(run_id)
        return self._walk(_run_node(info), check_depth(depth), direction)

    def of_model_version(
        self, model: str, ref: str, depth: int = DEFAULT_DEPTH, direction: Direction = "both"
    ) -> Graph:
        """The graph around a model version (``ref``: a version number, a stage or an
        alias)."""
        mv = self._registry().resolve(model, str(ref))
        return self._walk(_model_node(mv), check_depth(depth), direction)

    def runs_using_dataset(
        self, digest: str, *, name: str | None = None, project: str | None = None
    ) -> list[RunInfo]:
        """Runs (newest first) that hashed a dataset with this digest, under ``name``
        when given (one indexed query), else under any name (reads up to
        ``MAX_SCAN`` runs' records). Only runs of projects the caller may read."""
        check_digest(digest)
        caller = self.tracking.caller
        if project is not None:
            self.tracking.authorize("read", project)
        elif not caller.may_somewhere("read"):
            authorize_somewhere(caller, "read", "runs")
        store = self.tracking.store
        if name is not None:
            query = f'datasets.{_quoted_name(name)}.digest = "{digest}"'
            found = store.search_runs(project, query)
        else:
            found = [r for r in self._scan(project) if digest in _dataset_digests(r)]
        return [r for r in found if caller.may("read", r.project)]

    def training_data(self, model: str, ref: str, depth: int = 6) -> TrainingData:
        """Which data trained model ``model`` at ``ref`` (a stage such as
        ``Production``, an alias or a version number): the runs upstream of it and the
        datasets and artifacts they used, ``depth`` hops up."""
        mv = self._registry().resolve(model, str(ref))
        graph = self._walk(_model_node(mv), check_depth(depth), "up")
        artifacts = [n for n in graph.nodes.values() if n.kind in ("artifact", "checkpoint")]
        used = {e.source for e in graph.edges.values() if e.kind == "input"}
        return TrainingData(
            mv,
            graph.of_kind("run"),
            graph.of_kind("dataset"),
            [a for a in artifacts if a.id in used],
            graph,
        )

    # --- the walk -----------------------------------------------------------------------
    def _registry(self) -> Registry:
        if self.registry is None:
            raise NotFound("this store has no model registry")
        authorize_somewhere(self.tracking.caller, "read", "the model registry")
        return self.registry

    def _walk(self, root: Node, depth: int, direction: Direction) -> Graph:
        graph = Graph(root.id, depth)
        graph.nodes[root.id] = root
        graph.levels[root.id] = 0
        frontier = [root]
        for level in range(1, depth + 1):
            following: list[Node] = []
            for node in frontier:
                for other, edge in self._neighbours(node):
                    # towards the inputs: other -> node (a reproduction: its original)
                    upstream = (
                        edge.source if edge.kind == "reproduces" else edge.target
                    ) == node.id
                    if direction != "both" and upstream != (direction == "up"):
                        continue
                    known = graph.nodes.get(other.id)
                    if known is not None and known.kind == "dataset":
                        names = known.data["names"]  # the same bytes under another name
                        names.extend(n for n in other.data["names"] if n not in names)
                    if known is None:
                        if len(graph.nodes) >= self.max_nodes:
                            graph.truncated = True
                            continue
                        graph.nodes[other.id] = other
                        graph.levels[other.id] = level
                        following.append(other)
                    graph.edges[(edge.source, edge.target, edge.kind)] = edge
            frontier = following
            if not frontier:
                break
        return graph

    def _neighbours(self, node: Node) -> Iterator[tuple[Node, Edge]]:
        if node.kind == "run":
            yield from self._around_run(node)
        elif node.kind == "dataset":
            yield from self._around_dataset(node)
        elif node.kind in ("artifact", "checkpoint"):
            yield from self._around_artifact(node)
        else:
            yield from self._around_model(node)

    def _readable(self, project: str) -> bool:
        return self.tracking.caller.may("read", project)

    def _around_run(self, node: Node) -> Iterator[tuple[Node, Edge]]:
        run_id = node.data["id"]
        store = self.tracking.store
        info = store.get_run(run_id)
        for name, data in _datasets(info):
            ds = _dataset_node(name, data)
            yield ds, Edge(ds.id, node.id, "input")
        for a in store.artifacts(used_by=run_id):
            if self._readable(a.project):
                yield _artifact_node(a), Edge(f"artifact:{a.id}", node.id, "input")
        produced = store.artifacts(created_by=run_id)
        for a in produced:
            if self._readable(a.project):
                yield _artifact_node(a), Edge(node.id, f"artifact:{a.id}", "output")
        made = {a.id for a in produced}
        for mv in self._model_versions():
            if mv.run_id == run_id and mv.artifact_id not in made:
                yield _model_node(mv), Edge(node.id, _model_id(mv), "registered")
        of = _reproduction_of(info)
        if of is not None:
            try:
                original = store.get_run(of)
            except NotFound:
                original = None
            if original is not None and self._readable(original.project):
                yield _run_node(original), Edge(node.id, f"run:{of}", "reproduces")
        for r in store.search_runs(None, f'system.reproduction.of = "{run_id}"'):
            if self._readable(r.project):
                yield _run_node(r), Edge(f"run:{r.id}", node.id, "reproduces")

    def _around_dataset(self, node: Node) -> Iterator[tuple[Node, Edge]]:
        digest = node.data["digest"]
        query = " or ".join(
            f'datasets.{_quoted_name(n)}.digest = "{digest}"'
            for n in node.data["names"]
            if "`" not in n
        )
        if not query:
            return
        for r in self.tracking.store.search_runs(None, query, limit=self.max_nodes):
            if self._readable(r.project):
                yield _run_node(r), Edge(node.id, f"run:{r.id}", "input")

    def _around_artifact(self, node: Node) -> Iterator[tuple[Node, Edge]]:
        store = self.tracking.store
        a = store.artifact_by_id(node.data["version_id"])
        for run_id, kind in [(a.created_by, "output"), *((u, "input") for u in a.used_by)]:
            if run_id is None:
                continue
            try:
                info = store.get_run(run_id)
            except NotFound:
                continue
            if not self._readable(info.project):
                continue
            if kind == "output":
                yield _run_node(info), Edge(f"run:{run_id}", node.id, "output")
            else:
                yield _run_node(info), Edge(node.id, f"run:{run_id}", "input")
        for mv in self._model_versions():
            if mv.artifact_id == a.id:
                yield _model_node(mv), Edge(node.id, _model_id(mv), "registered")

    def _around_model(self, node: Node) -> Iterator[tuple[Node, Edge]]:
        store = self.tracking.store
        mv = self._registry().get_version(node.data["model"], node.data["version"])
        made_by: str | None = None
        try:
            a = store.artifact_by_id(mv.artifact_id)
        except NotFound:
            a = None
        if a is not None and self._readable(a.project):
            made_by = a.created_by
            yield _artifact_node(a), Edge(f"artifact:{a.id}", node.id, "registered")
        if mv.run_id is not None and mv.run_id != made_by:
            try:
                info = store.get_run(mv.run_id)
            except NotFound:
                return
            if self._readable(info.project):
                yield _run_node(info), Edge(f"run:{info.id}", node.id, "registered")

    def _model_versions(self) -> list[ModelVersion]:
        """Every registered version (of the first ``MAX_MODELS`` models), read once per
        question; none when there is no registry or the caller may not read it."""
        if self._versions is None:
            self._versions = []
            registry = self.registry
            if registry is not None and self.tracking.caller.may_somewhere("read"):
                for model in registry.list_models()[:MAX_MODELS]:
                    self._versions.extend(registry.versions(model.name))
        return self._versions

    def _scan(self, project: str | None) -> Iterator[RunInfo]:
        store = self.tracking.store
        for offset in range(0, MAX_SCAN, _PAGE):
            page = store.search_runs(project, None, (), _PAGE, offset)
            yield from page
            if len(page) < _PAGE:
                return


def _datasets(info: RunInfo) -> list[tuple[str, dict[str, Any]]]:
    found = info.system.get("datasets")
    if not isinstance(found, dict):
        return []
    return [
        (name, data)
        for name, data in sorted(found.items())
        if isinstance(data, dict) and isinstance(data.get("digest"), str)
    ]


def _dataset_digests(info: RunInfo) -> set[str]:
    return {data["digest"] for _, data in _datasets(info)}


def _reproduction_of(info: RunInfo) -> str | None:
    found = info.system.get("reproduction")
    of = found.get("of") if isinstance(found, dict) else None
    return of if isinstance(of, str) else None


def _run_node(info: RunInfo) -> Node:
    return Node(
        f"run:{info.id}",
        "run",
        info.name,
        {"id": info.id, "project": info.project, "state": info.state, "name": info.name},
    )


def _dataset_node(name: str, data: dict[str, Any]) -> Node:
    digest = data["digest"]
    return Node(
        f"dataset:{digest}",
        "dataset",
        name,
        {
            "digest": digest,
            "names": [name],
            "path": data.get("path"),
            "file_count": data.get("file_count"),
            "bytes": data.get("bytes"),
        },
    )


def _artifact_node(a: ArtifactVersion) -> Node:
    return Node(
        f"artifact:{a.id}",
        "checkpoint" if a.type == "checkpoint" else "artifact",
        a.ref,
        {
            "version_id": a.id,
            "project": a.project,
            "name": a.name,
            "version": a.version,
            "type": a.type,
            "digest": a.digest,
            "aliases": list(a.aliases),
        },
    )


def _model_id(mv: ModelVersion) -> str:
    return f"model:{mv.model}/{mv.version}"


def _model_node(mv: ModelVersion) -> Node:
    return Node(
        _model_id(mv),
        "model_version",
        f"{mv.model} v{mv.version}",
        {
            "model": mv.model,
            "version": mv.version,
            "stage": mv.stage,
            "aliases": list(mv.aliases),
            "run_id": mv.run_id,
        },
    )
