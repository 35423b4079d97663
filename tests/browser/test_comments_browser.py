"""Readers comment and reply in Chromium, with JavaScript on and off; an author approves a held comment."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS
from .conftest import AUTHOR_EMAIL, AUTHOR_PASSWORD

ARTICLE = "/posts/the-virtues-of-writing"


def write_comment(page, name, email, text):
    form = page.locator("#comment-form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Comment", exact=True).fill(text)
    page.wait_for_timeout(1100)  # the live server's COMMENT_MIN_SECONDS is 1: people don't post at once
    form.get_by_role("button", name="Post comment").click()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_reader_comments_and_another_replies(browser, live_server, javascript):
    first = browser.new_context(java_script_enabled=javascript).new_page()
    first.goto(live_server + ARTICLE)
    write_comment(first, f"Ola {javascript}", f"ola-{javascript}@example.com", f"Lovely piece ({javascript}).")
    held = first.locator("li.comment").filter(has_text=f"Lovely piece ({javascript}).")
    assert held.get_by_text("Your comment is awaiting moderation").is_visible()

    # An author approves it from the dashboard.
    author = browser.new_context(java_script_enabled=javascript).new_page()
    author.goto(live_server + "/login")
    author.get_by_label("Email").fill(AUTHOR_EMAIL)
    author.get_by_label("Password").fill(AUTHOR_PASSWORD)
    author.get_by_role("button", name="Log in").click()
    author.goto(live_server + "/admin/comments")
    item = author.locator("li.queue-item").filter(has_text=f"Lovely piece ({javascript}).")
    item.get_by_role("button", name="Approve").click()
    assert author.get_by_text("Approved.").is_visible()

    # Another reader sees it and replies through its Reply link.
    second = browser.new_context(java_script_enabled=javascript).new_page()
    second.goto(live_server + ARTICLE)
    comment = second.locator("li.comment").filter(has_text=f"Lovely piece ({javascript}).")
    assert comment.is_visible()
    comment.get_by_role("link", name="Reply").click()
    if javascript:  # the form moved under the comment, no page load
        assert comment.locator("#comment-form").is_visible()
    else:  # the article reloaded with the form set up for this reply
        assert "reply_to=" in second.url
    assert second.get_by_role("heading", name=f"Reply to Ola {javascript}").is_visible()
    write_comment(second, f"Tom {javascript}", f"tom-{javascript}@example.com", f"I agree ({javascript}).")
    # A first-time reply is held, and its writer sees it nested under the comment it answers.
    parent = second.locator("li.comment").filter(has_text=f"Lovely piece ({javascript}).").first
    reply = parent.locator("li.comment").filter(has_text=f"I agree ({javascript}).")
    assert reply.is_visible() and reply.get_by_text("awaiting moderation").is_visible()


def test_article_with_comments_and_queue_pass_axe(browser, live_server, logged_in_page):
    page = logged_in_page
    for path in (ARTICLE, ARTICLE + "?reply_to=1", "/admin/comments", "/admin/comments?status=approved"):
        page.goto(live_server + path)
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, f"{path}\n{results.generate_report()}"
