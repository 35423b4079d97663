"""The settings page in Chromium: an owner changes the site's name, accent colour and navigation, and the
home page shows them at once."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from blog.settings import theme

from ..helpers import AXE_OPTIONS
from .conftest import demo_site, log_in_as_author


@pytest.fixture(scope="module")
def own_site(tmp_path_factory):
    """A server of this module's own: the shared one keeps its name and colours for the other tests."""
    with demo_site(tmp_path_factory) as url:
        yield url


def test_change_name_accent_and_navigation_and_see_them_on_the_home_page(page, own_site):
    log_in_as_author(page, own_site)
    page.goto(own_site + "/admin/settings")
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()

    page.get_by_label("Site name").fill("Harbour Log")
    page.get_by_label("Accent colour").fill("#bb5522")
    page.get_by_label("Accent colour").fill("not a colour")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Enter a colour as # and 6 (or 3) hexadecimal digits").is_visible()
    assert page.get_by_label("Site name").input_value() == "Harbour Log"
    page.get_by_label("Accent colour").fill("#bb5522")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Settings saved: readers see them now.").is_visible()
    assert page.get_by_role("cell", name="Site name", exact=True).is_visible()

    page.get_by_role("link", name="Navigation page").click()
    page.get_by_label("Link text").fill("Coast")
    page.get_by_label("Address").fill("/tags/coast")
    page.get_by_role("button", name="Add link").click()
    assert page.get_by_text("Added “Coast” to the navigation.").is_visible()

    reader = page.context.browser.new_page()
    reader.goto(own_site + "/")
    assert reader.title() == "Harbour Log"
    assert reader.locator(".site-name").inner_text() == "Harbour Log"
    header = reader.get_by_role("navigation", name="Main")
    assert header.get_by_role("link", name="Coast").get_attribute("href") == "/tags/coast"
    accent = reader.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    expected = theme.shades("#bb5522")
    assert accent == expected["light"]["--accent"]
    reader.emulate_media(color_scheme="dark")
    accent = reader.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert accent == expected["dark"]["--accent"]
    reader.close()
