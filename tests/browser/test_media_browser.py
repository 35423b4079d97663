"""An author in Chromium: uploads a picture to the media library, sees it served; the library passes axe."""

from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageDraw

from ..helpers import AXE_OPTIONS


def test_author_uploads_a_picture_and_the_library_passes_axe(logged_in_page, live_server, tmp_path):
    page = logged_in_page
    photo = tmp_path / "harbour.jpg"
    image = Image.new("RGB", (1200, 800), "navy")
    ImageDraw.Draw(image).ellipse((300, 200, 900, 600), fill="gold")
    image.save(photo, format="JPEG")

    page.goto(live_server + "/admin/media")
    page.get_by_label("Image", exact=True).set_input_files(str(photo))
    page.get_by_label("Alt text", exact=True).fill("A golden sun over a navy harbour")
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_text("“harbour.jpg” is in the library.").is_visible()

    item = page.locator(".media-item", has_text="harbour.jpg")
    assert item.get_by_text("1200 × 800").is_visible()
    assert item.get_by_text("A golden sun over a navy harbour").first.is_visible()
    thumbnail = item.locator("img")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 480", arg=thumbnail.element_handle())

    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()

    item.get_by_role("link", name="Delete harbour.jpg").click()
    assert page.get_by_role("heading", name="Delete “harbour.jpg”?").is_visible()
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_a_refused_upload_shows_its_message_and_passes_axe(logged_in_page, live_server, tmp_path):
    page = logged_in_page
    svg = tmp_path / "drawing.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    page.goto(live_server + "/admin/media")
    page.get_by_label("Image", exact=True).set_input_files(str(svg))
    page.get_by_label("Decorative image").check()
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_text("This is not a picture we accept").is_visible()
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
