"""The editor in Chromium: a picture uploaded and published, the live preview, the toolbar, pasting, axe."""

import base64
import io
import re

from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from blog.markdown import reading_minutes

from ..helpers import AXE_OPTIONS


def photo_bytes(fmt="JPEG", size=(1200, 800)) -> bytes:
    image = Image.new("RGB", size, "darkslategray")  # not the media library test's picture: one file, one entry
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill="gold")
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def assert_no_axe_violations(page):
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_upload_an_image_in_the_editor_then_publish_and_readers_see_it_with_srcset(
    logged_in_page, live_server, tmp_path
):
    page = logged_in_page
    photo = tmp_path / "lighthouse.jpg"
    photo.write_bytes(photo_bytes())
    page.goto(live_server + "/admin/posts/new")
    page.get_by_label("Title").fill("The Lighthouse At Dusk")
    page.get_by_label("Body").fill("We walked out to the lighthouse.")
    page.get_by_label("Image", exact=True).set_input_files(str(photo))
    page.get_by_label("Alt text for the image").fill("A gold lamp against a grey sky")
    page.get_by_role("button", name="Upload image").click()

    assert page.get_by_text("The image is added at the end of the body. The post is not saved yet").is_visible()
    assert page.get_by_label("Title").input_value() == "The Lighthouse At Dusk"
    body = page.get_by_label("Body").input_value()
    assert re.fullmatch(
        r"We walked out to the lighthouse\.\n\n!\[A gold lamp against a grey sky\]"
        r"\(/media/[0-9a-f]{20}-1200\.jpg\)\n",
        body,
    ), body
    # The live preview shows the picture as readers will get it.
    preview = page.get_by_role("region", name="Live preview")
    expect(preview.get_by_role("img", name="A gold lamp against a grey sky")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Publish").click()
    assert page.get_by_text("Published.").is_visible()
    page.get_by_role("link", name="View post").click()
    picture = page.get_by_role("img", name="A gold lamp against a grey sky")
    assert picture.is_visible()
    srcset = page.locator("article source, article img").evaluate_all(
        "nodes => nodes.map(node => node.getAttribute('srcset') || '').join(' ')"
    )
    assert "480w" in srcset and "960w" in srcset and "1200w" in srcset
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())


def test_the_live_preview_updates_as_you_type_and_counts_words(logged_in_page, live_server):
    page = logged_in_page
    page.goto(live_server + "/admin/posts/new")
    preview = page.get_by_role("region", name="Live preview")
    assert preview.get_by_role("heading", name="Live preview").is_visible()
    assert preview.locator("[aria-live=polite]").count() == 1
    page.get_by_label("Body").press_sequentially("## Tides\n\nThe **spring** tide <script>x</script>", delay=5)
    expect(preview.get_by_role("heading", name="Tides")).to_be_visible()
    expect(preview.locator("strong", has_text="spring")).to_be_visible()
    expect(preview.get_by_text("<script>x</script>")).to_be_visible()
    assert preview.locator("script").count() == 0

    words = " ".join(["wave"] * 230)
    page.get_by_label("Body").fill(words)
    minutes = reading_minutes(words)
    assert minutes == 2
    expect(page.get_by_text(f"230 words · {minutes} min read")).to_be_visible()
    expect(preview.get_by_text("wave wave wave").first).to_be_visible()
    assert_no_axe_violations(page)  # a long preview scrolls: keyboard users can reach it


def test_toolbar_and_keyboard_shortcuts_edit_the_markdown(logged_in_page, live_server):
    page = logged_in_page
    page.goto(live_server + "/admin/posts/new")
    body = page.get_by_label("Body")
    body.fill("make this bold")
    body.evaluate("area => area.setSelectionRange(10, 14)")
    body.press("Control+b")
    assert body.input_value() == "make this **bold**"
    body.evaluate("area => area.setSelectionRange(0, 4)")
    body.press("Control+i")
    assert body.input_value() == "_make_ this **bold**"
    body.evaluate("area => area.setSelectionRange(0, 0)")
    page.get_by_role("button", name="Heading").click()
    assert body.input_value() == "## _make_ this **bold**"
    toolbar = page.get_by_role("group", name="Formatting")
    for name in (
        "Bold (Ctrl+B)",
        "Italic (Ctrl+I)",
        "Heading",
        "Link (Ctrl+K)",
        "Bulleted list",
        "Quote",
        "Code",
        "Image: upload a picture and insert it",
    ):
        assert toolbar.get_by_role("button", name=name).get_attribute("type") == "button"
    body.evaluate("area => area.setSelectionRange(area.value.length, area.value.length)")
    body.press("Enter")
    body.press("Control+k")
    body.press_sequentially("https://example.com")
    assert body.input_value().endswith("\n[link text](https://example.com)")
    assert_no_axe_violations(page)


def test_without_javascript_the_editor_has_no_toolbar_and_still_uploads(browser, live_server, tmp_path):
    from .conftest import log_in_as_author

    context = browser.new_context(java_script_enabled=False)
    page = log_in_as_author(context.new_page(), live_server)
    page.goto(live_server + "/admin/posts/new")
    assert page.get_by_role("group", name="Formatting").count() == 0
    assert page.get_by_role("region", name="Live preview").count() == 0
    photo = tmp_path / "rock.png"
    photo.write_bytes(photo_bytes("PNG", (300, 200)))
    page.get_by_label("Body").fill("A rock.")
    page.get_by_label("Image", exact=True).set_input_files(str(photo))
    page.get_by_label("Decorative image").check()
    page.get_by_role("button", name="Upload image").click()
    assert re.fullmatch(r"A rock\.\n\n!\[\]\(/media/[0-9a-f]{20}-300\.png\)\n", page.get_by_label("Body").input_value())
    context.close()


def test_a_pasted_picture_asks_for_alt_text_and_goes_in_at_the_cursor(logged_in_page, live_server):
    page = logged_in_page
    page.goto(live_server + "/admin/posts/new")
    body = page.get_by_label("Body")
    body.fill("Before.\nAfter.")
    body.evaluate("area => area.setSelectionRange(8, 8)")
    png = base64.b64encode(photo_bytes("PNG", (640, 480))).decode()
    body.evaluate(
        """(area, data) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "pasted.png", {type: "image/png"}));
        area.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true}));
    }""",
        png,
    )
    dialog = page.get_by_role("dialog", name="Describe the image")
    expect(dialog).to_be_visible()
    assert_no_axe_violations(page)
    dialog.get_by_role("button", name="Insert image").click()
    expect(dialog.get_by_text("Describe the picture, or mark it as decorative.")).to_be_visible()
    dialog.get_by_label("Alt text for the image").fill("A gold circle")
    dialog.get_by_role("button", name="Insert image").click()
    page.wait_for_function("area => area.value.includes('](/media/')", arg=body.element_handle())
    assert re.fullmatch(r"Before\.\n!\[A gold circle\]\(/media/[0-9a-f]{20}-640\.png\)\nAfter\.", body.input_value())
    expect(page.get_by_text("The image is inserted. The post is not saved yet.")).to_be_visible()


def test_a_dropped_picture_is_uploaded_and_a_too_large_one_refused_before_sending(logged_in_page, live_server):
    page = logged_in_page
    page.goto(live_server + "/admin/posts/new")
    body = page.get_by_label("Body")
    body.fill("Start.")
    drop = """(area, [data, name]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: "image/png"}));
        area.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }"""
    body.evaluate("area => area.setSelectionRange(area.value.length, area.value.length)")
    body.evaluate(drop, [base64.b64encode(photo_bytes("PNG", (500, 300))).decode(), "dropped.png"])
    dialog = page.get_by_role("dialog", name="Describe the image")
    dialog.get_by_label("Decorative image").check()
    dialog.get_by_role("button", name="Insert image").click()
    page.wait_for_function("area => area.value.includes('](/media/')", arg=body.element_handle())
    assert re.fullmatch(r"Start\.\n\n!\[\]\(/media/[0-9a-f]{20}-500\.png\)\n", body.input_value())

    # Over MEDIA_MAX_BYTES (10 MB): refused in the page, nothing sent.
    big = "A" * (11 * 1024 * 1024 * 4 // 3)
    body.evaluate(drop, [big, "huge.png"])
    expect(page.get_by_text("The file is larger than 10 MB, the largest picture this site accepts.")).to_be_visible()
    expect(dialog).to_be_hidden()
