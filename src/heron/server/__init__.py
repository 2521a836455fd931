"""The Heron tracking server: ``create_app(store, artifacts, settings)`` (docs/server.md)."""

from __future__ import annotations

from heron.server.app import create_app

__all__ = ["create_app"]
