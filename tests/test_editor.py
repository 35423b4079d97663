"""The editor's pictures and live preview: "Upload image" without JavaScript, the preview endpoint."""

import html
import io
import re

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Media, Post

from .conftest import Content
from .helpers import csrf_token_of, full_size_name, log_in, noise, picture, saved_id, stored_post, text

ALT = "A red square on a blue field"
BODY = "Morning at the harbour.\r\n\r\nThe boats came in early."
TYPED = {
    "title": "Harbour Morning",
    "body": BODY,
    "excerpt": "Boats & light",
    "tags": "Travel, Sea",
    "slug": "harbour-morning",
    "publish_at": "2031-05-04T09:30",
}


@pytest.fixture
def media_root(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def editor_app(make_app, media_root):
    return make_app(MEDIA_ROOT=str(media_root))


@pytest.fixture
def author(editor_app):
    Content(editor_app).author()
    client = editor_app.test_client()
    log_in(client)
    return client


def upload_in_editor(
    client, data: bytes | None, url="/admin/posts/new", alt=ALT, filename="boats.jpg", decorative=False, **fields
):
    # The browser sends the fields in the page's order: the text first, the picture last.
    form = {**TYPED, **fields, "upload": "Upload image", "image_alt": alt}
    if decorative:
        form["image_decorative"] = "y"
    if data is not None:
        form["image"] = (io.BytesIO(data), filename)
    return client.post(url, data=form, content_type="multipart/form-data")


def field_value(response, name: str) -> str:
    page = text(response)
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    if textarea:
        return html.unescape(textarea.group(1))
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def counts(app) -> dict:
    with app.app_context():
        return {
            "posts": db.session.scalar(select(func.count(Post.id))),
            "media": db.session.scalar(select(func.count(Media.id))),
        }


def test_upload_image_keeps_every_typed_field_and_adds_the_markdown_at_the_end_of_the_body(editor_app, author):
    response = upload_in_editor(author, picture())
    assert response.status_code == 200
    markdown = f"![{ALT}](/media/{full_size_name(editor_app)})"
    assert field_value(response, "body") == BODY + "\n\n" + markdown + "\n"
    for name in ("title", "excerpt", "tags", "slug", "publish_at"):
        assert field_value(response, name) == TYPED[name], name
    assert field_value(response, "image_alt") == ""  # ready for the next picture
    assert "The image is added at the end of the body. The post is not saved yet" in text(response)
    assert 'enctype="multipart/form-data"' in text(response)
    assert counts(editor_app) == {"posts": 0, "media": 1}  # in the library; the post is not saved

    # Publishing that text shows the picture to readers in every size.
    published = author.post(
        "/admin/posts/new", data={"title": TYPED["title"], "body": field_value(response, "body"), "publish": "Publish"}
    )
    saved_id(published)
    article = text(author.get("/posts/harbour-morning"))
    assert f'alt="{ALT}"' in article and "srcset=" in article and "480w" in article


def test_upload_into_a_saved_post_leaves_the_post_unchanged_until_it_is_saved(editor_app, author):
    post_id = saved_id(
        author.post("/admin/posts/new", data={"title": "Boats", "body": "Old body.", "save_draft": "Save draft"})
    )
    response = upload_in_editor(
        author, picture("PNG"), url=f"/admin/posts/{post_id}/edit", filename="boats.png", body="New body, not saved."
    )
    assert field_value(response, "body").startswith("New body, not saved.\n\n![")
    assert stored_post(editor_app, post_id)["body"] == "Old body."
    assert "data-unsaved" in text(response)  # the autosave keeps a copy of the unsaved text


def test_a_decorative_image_gets_empty_alt_text(editor_app, author):
    response = upload_in_editor(author, picture(), alt="", decorative=True)
    assert field_value(response, "body").endswith(f"![](/media/{full_size_name(editor_app)})\n")


@pytest.mark.parametrize(
    "data, alt, message",
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ALT,
            "This is not a picture we accept: upload a JPEG, PNG, WebP or GIF image",
        ),
        (b"", ALT, "The file is empty."),
        (None, ALT, "Choose a picture to upload."),
        (picture(), "", "Describe the picture, or mark it as decorative."),
    ],
    ids=["svg", "empty", "no file", "no alt text"],
)
def test_a_refused_upload_keeps_the_text_and_says_why(editor_app, author, data, alt, message):
    response = upload_in_editor(author, data, alt=alt, filename="drawing.jpg")
    assert response.status_code == 400
    assert message in text(response)
    assert field_value(response, "body") == BODY and field_value(response, "title") == TYPED["title"]
    assert field_value(response, "image_alt") == alt
    assert counts(editor_app) == {"posts": 0, "media": 0}


def test_upload_works_before_the_post_has_a_title(editor_app, author):
    response = upload_in_editor(author, picture(), title="", body="")
    assert response.status_code == 200
    assert field_value(response, "body") == f"![{ALT}](/media/{full_size_name(editor_app)})\n"
    assert "Give the post a title." not in text(response)


def test_a_picture_over_the_limit_gives_the_editor_back_with_the_text(make_app, media_root):
    app = make_app(MEDIA_ROOT=str(media_root), MEDIA_MAX_BYTES=100_000)
    Content(app).author()
    client = app.test_client()
    log_in(client)
    limit_message = "The file is larger than 98 KB, the largest picture this site accepts."
    # Just over: the body is read, the file refused.
    response = upload_in_editor(client, noise((190, 190)))
    assert response.status_code == 400 and limit_message in text(response)
    assert field_value(response, "body") == BODY
    # Far over the request limit: refused from its Content-Length, the picture never read, the text kept.
    huge = noise((700, 700))
    assert len(huge) > app.config["MAX_CONTENT_LENGTH"] + 100_000 + 64 * 1024
    response = upload_in_editor(client, huge)
    assert response.status_code == 413
    assert limit_message in text(response)
    for name in ("title", "body", "excerpt", "tags", "slug", "publish_at"):
        assert field_value(response, name) == TYPED[name], name
    assert counts(app) == {"posts": 0, "media": 0}


def test_text_over_the_site_limit_is_still_refused_when_the_editor_posts_multipart(make_app, media_root):
    app = make_app(MEDIA_ROOT=str(media_root), MAX_CONTENT_LENGTH=2000)
    Content(app).author()
    client = app.test_client()
    log_in(client)
    response = client.post(
        "/admin/posts/new",
        data={"title": "Too Long", "body": "x" * 5000, "publish": "Publish"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "That was too large" in text(response)
    assert counts(app)["posts"] == 0


def test_the_editor_accepts_a_picture_over_the_site_limit_with_csrf_on(make_app, media_root):
    app = make_app(MEDIA_ROOT=str(media_root), WTF_CSRF_ENABLED=True)
    Content(app).author()
    client = app.test_client()
    log_in(client, csrf_token=csrf_token_of(client.get("/login")))
    big = noise((700, 700))
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    refused = upload_in_editor(client, big)
    assert refused.status_code in (302, 400) and counts(app)["media"] == 0  # no token: nothing stored
    token = csrf_token_of(client.get("/admin/posts/new"))
    response = upload_in_editor(client, big, csrf_token=token)
    assert response.status_code == 200, text(response)
    assert field_value(response, "body").startswith(BODY + "\n\n![")
    assert counts(app) == {"posts": 0, "media": 1}


# --- the live preview ---------------------------------------------------------------------------------------


def test_the_live_preview_is_the_sanitised_html_readers_get(editor_app, author):
    upload_in_editor(author, picture())
    name = full_size_name(editor_app)
    body = (
        f"## Boats\n\n**early** <script>alert(1)</script> [x](javascript:alert(1))\n\n"
        f"<img src=x onerror=alert(1)>\n\n![{ALT}](/media/{name})"
    )
    response = author.post("/admin/posts/preview", data={"body": body})
    assert response.status_code == 200
    rendered = response.get_json()["html"]
    assert "<h2>Boats</h2>" in rendered and "<strong>early</strong>" in rendered
    assert "&lt;script&gt;" in rendered and "<script" not in rendered
    assert 'href="javascript:' not in rendered and "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert f'alt="{ALT}"' in rendered and "srcset=" in rendered
    with editor_app.app_context():
        from blog.markdown import render_markdown

        assert rendered == render_markdown(body)


def test_the_live_preview_needs_a_logged_in_author(client):
    response = client.post("/admin/posts/preview", data={"body": "**hello**"})
    assert response.headers["Location"].startswith("/login")
    assert "hello" not in text(response)


def test_the_live_preview_needs_the_csrf_token_in_its_header(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    client = app.test_client()
    log_in(client, csrf_token=csrf_token_of(client.get("/login")))
    token = csrf_token_of(client.get("/admin/posts/new"))
    refused = client.post("/admin/posts/preview", data={"body": "**hello**"})
    assert refused.status_code == 400 and "The CSRF token is missing." in text(refused)
    response = client.post("/admin/posts/preview", data={"body": "**hello**"}, headers={"X-CSRFToken": token})
    assert response.get_json() == {"html": "<p><strong>hello</strong></p>\n"}
