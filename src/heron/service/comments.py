"""Run comments: a thread per run, shown on the run page.

The rules: reading a run's thread needs ``read`` on its project; adding a comment
needs ``write`` (the caller's name is its author: the signed-in account, or ``local``
on a store or server without accounts); a comment is edited only by its author, and
deleted by its author or by an admin of the project (a site admin included), all
through the one authorisation check. A comment is Markdown of at most
:data:`MAX_COMMENT_BYTES`; a run holds at most :data:`MAX_COMMENTS_PER_RUN`. A run's
comments go with it when it is deleted.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import Connection

from heron.errors import Forbidden, InvalidInput
from heron.keys import check_text
from heron.service.reports import transactor
from heron.service.runs import Tracking
from heron.store import comments_sql
from heron.store.comments_sql import Comment

MAX_COMMENT_BYTES = 16 * 1024  # a comment's Markdown, in bytes of UTF-8
MAX_COMMENTS_PER_RUN = 1000

__all__ = ["MAX_COMMENTS_PER_RUN", "MAX_COMMENT_BYTES", "Comment", "Comments"]


class Comments:
    """Runs' comment threads, acting for ``tracking``'s caller."""

    def __init__(self, tracking: Tracking) -> None:
        self._tracking = tracking
        self._tx = transactor(tracking, "comments")

    def _project(self, run_id: str) -> str:
        return self._tracking.project_of(run_id)  # NotFound for an unknown run

    def thread(self, run_id: str) -> list[Comment]:
        """The run's comments, oldest first."""
        self._tracking.authorize("read", self._project(run_id))
        return self._tx.read(lambda c: comments_sql.thread(c, run_id))

    def add(self, run_id: str, body: str) -> Comment:
        self._tracking.authorize("write", self._project(run_id))
        body = _body(body)
        author, now = self._tracking.caller.name, time.time()

        def work(conn: Connection) -> Comment:
            if comments_sql.count(conn, run_id) >= MAX_COMMENTS_PER_RUN:
                raise InvalidInput(
                    f"run {run_id!r} has {MAX_COMMENTS_PER_RUN} comments, the limit; "
                    "delete one first"
                )
            return comments_sql.add(conn, run_id, author, body, now)

        return self._tx.write(work)

    def edit(self, run_id: str, comment_id: int, body: str) -> Comment:
        """Change a comment's text: its author only."""
        self._tracking.authorize("write", self._project(run_id))
        body = _body(body)
        caller, now = self._tracking.caller, time.time()

        def work(conn: Connection) -> Comment:
            found = comments_sql.one(conn, run_id, comment_id)
            if found.author != caller.name:
                raise Forbidden(
                    f"{caller.name} may not edit comment {comment_id}: "
                    f"only its author ({found.author}) may"
                )
            return comments_sql.edit(conn, run_id, comment_id, body, now)

        return self._tx.write(work)

    def delete(self, run_id: str, comment_id: int) -> None:
        """Delete a comment: its author, or an admin of the run's project."""
        project = self._project(run_id)
        self._tracking.authorize("write", project)
        caller = self._tracking.caller

        def work(conn: Connection) -> str:
            found = comments_sql.one(conn, run_id, comment_id)
            if found.author != caller.name and not caller.may("admin", project):
                raise Forbidden(
                    f"{caller.name} may not delete comment {comment_id} of {found.author}: "
                    "only its author or a project admin may"
                )
            comments_sql.remove(conn, run_id, comment_id)
            return found.author

        author = self._tx.write(work)
        if author != caller.name:  # an admin's moderation is worth a line in the audit log
            self._tracking.audit("comment.delete", f"{run_id}/{comment_id}", {"author": author})


def _body(body: object) -> str:
    text = check_text(body, "a comment", MAX_COMMENT_BYTES)
    if not text.strip():
        raise InvalidInput("a comment needs some text")
    return text
