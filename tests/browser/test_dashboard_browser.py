"""Every dashboard page in Chromium: no sideways scroll on a phone, axe in light and dark, screenshots kept.

The screenshots (1280 px wide in light and dark, 390 px in light) go to tests/artifacts/screenshots/ for people to look
at; nothing compares them pixel by pixel.
"""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS
from .conftest import demo_site, log_in_as_author

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots" / "dashboard"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PAGES = [
    "/admin/",
    "/admin/posts",
    "/admin/posts?kind=post&status=draft",
    "/admin/posts/new",
    "/admin/posts/1/edit",
    "/admin/posts/1/delete",
    "/admin/posts/1/revisions",
    "/admin/comments",
    "/admin/messages",
    "/admin/media",
    "/admin/authors",
    "/admin/authors/new",
    "/admin/navigation",
    "/admin/export",
    "/admin/settings",
    "/admin/account",
    "/admin/account/two-factor",
    "/admin/mail/failed",
]
# Pages reached from a link on a list (their ids depend on what the demo and earlier tests made).
LINKED = [
    ("/admin/media", r"/admin/media/\d+/delete"),
    ("/admin/authors", r"/admin/authors/\d+/password"),
    ("/admin/messages", r"/admin/messages/\d+/delete"),
    ("/admin/comments?status=approved", r"/admin/comments/\d+/delete-thread[^\"]*"),
]


def linked_pages(page, site_url) -> list[str]:
    found = []
    for list_path, pattern in LINKED:
        page.goto(site_url + list_path)
        match = re.search(f'href="({pattern})"', page.content())
        if match:
            found.append(match.group(1).replace("&amp;", "&"))
    return found


def file_name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def test_every_dashboard_page_fits_a_phone_and_passes_axe_in_light_and_dark(logged_in_page, live_server):
    page = logged_in_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = PAGES + linked_pages(page, live_server)
    problems = []
    for path in paths:
        name = file_name(path)
        page.set_viewport_size(PHONE)
        page.emulate_media(color_scheme="light")
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        scroll_width, inner_width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if scroll_width > inner_width:
            problems.append(f"{path} at 390 px: {scroll_width - inner_width} px sideways scroll")
        page.screenshot(path=SCREENSHOTS / f"{name}-390-light.png", full_page=True)
        page.set_viewport_size(DESKTOP)
        for scheme in ("dark", "light"):
            page.emulate_media(color_scheme=scheme)
            results = Axe().run(page, options=AXE_OPTIONS)
            if results.violations_count:
                problems.append(f"{path} ({scheme}):\n{results.generate_report()}")
            page.screenshot(path=SCREENSHOTS / f"{name}-1280-{scheme}.png", full_page=True)
    assert len(paths) >= len(PAGES)
    assert not problems, "\n".join(problems)


def test_no_dashboard_page_scrolls_sideways_at_tablet_and_laptop_widths(logged_in_page, live_server):
    """Between a phone and a wide screen the menu takes part of the window: tables become cards, never wider."""
    page = logged_in_page
    paths = PAGES + linked_pages(page, live_server)
    problems = []
    for width in (800, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            response = page.goto(live_server + path)
            assert response is not None and response.status == 200, path
            scroll_width, inner_width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
            if scroll_width > inner_width:
                problems.append(f"{path} at {width} px: {scroll_width - inner_width} px sideways scroll")
            for table in page.locator(".table-wrap").all():  # nor does a table scroll inside its box
                inner, outer = table.evaluate("e => [e.scrollWidth, e.clientWidth]")
                if inner > outer:
                    problems.append(f"{path} at {width} px: a table scrolls {inner - outer} px inside its box")
    assert not problems, "\n".join(problems)


def test_the_menu_is_a_button_on_a_phone_and_always_open_on_a_wide_screen(logged_in_page, live_server):
    page = logged_in_page
    menu = page.get_by_role("navigation", name="Dashboard")
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/admin/posts")
    assert not menu.get_by_role("link", name="Media").is_visible()
    page.get_by_text("Menu", exact=True).click()
    assert menu.get_by_role("link", name="Media").is_visible()
    assert menu.get_by_role("link", name="Posts").get_attribute("aria-current") == "page"
    page.keyboard.press("Escape")  # the script closes it again
    assert not menu.get_by_role("link", name="Media").is_visible()

    page.set_viewport_size(DESKTOP)
    page.reload()
    assert not page.get_by_text("Menu", exact=True).is_visible()
    menu.get_by_role("link", name="Media").click()
    page.wait_for_url(live_server + "/admin/media")
    assert menu.get_by_role("link", name="Media").get_attribute("aria-current") == "page"
    assert page.get_by_role("link", name="View site").get_attribute("href") == "/"


def test_the_editor_puts_the_image_upload_under_the_body_in_its_column(logged_in_page, live_server):
    page = logged_in_page
    for viewport in (DESKTOP, {"width": 1024, "height": 900}, PHONE):
        page.set_viewport_size(viewport)
        page.goto(live_server + "/admin/posts/1/edit")
        body = page.locator("#editor-body").bounding_box()
        upload = page.locator("#editor-upload").bounding_box()
        side = page.locator(".editor-side").bounding_box()
        width = viewport["width"]
        assert upload["y"] >= body["y"] + body["height"], width  # below the body (and its live preview)
        assert abs(upload["x"] - body["x"]) < 1 and abs(upload["width"] - body["width"]) < 1, width  # its width
        beside = side["x"] >= body["x"] + body["width"]
        if beside:  # a wide screen: the publishing column does not cover it
            assert upload["x"] + upload["width"] <= side["x"], width
        else:
            assert side["y"] >= upload["y"] + upload["height"], width
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


LONG_NAME = "Supercalifragilisticexpialidocious-Chronicles-Of-Migration-Research and Everyday Life"


@pytest.fixture(scope="module")
def long_named_site(tmp_path_factory):
    with demo_site(tmp_path_factory, SITE_NAME=LONG_NAME) as url:
        yield url


def test_a_long_site_name_fits_the_phone_headers(page, long_named_site):
    page.set_viewport_size(PHONE)
    log_in_as_author(page, long_named_site)
    for path, header in (("/admin/", ".dash-side"), ("/admin/posts", ".dash-side"), ("/", ".site-header")):
        page.goto(long_named_site + path)
        assert LONG_NAME[:20] in page.locator(header).inner_text(), path
        inner, outer = page.locator(header).evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert inner <= outer, f"{path}: the header is {inner - outer} px too wide"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], path
    # The dashboard's name is cut with an ellipsis, within the bar beside "View site".
    name = page.goto(long_named_site + "/admin/") and page.locator(".dash-site-name").bounding_box()
    view_site = page.get_by_role("link", name="View site").bounding_box()
    assert name["x"] + name["width"] <= view_site["x"]
