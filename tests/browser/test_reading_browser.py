"""A reader in Chromium: follows an article from the home page; every page type passes axe."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS

PAGE_TYPES = {
    "home": "/",
    "archive": "/posts/",
    "article": "/posts/mission-and-goals",
    "tag": "/tags/migration",
    "month": "/archive/2024/05",
    "author": "/authors/radhika-agarwal",
    "404": "/no-such-page",
}


def test_reader_opens_the_first_article_from_the_home_page(page, live_server):
    page.goto(live_server + "/")
    first = page.locator("article.post-summary h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(f"{live_server}/posts/**")
    assert page.locator("h1").inner_text() == title
    recent = page.get_by_role("region", name="Recent Posts")
    assert recent.is_visible()
    assert recent.get_by_role("link").count() == 6  # five posts and "See All"
    assert recent.get_by_role("link", name="See All").is_visible()


def test_pages_load_without_console_errors(page, live_server):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for path in ("/", "/posts/the-virtues-of-writing"):
        page.goto(live_server + path)
    assert errors == []  # e.g. a CSP violation from an inline style would show here


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_every_page_type_passes_axe(page, live_server, kind):
    response = page.goto(live_server + PAGE_TYPES[kind])
    assert response.status == (404 if kind == "404" else 200)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_axe_check_bites_on_a_broken_page(page):
    page.set_content("<html><body><img src='x.png'><input type='text'><a href='#'></a></body></html>")
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count >= 3
