"""Reading a run's console page by page, and following it while the run is live.

Lines are numbered 1, 2, 3... (``store.base``, "Console"). A *partial* line (a
progress bar still being redrawn) may change, so a follower holds it back and asks for
it again until it is finished; the lines after it are not held up (stdout goes on
while a bar on stderr is drawn). When the run has ended, what is left comes out as it
is, partial lines too (the last words of a crashed run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from heron.store.base import CONSOLE_PAGE_MAX, ConsoleLine, RunStore

DEFAULT_POLL = 1.0


def console_lines(
    store: RunStore,
    run_id: str,
    after: int = 0,
    *,
    follow: bool = False,
    poll: float = DEFAULT_POLL,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[ConsoleLine]:
    """Lines numbered above ``after``, in order, a page at a time. With ``follow``:
    finished lines as they arrive (a partial one once finished), until the run ends."""
    if not follow:
        while True:
            page = store.console(run_id, after, CONSOLE_PAGE_MAX)
            yield from page.lines
            if len(page.lines) < CONSOLE_PAGE_MAX:
                return
            after = page.lines[-1].line
    held: list[int] = []  # partial lines seen, not given out yet
    while True:
        # The state first: a run that has ended has every line of it in the store.
        ended = store.get_run(run_id).state != "running"
        for number in list(held):
            found = store.console(run_id, number - 1, 1).lines
            if not found or found[0].line != number:
                held.remove(number)  # the run was deleted meanwhile
            elif ended or not found[0].partial:
                held.remove(number)
                yield found[0]
        page = store.console(run_id, after, CONSOLE_PAGE_MAX)
        for line in page.lines:
            if line.partial and not ended:
                held.append(line.line)
            else:
                yield line
        if page.lines:
            after = page.lines[-1].line
        if len(page.lines) == CONSOLE_PAGE_MAX:
            continue  # more to read now
        if ended:
            return
        sleep(poll)
