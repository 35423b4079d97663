"""A reader searches from the header box in Chromium and opens the first result."""

from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS


def test_reader_searches_and_opens_the_first_result(page, live_server):
    page.goto(live_server + "/posts/the-virtues-of-writing")
    box = page.get_by_label("Search this blog")
    box.fill("migration")
    box.press("Enter")
    page.wait_for_url("**/search?q=migration")
    assert page.get_by_label("Search this blog").input_value() == "migration"
    results = page.locator("li.search-result")
    assert results.count() == 2
    assert results.first.locator("mark").first.inner_text().lower() == "migration"
    first_title = results.first.get_by_role("heading").inner_text()
    results.first.get_by_role("link").click()
    assert page.locator("h1").inner_text() == first_title


def test_search_pages_pass_axe(page, live_server):
    for path in ("/search?q=migration", "/search?q=zebra", "/search?q=", "/contact", "/contact/thanks"):
        page.goto(live_server + path)
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, f"{path}\n{results.generate_report()}"
