"""The server process's allocator set-up (``heron.server.runner.cap_malloc_arenas``)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from heron.server.runner import cap_malloc_arenas

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="malloc arenas are a glibc feature"
)

# Eight threads allocate at once, then glibc describes its arenas (one <heap> each).
_ARENAS_SCRIPT = """
import ctypes, sys, threading
from heron.server.runner import cap_malloc_arenas
capped = cap_malloc_arenas() if sys.argv[1] == "cap" else False
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    blocks = [libc.malloc(4096) for _ in range(2000)]
    barrier.wait()
    for b in blocks:
        libc.free(b)
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc.fdopen.restype = ctypes.c_void_p
out = libc.fdopen(2, b"w")
libc.malloc_info(0, ctypes.c_void_p(out))
libc.fflush(ctypes.c_void_p(out))
print(capped)
"""


def _arenas(mode: str) -> tuple[bool, int]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", _ARENAS_SCRIPT, mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return done.stdout.strip() == "True", done.stderr.count("<heap nr=")


@glibc_only
def test_the_cap_keeps_threads_to_two_arenas() -> None:
    capped, heaps = _arenas("cap")
    assert capped
    assert heaps <= 2
    # Without it the same threads spread over more arenas (what the cap is for).
    capped, heaps = _arenas("default")
    assert not capped
    assert heaps > 2


def test_a_malloc_arena_max_the_user_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert cap_malloc_arenas() is False
