"""An author in Chromium: logs in, writes, previews and publishes; the login page passes axe.

Every dashboard page is checked with axe, in both colour schemes, in test_dashboard_browser.py."""

from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS

BODY = """Three things I packed:

- a notebook
- a [map of the coast](https://example.com/map)
- patience
"""


def test_author_writes_previews_and_publishes(logged_in_page, live_server):
    page = logged_in_page
    page.get_by_role("link", name="New post").first.click()
    page.get_by_label("Title").fill("Packing For The Coast")
    page.get_by_label("Body").fill(BODY)
    page.get_by_label("Tags").fill("Travel, Lists")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("section.preview")
    assert preview.get_by_role("heading", level=1).inner_text() == "Packing For The Coast"
    assert preview.locator(".article-body li").count() == 3
    assert preview.get_by_role("link", name="map of the coast").get_attribute("href") == "https://example.com/map"
    assert page.get_by_label("Body").input_value() == BODY  # the editor keeps the text under the preview

    page.get_by_role("button", name="Publish").click()
    assert page.get_by_text("Published.").is_visible()

    page.goto(live_server + "/")
    first = page.locator("article.post-feature h3 a")  # the newest post, featured above the cards
    assert first.inner_text() == "Packing For The Coast"
    first.click()
    assert page.locator("article.article").get_by_role("link", name="map of the coast").is_visible()


def test_login_page_with_an_error_passes_axe(page, live_server):
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("The email or password is incorrect.").is_visible()
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
