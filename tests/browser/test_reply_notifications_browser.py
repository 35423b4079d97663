"""A reader asks for reply mails in Chromium, confirms from the mail, then unsubscribes from its link."""

import re

from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS
from .conftest import demo_site

ARTICLE = "/posts/the-virtues-of-writing"


def link_in(message, path: str) -> str:
    return re.search(r"http://\S+" + re.escape(path) + r"\S+", message.get_body(("plain",)).get_content()).group(0)


def test_reader_ticks_the_box_confirms_and_unsubscribes(browser, tmp_path_factory, smtp):
    smtp.start()
    with demo_site(tmp_path_factory, COMMENT_MODERATION="none", **smtp.settings()) as site_url:
        reader = browser.new_context().new_page()  # axe needs JavaScript to run
        reader.goto(site_url + ARTICLE)
        form = reader.locator("#comment-form")
        form.get_by_label("Name", exact=True).fill("Nia Reader")
        form.get_by_label("Email", exact=True).fill("nia@example.com")
        form.get_by_label("Comment", exact=True).fill("Tell me when someone answers.")
        box = form.get_by_label("Email me when someone replies")
        assert not box.is_checked()
        box.check()
        results = Axe().run(reader, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()
        reader.wait_for_timeout(1100)  # the live server's minimum time
        form.get_by_role("button", name="Post comment").click()
        assert reader.locator("li.comment").filter(has_text="Tell me when someone answers.").is_visible()

        [mail] = smtp.messages
        reader.goto(link_in(mail, "/notifications/confirm/"))
        results = Axe().run(reader, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()
        reader.get_by_role("button", name="Confirm").click()
        assert reader.get_by_text("Confirmed: nia@example.com").is_visible()

        reader.goto(link_in(mail, "/notifications/unsubscribe/"))
        results = Axe().run(reader, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()
        reader.get_by_role("button", name="Unsubscribe from everything").click()
        assert reader.get_by_text("nia@example.com gets no more mail from this blog.").is_visible()
        # The commenter cookie from posting, and no session: these pages set no cookie of their own.
        assert [cookie["name"] for cookie in reader.context.cookies()] == ["commenter"]
