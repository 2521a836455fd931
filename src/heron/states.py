"""A run's lifecycle states, known to the store, the filter language and the SDK.

``running -> finished | failed (exception) | killed (signal) | crashed (heartbeat lost)
| pruned (stopped early by a sweep's pruner, heron.sweeps)``
"""

from __future__ import annotations

from typing import Literal

RunState = Literal["running", "finished", "failed", "killed", "crashed", "pruned"]
RUN_STATES: tuple[RunState, ...] = ("running", "finished", "failed", "killed", "crashed", "pruned")
TERMINAL_STATES: frozenset[str] = frozenset({"finished", "failed", "killed", "crashed", "pruned"})
