"""Autosave in Chromium: typed text is kept while the editor is open, and offered back when it opens again."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from ..helpers import AXE_OPTIONS
from .conftest import demo_site, log_in_as_author


@pytest.fixture(scope="module")
def quick_autosave_site(tmp_path_factory):
    """The demo site with a one-second autosave, so the test needn't wait the default 30 s."""
    with demo_site(tmp_path_factory, AUTOSAVE_SECONDS=1) as url:
        yield url


def autosaved(page, *texts):
    """Waits for the autosave that carries all these texts (an earlier one may have sent less)."""
    return page.expect_response(
        lambda response: (
            response.url.endswith("/autosave")
            and response.request.method == "POST"
            and all(text in (response.request.post_data or "") for text in texts)
        )
    )


def test_typing_is_autosaved_and_restored_after_a_reload(page, quick_autosave_site):
    site = quick_autosave_site
    log_in_as_author(page, site)
    page.goto(site + "/admin/posts/new")
    with autosaved(page, "Notes From The Ferry", "The crossing took an hour.") as first:
        page.get_by_label("Title").fill("Notes From The Ferry")
        page.get_by_label("Body").fill("The crossing took an hour.")
    assert first.value.ok
    edit_url = first.value.json()["edit_url"]
    # The first autosave made the post a draft: the editor now works on it.
    page.wait_for_url(site + edit_url)
    assert page.get_by_role("status").filter(has_text="Unsaved changes kept at").is_visible()

    with autosaved(page, "Dolphins followed", "Sea, Travel") as second:
        page.get_by_label("Body").fill("The crossing took an hour. Dolphins followed the boat.")
        page.get_by_label("Tags").fill("Sea, Travel")
    assert second.value.ok and second.value.url == site + edit_url.replace("/edit", "/autosave")

    page.reload()
    assert page.get_by_text("You have unsaved changes from").is_visible()
    assert page.get_by_label("Body").input_value() == "The crossing took an hour."  # the live draft
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_role("button", name="Restore").click()
    assert page.get_by_label("Title").input_value() == "Notes From The Ferry"
    assert page.get_by_label("Body").input_value() == "The crossing took an hour. Dolphins followed the boat."
    assert page.get_by_label("Tags").input_value() == "Sea, Travel"

    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_text("Draft saved.").is_visible()
    assert page.get_by_label("Body").input_value() == "The crossing took an hour. Dolphins followed the boat."
    assert page.get_by_text("You have unsaved changes from").count() == 0
    assert re.fullmatch(re.escape(site) + r"/admin/posts/\d+/edit", page.url)
    page.get_by_label("Title").fill("Notes From The Ferry, Revised")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name=re.compile(r"Revisions \(\d+\)")).click()
    assert page.get_by_role("button", name=re.compile("Restore this revision")).count() == 3
    assert page.locator(".diff del").first.inner_text() == "− Notes From The Ferry, Revised"
    assert page.locator(".diff ins").first.inner_text() == "+ Notes From The Ferry"
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_leaving_the_editor_keeps_a_copy_without_waiting_for_the_timer(logged_in_page, live_server):
    page = logged_in_page  # on the usual site, whose autosave waits 30 s
    page.goto(live_server + "/admin/posts/1/edit")
    live_body = page.get_by_label("Body").input_value()
    page.get_by_label("Body").fill(live_body + "\n\nA paragraph written just before leaving.")
    page.get_by_role("link", name="Posts", exact=True).click()
    page.wait_for_url(live_server + "/admin/posts")

    # A closing page's keepalive request is the browser's, not the page's: Playwright doesn't see it, so
    # open the editor again until the server has it (it usually has, the first time).
    for _ in range(40):
        page.goto(live_server + "/admin/posts/1/edit")
        if page.get_by_text("You have unsaved changes from").count():
            break
        page.wait_for_timeout(250)
    assert page.get_by_text("You have unsaved changes from").is_visible()
    assert page.get_by_label("Body").input_value() == live_body
    page.get_by_role("button", name="Discard").click()
    assert page.get_by_text("Discarded the unsaved changes.").is_visible()
    assert page.get_by_text("You have unsaved changes from").count() == 0


def test_a_button_pressed_during_the_first_autosave_acts_on_the_draft_it_creates(page, quick_autosave_site):
    site = quick_autosave_site
    log_in_as_author(page, site)
    held = []
    page.route("**/admin/posts/autosave", lambda route: held.append(route))  # held until the button is pressed
    page.goto(site + "/admin/posts/new")
    with page.expect_request("**/admin/posts/autosave"):
        page.get_by_label("Title").fill("Pressed Mid Autosave")
        page.get_by_label("Body").fill("Saved once, not twice.")
    page.get_by_role("button", name="Save draft").click()
    held[0].continue_()
    page.get_by_text("Draft saved.").wait_for()  # the button's save, sent once the autosave made the draft
    assert re.fullmatch(re.escape(site) + r"/admin/posts/\d+/edit", page.url)
    page.goto(site + "/admin/posts")
    assert page.get_by_role("link", name="Pressed Mid Autosave", exact=True).count() == 1
