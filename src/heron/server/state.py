"""What every route needs, built once per app by ``create_app`` and reached through
``request.app.state.heron`` (never a module global: several apps may share a process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from heron.artifacts.base import ArtifactStore
from heron.server.events import EventHub
from heron.server.metrics import ServerMetrics
from heron.settings import Settings
from heron.store.base import Store

_MAX_CACHED_PROJECTS = 100_000


@dataclass
class ServerState:
    store: Store
    artifacts: ArtifactStore
    settings: Settings
    hub: EventHub
    metrics: ServerMetrics
    ping_seconds: float = 15.0  # SSE keep-alive comment interval
    _projects: dict[str, str] = field(default_factory=dict)

    def project_of(self, run_id: str) -> str:
        """The run's project (a run never moves, so the answer is cached)."""
        project = self._projects.get(run_id)
        if project is None:
            project = self.store.get_run(run_id).project
            if len(self._projects) >= _MAX_CACHED_PROJECTS:
                self._projects.clear()
            self._projects[run_id] = project
        return project


def server_state(request: Request) -> ServerState:
    """The FastAPI dependency every route takes."""
    state: ServerState = request.app.state.heron
    return state
