"""Two-factor authentication in Chromium: set up from the secret shown on the page, log out, log in with a code.

The site is one of its own: turning two-factor on for the shared live server's author would stop the other
browser tests logging in with a password alone.
"""

import time

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS
from .conftest import AUTHOR_EMAIL, AUTHOR_PASSWORD, demo_site


@pytest.fixture(scope="module")
def two_factor_site(tmp_path_factory):
    with demo_site(tmp_path_factory) as url:
        yield url


def fill_password_step(page, site):
    page.goto(site + "/login")
    page.get_by_label("Email").fill(AUTHOR_EMAIL)
    page.get_by_label("Password").fill(AUTHOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_set_up_two_factor_then_log_in_with_a_code(page, two_factor_site):
    site = two_factor_site
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    fill_password_step(page, site)
    page.wait_for_url(site + "/admin/")

    page.goto(site + "/admin/account")
    page.get_by_role("link", name="Set up two-factor authentication").click()
    page.wait_for_url(site + "/admin/account/two-factor")
    qr_code = page.locator("img.qr-code")
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")  # the data: SVG loads under CSP
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Authentication code").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert page.get_by_role("heading", name="Two-factor authentication is on").is_visible()
    assert page.locator("ul.recovery-codes li").count() == 10
    assert refused == []
    page.goto(site + "/admin/account/two-factor")  # now the page to turn it off
    assert page.get_by_label("Password").is_visible() and page.get_by_label("Authentication code").is_visible()
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()

    page.get_by_role("button", name="Log out").click()
    fill_password_step(page, site)
    page.wait_for_url(site + "/login/code")
    # The password alone is not a login.
    page.goto(site + "/admin/")
    assert "/login" in page.url
    fill_password_step(page, site)
    page.wait_for_url(site + "/login/code")
    page.get_by_label("Authentication code").fill("000000" if totp.at(time.time() + 30) != "000000" else "999999")
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_text("That code is not right").is_visible()
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
    # The next step's code: fresh whatever step the set-up's code was used in (a used step can't be reused).
    page.get_by_label("Authentication code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(site + "/admin/")
    assert page.get_by_text("Welcome back, Bea Browser.").is_visible()
