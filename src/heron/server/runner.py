"""Running the server: uvicorn, programmatically, one or several worker processes.

``heron server`` and ``heron ui`` build :class:`~heron.settings.Settings` (the
environment, then their flags) and call :func:`serve`; the store is ``settings.store``
(else ``settings.dir``), opened through :func:`heron.connect.connect`.
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
from types import FrameType
from typing import Any

import uvicorn

from heron.settings import Settings

GRACEFUL_SECONDS = 5
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number (malloc.h)


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


def serve(settings: Settings, on_started: Callable[[], None] | None = None) -> None:
    """Serve ``settings.store`` (else ``settings.dir``) on ``settings.server_host`` and
    ``server_port`` with ``server_workers`` processes until SIGINT/SIGTERM.
    ``on_started`` runs once the socket accepts."""
    if settings.server_workers <= 1:
        _serve_one(settings, None, on_started)
        return
    sock = _bind(settings.server_host, settings.server_port)
    context = multiprocessing.get_context("spawn")
    procs = [
        context.Process(target=_serve_one, args=(settings, sock, None), name=f"heron-worker-{i}")
        for i in range(settings.server_workers)
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
    settings: Settings, sock: socket.socket | None, on_started: Callable[[], None] | None
) -> None:
    from heron.connect import connect
    from heron.server.app import create_app

    cap_malloc_arenas()  # before the thread pool starts allocating
    with connect(settings.store or settings.dir, settings=settings, create=True) as conn:
        spool = conn.folder.spool if conn.folder is not None else None
        app = create_app(*conn.maintenance(), settings, spool_root=spool)
        uv_config = uvicorn.Config(
            app,
            host=settings.server_host,
            port=settings.server_port,
            log_level=settings.server_log_level,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
            lifespan="on",
        )
        server = _Server(uv_config, on_started)
        server.run(sockets=[sock] if sock is not None else None)
