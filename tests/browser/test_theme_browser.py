"""The reader's theme in Chromium: each page type at desktop and phone width, light and dark, passes axe and
never scrolls sideways; dark mode, print and reduced motion change what they should.

Screenshots are kept under tests/artifacts/screenshots/ (gitignored) for people to look at; they are not
compared pixel by pixel."""

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
ARTICLE = "/posts/mission-and-goals"
PAGE_TYPES = {
    "home": "/",
    "article": ARTICLE,
    "archive": "/posts/",
    "tag": "/tags/migration",
    "search": "/search?q=migration",
    "contact": "/contact",
    "login": "/login",
}
WIDTHS = {"desktop": 1280, "phone": 390}


def test_every_page_type_in_both_schemes_and_widths_passes_axe_without_sideways_scroll(browser, live_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width_name, width in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for kind, path in PAGE_TYPES.items():
                response = page.goto(live_server + path)
                assert response is not None and response.status == 200, path
                # Pictures below the fold load lazily: load them so the screenshot shows the whole page.
                page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(SCREENSHOTS / f"theme-{kind}-{width}-{scheme}.png"), full_page=True)
                sideways = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
                if sideways > 0:
                    problems.append(f"{path} at {width} px scrolls {sideways} px sideways")
                if width_name == "desktop" or kind == "home":  # the phone layout differs most there
                    results = Axe().run(page, options=AXE_OPTIONS)
                    if results.violations_count:
                        problems.append(f"{path}, {scheme}, {width} px:\n{results.generate_report()}")
        context.close()
    assert problems == [], "\n".join(problems)


def background_and_text(page) -> tuple[str, str]:
    return page.evaluate("[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]")


def test_dark_mode_print_motion_and_focus(page, live_server):
    page.goto(live_server + ARTICLE)
    page.emulate_media(color_scheme="light")
    light = background_and_text(page)
    page.emulate_media(color_scheme="dark")
    dark = background_and_text(page)
    assert light[0] == "rgb(255, 255, 255)" and dark[0] != light[0] and dark[1] != light[1]

    # The keyboard's focus shows: the skip link first, then a ring on the header's links.
    page.emulate_media(color_scheme="light")
    page.keyboard.press("Tab")
    assert page.get_by_role("link", name="Skip to content").is_visible()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("document.activeElement.textContent") and outline not in ("none", "")

    # Print shows the article alone, black on white, even from a dark screen: no picture or reading time.
    page.emulate_media(media="print", color_scheme="dark")
    hidden_in_print = (".site-header", ".site-nav", ".sidebar", ".comments", "form.comment-form", ".site-footer")
    for hidden in (*hidden_in_print, ".article .featured-image", ".article .meta-reading", ".post-nav"):
        assert page.locator(hidden).count(), hidden
        assert not page.locator(hidden).first.is_visible(), hidden
    assert background_and_text(page) == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"]
    assert page.evaluate("getComputedStyle(document.querySelector('.article h1')).color") == "rgb(0, 0, 0)"
    article = page.locator("article.article")
    assert page.get_by_role("heading", level=1, name="Mission And Goals").is_visible()
    assert article.locator(".post-meta time").is_visible()
    assert article.locator(".post-meta a[rel=author]").inner_text() == "Radhika Agarwal"
    url_line = page.locator(".print-url")
    assert url_line.is_visible() and url_line.inner_text().endswith(live_server + ARTICLE)
    page.emulate_media(media="screen", color_scheme="light")
    assert not url_line.is_visible() and page.locator(".sidebar").is_visible()
    assert page.locator(".article .meta-reading").is_visible()

    page.goto(live_server + "/")
    card_image = "document.querySelector('.post-cards .post-summary-image img')"
    assert page.evaluate(f"getComputedStyle({card_image}).transitionDuration") != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(f"getComputedStyle({card_image}).transitionDuration") == "0s"


def test_short_pages_keep_the_footer_at_the_foot_of_the_window(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 2400})  # taller than any short page
    page = context.new_page()
    for path in ("/contact/thanks", "/search?q=", "/login"):
        page.goto(live_server + path)
        footer_bottom = page.evaluate("document.querySelector('.site-footer').getBoundingClientRect().bottom")
        assert footer_bottom == 2400, path
        assert page.evaluate("document.scrollingElement.scrollHeight") == 2400, path  # and no scroll below
    context.close()


def test_the_comment_form_keeps_a_reading_width_and_its_checkbox_beside_the_label(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + ARTICLE)
    form_width = page.locator("form.comment-form").bounding_box()["width"]
    assert 400 < form_width <= 36 * 16
    box = page.locator("#notify").bounding_box()
    label = page.locator("label[for=notify]").bounding_box()
    assert box["x"] + box["width"] < label["x"] < box["x"] + box["width"] + 16  # beside it, a small gap
    line = label["height"]  # one line of text
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + line / 2)) <= 3
    context.close()
