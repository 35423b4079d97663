"""The forgotten-password journey in Chromium, the link read from the mail the SMTP server got; axe on its pages."""

import re

from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS
from .conftest import AUTHOR_EMAIL, AUTHOR_PASSWORD, demo_site

NEW_PASSWORD = "a brand new passphrase"


def assert_axe_clean(page):
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_an_author_resets_a_forgotten_password_from_the_mail(browser, tmp_path_factory, smtp):
    smtp.start()
    with demo_site(tmp_path_factory, **smtp.settings()) as site:
        laptop = browser.new_context().new_page()  # logged in elsewhere: that session ends
        laptop.goto(site + "/login")
        laptop.get_by_label("Email").fill(AUTHOR_EMAIL)
        laptop.get_by_label("Password").fill(AUTHOR_PASSWORD)
        laptop.get_by_role("button", name="Log in").click()
        laptop.wait_for_url(site + "/admin/")

        page = browser.new_context().new_page()
        page.goto(site + "/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.wait_for_url(site + "/reset-password")
        assert_axe_clean(page)
        page.get_by_label("Email").fill(AUTHOR_EMAIL)
        page.get_by_role("button", name="Send reset link").click()
        page.wait_for_url(site + "/reset-password/sent")
        assert page.get_by_role("heading", name="Check your mail").is_visible()
        assert_axe_clean(page)

        for _ in range(300):  # the mail goes out once the answer has been sent
            if smtp.received:
                break
            page.wait_for_timeout(100)
        [message] = smtp.messages
        plain = message.get_body(("plain",)).get_content()
        [link] = re.findall(r"http://127\.0\.0\.1:\d+/reset-password/\S+", plain)

        page.goto(link)
        page.wait_for_url(site + "/reset-password/new")
        assert_axe_clean(page)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat new password").fill("not the same at all")
        page.get_by_role("button", name="Set new password").click()
        assert page.get_by_text("The new passwords do not match.").is_visible()
        assert_axe_clean(page)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set new password").click()
        page.wait_for_url(site + "/admin/")
        assert page.get_by_text("Your new password is set").is_visible()

        laptop.goto(site + "/admin/")
        assert "/login" in laptop.url  # every other session has ended

        used = browser.new_context().new_page()
        used.goto(link)
        assert used.get_by_role("heading", name="This link no longer works").is_visible()
        assert_axe_clean(used)
        used.get_by_role("link", name="Ask for a new link").click()
        used.wait_for_url(site + "/reset-password")
