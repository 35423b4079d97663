"""Pictures: uploads checked by decoding, stripped of metadata, stored in sizes, served immutably, rendered."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Media, MediaVariant

from .conftest import Content
from .helpers import ALT, csrf_token_of, flask_cli, full_size_name, log_in, noise, picture, queries_for, text, upload


@pytest.fixture
def author(media_author):
    """A logged-in author's client on the media app."""
    return media_author


def stored(app, media_root: Path) -> dict:
    with app.app_context():
        media = db.session.scalar(select(func.count(Media.id)))
        variants = db.session.scalar(select(func.count(MediaVariant.id)))
    files = sorted(p.name for p in media_root.iterdir()) if media_root.exists() else []
    return {"media": media, "variants": variants, "files": files}


def variant_names(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(MediaVariant.name).order_by(MediaVariant.width, MediaVariant.format)).all()


def served_images(client, app):
    """Every stored version as a browser would get it: (name, response, decoded image)."""
    for name in variant_names(app):
        response = client.get(f"/media/{name}")
        assert response.status_code == 200, name
        yield name, response, Image.open(io.BytesIO(response.data))


FORMATS = {
    "JPEG": ("photo.jpg", "image/jpeg"),
    "PNG": ("diagram.png", "image/png"),
    "WEBP": ("photo.webp", "image/webp"),
    "GIF": ("anim.gif", "image/gif"),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_accepted_format_is_stored_in_every_width_in_webp_and_its_own_format(
    media_app, author, media_root, storage, fmt
):
    filename, mime = FORMATS[fmt]
    response = upload(author, picture(fmt, size=(2000, 1000)), filename=filename)
    assert response.headers["Location"] == "/admin/media"
    library = text(author.get("/admin/media"))
    full = re.search(r"!\[A red square on a blue field\]\(/media/([0-9a-f]{20}-2000\.\w+)\)", library)
    assert full and f"“{filename}” is in the library" in library

    seen = set()
    for name, response, image in served_images(author, media_app):
        assert image.format == ("WEBP" if name.endswith(".webp") else fmt)
        assert response.headers["Content-Type"] == Image.MIME[image.format]
        assert image.width == int(name.split("-")[1].split(".")[0]) and image.height == image.width // 2
        seen.add((image.width, image.format))
    formats = {"WEBP", fmt}
    assert seen == {(width, f) for width in (480, 960, 1600, 2000) for f in formats}
    assert full.group(1).endswith("." + filename.rsplit(".", 1)[1])
    files = stored(media_app, media_root)["files"]
    assert len(files) == (len(seen) if storage == "filesystem" else 0)


def test_the_largest_version_is_capped_at_2400_pixels_wide(media_app, author):
    upload(author, picture("PNG", size=(3000, 300), mode="L"), filename="wide.png")
    widths = sorted({image.width for _, _, image in served_images(author, media_app)})
    assert widths == [480, 960, 1600, 2400]


def test_a_small_picture_is_stored_at_its_own_size_only(media_app, author):
    upload(author, picture("GIF", size=(300, 200)), filename="small.gif")
    assert sorted(image.format for _, _, image in served_images(author, media_app)) == ["GIF", "WEBP"]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size in a few bytes: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"\x00" * (1 + width // 8) * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def bomb_png() -> bytes:
    """8000 × 8000 pixels (64 million, over the 40 million limit) in a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG")
    return out.getvalue()


NOT_A_PICTURE = "This is not a picture we accept: upload a JPEG, PNG, WebP or GIF image"
REFUSED = {
    "svg with script": (
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="10" height="10"/></svg>',
        NOT_A_PICTURE,
    ),
    "php named .jpg": ("photo.jpg", b"<?php system($_GET['cmd']); ?>\n", NOT_A_PICTURE),
    "bmp": ("old.bmp", None, NOT_A_PICTURE),
    "decompression bomb": ("bomb.png", None, "The picture has too many pixels"),
    "bomb past pillow's own limit": ("huge.png", None, "The picture has too many pixels"),
    "truncated jpeg": ("cut.jpg", None, "The picture is damaged or incomplete."),
    "empty file": ("empty.jpg", b"", "The file is empty."),
}


def refused_bytes(kind: str, data: bytes | None) -> bytes:
    if data is not None:
        return data
    if kind == "bmp":
        return picture("BMP", size=(40, 40))
    if kind == "decompression bomb":
        return bomb_png()
    if kind == "bomb past pillow's own limit":
        return png_header_only(20000, 20000)
    whole = picture("JPEG", size=(800, 600))
    return whole[: len(whole) // 2]


@pytest.mark.parametrize("kind", list(REFUSED))
def test_refused_uploads_get_a_clear_message_and_store_nothing(media_app, author, media_root, kind):
    filename, data, message = REFUSED[kind]
    response = upload(author, refused_bytes(kind, data), filename=filename)
    assert response.status_code == 400
    assert message in text(response)
    assert ALT in text(response)  # the form keeps what the author typed
    assert stored(media_app, media_root) == {"media": 0, "variants": 0, "files": []}


def test_a_file_over_the_limit_is_refused_with_the_limit(make_app, media_root, storage):
    app = make_app(MEDIA_STORAGE=storage, MEDIA_ROOT=str(media_root), MEDIA_MAX_BYTES=100_000)
    Content(app).author()
    client = app.test_client()
    log_in(client)
    # Just over: the body is accepted, the file is not.
    response = upload(client, noise((190, 190)))
    assert response.status_code == 400
    assert "The file is larger than 98 KB, the largest picture this site accepts." in text(response)
    # Far over: refused from its Content-Length before the body is read.
    response = upload(client, noise((400, 400)))
    assert response.status_code == 413
    assert "The file is larger than 98 KB, the largest picture this site accepts." in text(response)
    json = upload(client, noise((400, 400)), headers={"Accept": "application/json"})
    assert json.status_code == 413 and "98 KB" in json.get_json()["error"]
    assert stored(app, media_root) == {"media": 0, "variants": 0, "files": []}


def test_the_upload_alone_accepts_bodies_over_the_site_limit_with_csrf_on(make_app, media_root):
    app = make_app(MEDIA_ROOT=str(media_root), WTF_CSRF_ENABLED=True)
    Content(app).author()
    client = app.test_client()
    token = csrf_token_of(client.get("/login"))
    client.post("/login", data={"email": "ada@example.com", "password": "correct horse", "csrf_token": token})
    big = noise((700, 700))
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    refused = client.post(
        "/admin/media", data={"image": (io.BytesIO(big), "big.png"), "alt": ALT}, content_type="multipart/form-data"
    )
    assert refused.status_code == 400 and stored(app, media_root)["media"] == 0  # no token, nothing stored
    token = csrf_token_of(client.get("/admin/media"))
    response = client.post(
        "/admin/media",
        data={"image": (io.BytesIO(big), "big.png"), "alt": ALT, "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.headers["Location"] == "/admin/media"
    assert stored(app, media_root)["media"] == 1
    # Other routes keep the site-wide limit.
    assert client.post("/admin/account", data={"name": "x" * len(big)}).status_code == 413


def test_alt_text_is_required_unless_the_picture_is_decorative(media_app, author, media_root):
    response = upload(author, picture(), alt="")
    assert "Describe the picture, or mark it as decorative." in text(response)
    assert stored(media_app, media_root)["media"] == 0
    assert upload(author, picture(), alt="", decorative=True).headers["Location"] == "/admin/media"
    assert "Decorative" in text(author.get("/admin/media"))


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: sideways pixels, an orientation tag, GPS, camera make, a comment."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.0)}
    return picture("JPEG", size=(1200, 800), exif=exif, comment=b"secret comment")


def test_exif_and_gps_are_gone_from_every_version_after_turning_the_photo_upright(media_app, author):
    photo = phone_photo()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)
    upload(author, photo)
    served = list(served_images(author, media_app))
    assert len(served) == 4  # 480 and 800 wide, in WebP and JPEG
    for name, response, image in served:
        assert (image.width, image.height) in {(480, 720), (800, 1200)}, name  # upright: taller than wide
        # Turned the right way: the red half (the left) is now at the top.
        top, bottom = (
            image.convert("RGB").getpixel((image.width // 2, 5)),
            image.convert("RGB").getpixel((image.width // 2, image.height - 5)),
        )
        assert top[0] > 200 and bottom[2] > 200, name
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info, name
        for marker in (b"PhoneMaker", b"secret comment", b"Exif\x00\x00", b"GPS"):
            assert marker not in response.data, (name, marker)


def test_png_text_chunks_are_gone(media_app, author):
    info = PngInfo()
    info.add_text("Location", "52.37 N 4.89 E")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret</x:xmpmeta>")
    upload(author, picture("PNG", size=(600, 400), pnginfo=info), filename="map.png")
    for name, response, image in served_images(author, media_app):
        assert b"52.37" not in response.data and b"xmpmeta" not in response.data, name
        assert not getattr(image, "text", {}), name


TRAVERSAL = [
    "/media/",
    "/media",
    "/media/..",
    "/media/../blog.sqlite3",
    "/media/..%2Fblog.sqlite3",
    "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media//etc/passwd",
    "/media/%2Fetc%2Fpasswd",
    "/media/..%5c..%5cwindows",
    "/media/secret.txt",
    "/media/.upload-abc",
    "/media/NAME/x",
    "/media/NAME%2F",
    "/media/NAME.",
    "/media/" + "a" * 20 + "-480.webp",
    "/media/%00NAME",
]


def test_only_stored_versions_are_served(media_app, author, media_root, storage):
    upload(author, picture())
    name = variant_names(media_app)[0]
    media_root.mkdir(exist_ok=True)
    (media_root / "secret.txt").write_text("not for you")
    (media_root / ("a" * 20 + "-480.webp")).write_bytes(b"RIFF")
    for path in TRAVERSAL:
        response = author.get(path.replace("NAME", name))
        assert response.status_code == 404, path
        assert b"not for you" not in response.data and b"RIFF" not in response.data
    assert author.get(f"/media/{name}").status_code == 200


def test_versions_are_served_immutable_with_an_etag_and_304(media_app, author):
    upload(author, picture())
    name = variant_names(media_app)[0]
    reader = media_app.test_client()
    response = reader.get(f"/media/{name}")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert name.endswith(".jpg") and response.headers["Content-Type"] == "image/jpeg"
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = reader.get(f"/media/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert reader.get(f"/media/{name}", headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_library_needs_a_login(media_app, media_root):
    anonymous = media_app.test_client()
    assert anonymous.get("/admin/media").headers["Location"].startswith("/login?next=")
    response = upload(anonymous, picture())
    assert response.headers["Location"].startswith("/login?next=")
    assert stored(media_app, media_root)["media"] == 0


def media_id_of(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Media.id))


def test_the_library_lists_each_picture_and_the_posts_that_use_it(media_app, author):
    upload(author, picture(size=(1024, 768)), filename="harbour.jpg")
    full = full_size_name(media_app)
    content = Content(media_app)
    content.post("Harbour Walk", body=f"Look:\n\n![{ALT}](/media/{full})", author_id=1)
    content.post("Unrelated", body="No pictures.", author_id=1)
    page = text(author.get("/admin/media"))
    for fragment in ("harbour.jpg", "1024 × 768", ALT, "Harbour Walk", f"/media/{full}"):
        assert fragment in page
    assert "Unrelated" not in page
    assert re.search(r"\d+ KB", page)


def test_deleting_a_picture_a_post_uses_warns_and_needs_confirmation(media_app, author, media_root, storage):
    upload(author, picture(), filename="harbour.jpg")
    full = full_size_name(media_app)
    Content(media_app).post("Harbour Walk", body=f"![{ALT}](/media/{full})", author_id=1)
    media_id = media_id_of(media_app)
    page = text(author.get(f"/admin/media/{media_id}/delete"))
    assert "This picture is used in 1 post, which will show a broken image:" in page and "Harbour Walk" in page
    refused = author.post(f"/admin/media/{media_id}/delete", data={})
    assert "Posts use this picture: tick the box to delete it anyway." in text(refused)
    assert stored(media_app, media_root)["media"] == 1
    done = author.post(f"/admin/media/{media_id}/delete", data={"confirm": "y"})
    assert done.headers["Location"] == "/admin/media"
    assert "Deleted “harbour.jpg”." in text(author.get("/admin/media"))
    assert stored(media_app, media_root) == {"media": 0, "variants": 0, "files": []}
    assert author.get(f"/media/{full}").status_code == 404


def test_an_unused_picture_is_deleted_at_once_and_only_by_its_uploader_or_an_admin(media_app, author, media_root):
    upload(author, picture())
    media_id = media_id_of(media_app)
    Content(media_app).author(email="bo@example.com", name="Bo")
    other = media_app.test_client()
    log_in(other, email="bo@example.com")
    assert other.post(f"/admin/media/{media_id}/delete", data={}).status_code == 403
    assert stored(media_app, media_root)["media"] == 1
    assert author.post(f"/admin/media/{media_id}/delete", data={}).headers["Location"] == "/admin/media"
    assert stored(media_app, media_root) == {"media": 0, "variants": 0, "files": []}


def test_the_same_file_uploaded_twice_is_one_entry(media_app, author, media_root):
    photo = picture()
    upload(author, photo)
    upload(author, photo, alt="Another description")
    assert stored(media_app, media_root)["media"] == 1


def test_json_upload_for_the_editor(media_app, author, media_root):
    response = upload(author, picture(size=(1000, 500)), alt="A [red] square", headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 200
    assert body["url"] == f"/media/{full_size_name(media_app)}" and body["url"].endswith("-1000.jpg")
    assert body["markdown"] == f"![A \\[red\\] square]({body['url']})"
    assert (body["width"], body["height"]) == (1000, 500) and body["id"] == media_id_of(media_app)
    refused = upload(author, b"<svg/>", filename="x.svg", headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.get_json()["error"].startswith(NOT_A_PICTURE)
    assert stored(media_app, media_root)["media"] == 1


def test_our_pictures_render_responsive_and_others_stay_plain(media_app, author):
    upload(author, picture(size=(2000, 1000)))
    first = full_size_name(media_app)
    upload(author, picture("PNG", size=(800, 600)), filename="second.png")
    with media_app.app_context():
        second = db.session.scalar(select(MediaVariant.name).where(MediaVariant.format == "PNG"))
    body = (
        f"![{ALT}](/media/{first})\n\n![Second <b>one</b>](/media/{second})\n\n"
        "![Elsewhere](https://example.com/pic.jpg)"
    )
    Content(media_app).post("Pictures", body=body, author_id=1)
    page = text(author.get("/posts/pictures"))
    pictures = re.findall(r"<picture>.*?</picture>", page)
    assert len(pictures) == 2
    one, two = pictures
    assert re.search(
        r'<source type="image/webp" srcset="/media/\w+-480\.webp 480w, /media/\w+-960\.webp 960w, '
        r'/media/\w+-1600\.webp 1600w, /media/\w+-2000\.webp 2000w" sizes="[^"]+">',
        one,
    )
    assert re.search(r'srcset="/media/\w+-480\.jpg 480w, .*?/media/\w+-2000\.jpg 2000w"', one)
    assert f'src="/media/{first}"' in one and 'width="2000" height="1000"' in one
    assert f'alt="{ALT}"' in one and 'decoding="async"' in one and "loading=" not in one  # the first is eager
    assert 'width="800" height="600"' in two and 'loading="lazy"' in two and 'decoding="async"' in two
    assert 'alt="Second &lt;b&gt;one&lt;/b&gt;"' in two  # the alt text as typed, escaped
    assert '<img src="https://example.com/pic.jpg" alt="Elsewhere">' in page
    # The browser may load those: our own CSP allows https: pictures.
    assert "img-src 'self' data: https:" in author.get("/posts/pictures").headers["Content-Security-Policy"]


def test_the_article_runs_the_same_queries_with_and_without_pictures(media_app, author):
    content = Content(media_app)
    content.post("Plain", body="Just words.", author_id=1)
    upload(author, picture())
    names = variant_names(media_app)
    content.post(
        "Pictures", body="\n\n".join(f"![{ALT} {n}](/media/{name})" for n, name in enumerate(names)), author_id=1
    )
    reader = media_app.test_client()
    # The header's navigation and the sidebar are read once per content version, not by the pages measured.
    reader.get("/")
    reader.get("/posts/plain")
    plain, pictures = queries_for(media_app, reader, "/posts/plain"), queries_for(media_app, reader, "/posts/pictures")
    assert "<picture>" in text(reader.get("/posts/pictures"))
    assert plain == pictures, f"{plain} queries without pictures, {pictures} with {len(names)}"


def test_a_colour_profile_is_applied_then_dropped(media_app, author):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload(author, picture("JPEG", size=(600, 400), icc_profile=srgb), filename="tagged.jpg")
    cmyk = io.BytesIO()
    Image.new("CMYK", (500, 300), (0, 255, 255, 0)).save(cmyk, format="JPEG")  # printers' red
    upload(author, cmyk.getvalue(), filename="print.jpg", alt="Red")
    served = list(served_images(author, media_app))
    assert len(served) == 8  # 480 and full width, WebP and JPEG, for each
    for name, _, image in served:
        assert "icc_profile" not in image.info and image.mode == "RGB", name
        red, green, blue = image.getpixel((5, 5))
        assert red > 200 and green < 80 and blue < 80, name


def test_ids_of_deleted_pictures_are_never_reused(media_app, author):
    upload(author, picture())
    author.post("/admin/media/1/delete", data={})
    upload(author, picture("PNG"), filename="second.png")
    assert media_id_of(media_app) == 2


def test_the_media_migration_keeps_what_was_there_and_sets_uploaders_null(empty_database):
    before, media = "b5d2e8c41f07", "afecf496e678"
    assert flask_cli(empty_database, "db", "upgrade", before).returncode == 0
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, created_at) "
                "VALUES (1, 'old@example.com', 'Old Timer', 'x', 'author', true, '2024-01-01 00:00:00+00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                "published_at, "
                "created_at, updated_at, author_id, comments_open) "
                "VALUES (1, 'Kept', 'kept', 'Words.', '<p>Words.</p>', "
                "'', 1, false, '2024-01-02 00:00:00+00', '2024-01-02 00:00:00+00', '2024-01-02 00:00:00+00', 1, true)"
            )
        )
    upgrade = flask_cli(empty_database, "db", "upgrade", media)
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT title, body FROM posts")).all() == [("Kept", "Words.")]
        conn.execute(
            sa.text(
                "INSERT INTO media (id, content_hash, original_filename, format, mime_type, width, height, byte_size, "
                "alt_text, decorative, uploader_id, created_at) VALUES (1, 'h', 'a.jpg', 'JPEG', 'image/jpeg', 10, 10, "
                "99, 'A', false, 1, '2024-01-03 00:00:00+00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO media_variants (media_id, name, format, mime_type, width, height, byte_size, data) "
                "VALUES (1, 'n-10.jpg', 'JPEG', 'image/jpeg', 10, 10, 3, :data)"
            ),
            {"data": b"\x00\xff\x01"},
        )
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
        conn.execute(sa.text("DELETE FROM posts"))
        conn.execute(sa.text("DELETE FROM users"))
        assert conn.execute(sa.text("SELECT uploader_id FROM media")).all() == [(None,)]
        assert conn.execute(sa.text("SELECT data FROM media_variants")).scalar() == b"\x00\xff\x01"
        conn.execute(sa.text("DELETE FROM media"))
        assert conn.execute(sa.text("SELECT count(*) FROM media_variants")).scalar() == 0
    engine.dispose()
    downgrade = flask_cli(empty_database, "db", "downgrade", before)
    assert downgrade.returncode == 0, downgrade.stderr


def test_the_library_runs_the_same_queries_with_1_and_4_pictures(media_app, author):
    content = Content(media_app)
    counts = []
    for first, total in ((0, 1), (1, 4)):
        for n in range(first, total):
            upload(author, picture("PNG", size=(500 + n, 300)), filename=f"p{n}.png", alt=f"Picture {n}")
            content.post(f"Post {n}", body=f"![Picture {n}](/media/{full_size_name(media_app)})", author_id=1)
        counts.append(queries_for(media_app, author, "/admin/media"))
    page = text(author.get("/admin/media"))
    assert all(f"p{n}.png" in page and f"Post {n}" in page for n in range(4)) and "Ada Writer" in page
    assert counts[0] == counts[1], f"{counts[0]} queries with 1 picture, {counts[1]} with 4"


def test_an_upload_without_a_file_asks_for_one(media_app, author, media_root):
    response = author.post("/admin/media", data={"alt": ALT}, content_type="multipart/form-data")
    assert "Choose a picture to upload." in text(response)
    assert stored(media_app, media_root)["media"] == 0


def test_a_file_lost_from_the_folder_is_a_404_not_an_error(make_app, media_root):
    app = make_app(MEDIA_ROOT=str(media_root))
    Content(app).author()
    client = app.test_client()
    log_in(client)
    upload(client, picture())
    name = full_size_name(app)
    (media_root / name).unlink()
    assert client.get(f"/media/{name}").status_code == 404
    assert "photo.jpg" in text(client.get("/admin/media"))  # the library still lists it
