"""Change notification: the service tells a :class:`Notifier` about every change it
makes. The server's event hub is one (live UI updates over SSE); a local store or a
script has nobody listening, :data:`SILENT`."""

from __future__ import annotations

from typing import Protocol


class Notifier(Protocol):
    def run_changed(self, run: str, project: str, state: str) -> None:
        """The run's record changed (created, edited, ended, deleted: state "deleted")."""

    def points(
        self, run: str, project: str, keys: list[str] | None, last_step: int | None, seq: int
    ) -> None:
        """New metric points for ``keys`` (None: unknown which) up to spool position seq."""

    def console(self, run: str, project: str, seq: int) -> None:
        """The run printed lines."""

    def forget(self, run: str) -> None:
        """The run is gone: drop what is remembered of it."""


class _Silent:
    def run_changed(self, run: str, project: str, state: str) -> None:
        pass

    def points(
        self, run: str, project: str, keys: list[str] | None, last_step: int | None, seq: int
    ) -> None:
        pass

    def console(self, run: str, project: str, seq: int) -> None:
        pass

    def forget(self, run: str) -> None:
        pass


SILENT: Notifier = _Silent()
