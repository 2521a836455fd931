"""Running the server: uvicorn, programmatically, one or several worker processes.

``heron server`` and ``heron ui`` build a :class:`ServeConfig` and call :func:`serve`.
SIGINT and SIGTERM stop it cleanly: live event streams are ended first (otherwise
uvicorn would wait on them forever), in-flight requests get a few seconds, the
lifespan stops the background tasks, and the store is closed.

Several workers share one listening socket, bound here and handed to each process
(the way uvicorn's own supervisor does it); each worker opens its own store, which is
safe because the server keeps no state outside the store.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import platform
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from heron.settings import Settings

GRACEFUL_SECONDS = 5
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number (malloc.h)


@dataclass(frozen=True)
class ServeConfig:
    store_url: str
    artifacts_url: str
    host: str = "127.0.0.1"
    port: int = 5310
    spool_root: str | None = None  # the local store's spool folder (see create_app)
    log_level: str = "info"


class _Server(uvicorn.Server):
    """uvicorn's server, ending event streams on shutdown and announcing readiness."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """As uvicorn's, but a stop by SIGINT/SIGTERM is a clean exit (status 0), not
        the signal raised again once the server has shut down."""
        with super().capture_signals():
            try:
                yield
            finally:
                self._captured_signals.clear()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        app: Any = self.config.app
        state = getattr(getattr(app, "state", None), "heron", None)
        if state is not None:
            state.hub.close()
        super().handle_exit(sig, frame)


def serve(
    config: ServeConfig, workers: int = 1, on_started: Callable[[], None] | None = None
) -> None:
    """Serve until SIGINT/SIGTERM. ``on_started`` runs once the socket accepts."""
    if workers <= 1:
        _serve_one(config, None, on_started)
        return
    sock = _bind(config.host, config.port)
    context = multiprocessing.get_context("spawn")
    procs = [
        context.Process(target=_serve_one, args=(config, sock, None), name=f"heron-worker-{i}")
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    if on_started is not None:
        on_started()

    def stop(signum: int, _frame: FrameType | None) -> None:
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for proc in procs:
            proc.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sock.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Limit glibc's malloc to ``arenas`` arenas, as ``MALLOC_ARENA_MAX`` would; True
    when the cap was set.

    The server answers from a thread pool, and glibc gives each thread that allocates
    (numpy buffers of decoded batches) an arena of its own, up to 8 per core, keeping
    freed memory in each: under sustained ingest the resident size crept from 220 to
    395 MiB with the default and stayed flat at 220 MiB with two arenas
    (docs/benchmarks.md). A ``MALLOC_ARENA_MAX`` the user set wins; other C libraries
    are left alone.
    """
    if "MALLOC_ARENA_MAX" in os.environ or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def _serve_one(
    config: ServeConfig, sock: socket.socket | None, on_started: Callable[[], None] | None
) -> None:
    from heron.artifacts import open_artifact_store
    from heron.server.app import create_app
    from heron.store import open_store

    cap_malloc_arenas()  # before the thread pool starts allocating
    settings = Settings.from_env()
    store = open_store(config.store_url)
    try:
        artifacts = open_artifact_store(config.artifacts_url)
        spool = Path(config.spool_root) if config.spool_root else None
        app = create_app(store, artifacts, settings, spool_root=spool)
        uv_config = uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level=config.log_level,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
            lifespan="on",
        )
        server = _Server(uv_config, on_started)
        server.run(sockets=[sock] if sock is not None else None)
    finally:
        store.close()
