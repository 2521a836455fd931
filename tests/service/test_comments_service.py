"""``heron.service.comments``: a thread per run, authors' and admins' rights, limits,
on both SQL backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.artifacts.local import LocalArtifactStore
from heron.errors import Forbidden, InvalidInput, NotFound
from heron.service import Caller, Tracking
from heron.service import comments as service_comments
from heron.service.comments import MAX_COMMENT_BYTES, Comments
from heron.store.sql import SqlStore
from tests.store.helpers import new_run


@pytest.fixture
def tracking(store: SqlStore, tmp_path: Path) -> Tracking:
    return Tracking(store, LocalArtifactStore(tmp_path / "blobs"))


def acting(tracking: Tracking, name: str, role: str | None) -> Comments:
    roles = {} if role is None else {"proj": role}
    return Comments(tracking.with_caller(Caller(name, roles=roles, account=True)))  # type: ignore[arg-type]


def test_a_thread_in_order_with_authors_and_edits(tracking: Tracking, store: SqlStore) -> None:
    run = new_run(store).id
    alice, bob = acting(tracking, "alice", "editor"), acting(tracking, "bob", "editor")
    first = alice.add(run, "Loss **spikes** at step 3k")
    second = bob.add(run, "lr too high?")
    assert [(c.author, c.body) for c in alice.thread(run)] == [
        ("alice", "Loss **spikes** at step 3k"),
        ("bob", "lr too high?"),
    ]
    assert first.edited_at is None
    edited = alice.edit(run, first.id, "Loss spikes at step 3,000")
    assert edited.edited_at is not None and edited.body == "Loss spikes at step 3,000"
    with pytest.raises(Forbidden, match="only its author"):
        bob.edit(run, first.id, "not mine")
    with pytest.raises(Forbidden, match="only its author or a project admin"):
        bob.delete(run, first.id)
    bob.delete(run, second.id)
    assert [c.id for c in alice.thread(run)] == [first.id]
    with pytest.raises(NotFound):
        alice.edit(run, second.id, "gone")
    other = new_run(store).id
    with pytest.raises(NotFound):  # a comment belongs to its run
        alice.delete(other, first.id)


def test_admins_delete_any_comment_and_viewers_only_read(
    tracking: Tracking, store: SqlStore
) -> None:
    run = new_run(store).id
    said = acting(tracking, "alice", "editor").add(run, "hello")
    viewer = acting(tracking, "vera", "viewer")
    assert [c.body for c in viewer.thread(run)] == ["hello"]
    with pytest.raises(Forbidden):
        viewer.add(run, "me too")
    with pytest.raises(Forbidden):
        acting(tracking, "nobody", None).thread(run)
    with pytest.raises(Forbidden, match="may not edit"):
        acting(tracking, "pat", "admin").edit(run, said.id, "admins do not rewrite")
    acting(tracking, "pat", "admin").delete(run, said.id)
    assert Comments(tracking).thread(run) == []


def test_limits_unknown_runs_and_deletion(
    tracking: Tracking, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    comments = Comments(tracking)
    run = new_run(store).id
    assert comments.add(run, "x").author == "local"  # no accounts: the local caller
    with pytest.raises(InvalidInput, match="limit is 16,384"):
        comments.add(run, "x" * (MAX_COMMENT_BYTES + 1))
    with pytest.raises(InvalidInput, match="needs some text"):
        comments.add(run, "  \n")
    with pytest.raises(NotFound):
        comments.add("nosuchrun0", "hello")
    monkeypatch.setattr(service_comments, "MAX_COMMENTS_PER_RUN", 1)
    with pytest.raises(InvalidInput, match="has 1 comments, the limit"):
        comments.add(run, "two")
    tracking.delete_runs([run], force=True)  # the thread goes with its run
    count = store.transactor.read(
        lambda c: c.exec_driver_sql("SELECT count(*) FROM run_comments").scalar()
    )
    assert count == 0
