"""Run comments (issue 16, item 7): a thread on the run page, Markdown rendered safely,
written, edited and deleted by its author ("local" on a server without accounts)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import LiveServer
from tests.web.conftest import screenshot
from tests.web.runs_api import create_runs


def test_a_comment_is_posted_edited_and_deleted(page: Any, server: LiveServer) -> None:
    (run_id,) = create_runs(server.url, "comments-ui", [{"name": "talked-about"}])
    page.goto(f"/p/comments-ui/runs/{run_id}?tab=comments")
    thread = page.locator('[data-view="comments"]')
    expect(thread).to_contain_text("No comments yet.")
    page.get_by_label("New comment (Markdown)").fill("Loss **spikes** at step 3k <b>x</b>")
    page.get_by_role("button", name="Comment", exact=True).click()
    item = thread.locator(".comment").first
    expect(item.locator(".comment-author")).to_have_text("local")
    expect(item.locator("strong", has_text="spikes")).to_be_visible()
    expect(item).to_contain_text("<b>x</b>")  # raw HTML is text
    screenshot(page, "run-comments")

    item.get_by_role("button", name="Edit").click()
    item.get_by_label("Edit comment").fill("Loss spikes at step 3,000")
    item.get_by_role("button", name="Save").click()
    expect(item).to_contain_text("(edited)")
    expect(item).to_contain_text("Loss spikes at step 3,000")

    page.reload()  # saved on the server
    expect(thread.locator(".comment")).to_have_count(1)
    page.once("dialog", lambda d: d.accept())
    thread.locator(".comment").first.get_by_role("button", name="Delete").click()
    expect(thread).to_contain_text("No comments yet.")
