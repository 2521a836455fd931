"""Failure counting for sign-ins and token use: after ``limit`` failures from one key
(a client address, a user name) within ``window_s``, that key is refused until the
window has passed. In memory, per server process (each worker counts its own)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

MAX_KEYS = 10_000  # the oldest keys are forgotten past this (bounded memory under attack)


class FailureLimiter:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> float | None:
        """Seconds until ``key`` may try again, or None when it may now."""
        at = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return None
            while times and at - times[0] >= self.window_s:
                times.popleft()
            if len(times) < self.limit:
                return None
            return max(1.0, self.window_s - (at - times[0]))

    def failed(self, key: str, now: float | None = None) -> None:
        at = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.pop(key, None) or deque(maxlen=self.limit)
            times.append(at)
            self._failures[key] = times
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
