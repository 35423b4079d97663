"""The Indonesian demo site in Chromium: a reader searches from "Cari Blog Ini", an author's editor speaks
Indonesian too (its script reads its words from the page)."""

import pytest

from .conftest import AUTHOR_EMAIL, AUTHOR_PASSWORD, demo_site


@pytest.fixture(scope="module")
def indonesian_site(tmp_path_factory):
    with demo_site(tmp_path_factory, SITE_LANGUAGE="id") as url:
        yield url


def test_reader_searches_migrasi_and_opens_the_indonesian_article_then_the_editor_is_indonesian(page, indonesian_site):
    page.goto(indonesian_site + "/")
    assert page.locator("html").get_attribute("lang") == "id"
    box = page.get_by_label("Cari Blog Ini")
    box.fill("migrasi")
    page.get_by_role("button", name="Cari", exact=True).click()
    page.wait_for_url("**/search?q=migrasi")
    results = page.locator("li.search-result")
    assert results.count() == 1
    title = results.first.get_by_role("heading").inner_text()
    assert title == "IOM di Indonesia: Menemani Orang yang Berpindah"
    results.first.get_by_role("link").first.click()
    assert page.locator("h1").inner_text() == title
    assert "Organisasi Internasional untuk Migrasi" in page.locator("main").inner_text()

    page.get_by_role("link", name="Masuk").click()
    page.get_by_label("Email").fill(AUTHOR_EMAIL)
    page.get_by_label("Kata sandi").fill(AUTHOR_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(indonesian_site + "/admin/")
    page.goto(indonesian_site + "/admin/posts/new")
    page.get_by_role("button", name="Tebal (Ctrl+B)").wait_for()
    page.get_by_label("Isi", exact=True).fill("Satu dua tiga")
    assert page.locator("#editor-stats").inner_text() == "3 kata · 1 menit baca"
    assert page.get_by_role("heading", name="Pratinjau langsung").is_visible()
