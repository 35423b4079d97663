"""Pages in Chromium: the demo's About in the header, a page made in the editor and shown in the navigation, axe."""

from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS


def assert_no_axe_violations(page):
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_write_a_page_show_it_in_the_navigation_and_read_it(logged_in_page, live_server):
    page = logged_in_page
    page.goto(live_server + "/")
    header = page.get_by_role("navigation", name="Main")
    header.get_by_role("link", name="About", exact=True).click()
    assert page.get_by_role("heading", level=1, name="About").is_visible()
    assert page.url == live_server + "/about"

    page.goto(live_server + "/admin/posts/new")
    page.get_by_label("Page", exact=True).check()
    page.get_by_label("Title").fill("Colophon")
    page.get_by_label("Body").fill("Set in the system's own fonts, served by Flask.")
    page.get_by_label("Show in navigation").check()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_text("Published.", exact=True).is_visible()
    assert page.get_by_label("Page", exact=True).is_checked()

    page.goto(live_server + "/posts/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Colophon").click()
    assert page.url == live_server + "/colophon"
    assert page.get_by_role("heading", level=1, name="Colophon").is_visible()
    assert page.get_by_role("link", name="Colophon").get_attribute("aria-current") == "page"
    assert_no_axe_violations(page)
