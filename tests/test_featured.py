"""Featured images: chosen in the editor, shown on the article and cards, and in link previews."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from blog.demo_content import DEMO_POSTS
from blog.extensions import db
from blog.models import Media, MediaVariant, Post, PostKind
from blog.posts.services import tag_named

from .conftest import Content
from .helpers import ALT, flask_cli, log_in, picture, queries_for, saved_id, text, upload, write


@pytest.fixture
def author(media_author):
    """A logged-in author's client on the media app."""
    return media_author


SITE = "https://blog.example.com"


def media_id_named(app, filename: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Media.id).where(Media.original_filename == filename))


def variant_name(app, media_id: int, width: int, fmt: str = "JPEG") -> str:
    with app.app_context():
        return db.session.scalar(
            select(MediaVariant.name).where(
                MediaVariant.media_id == media_id, MediaVariant.width == width, MediaVariant.format == fmt
            )
        )


def meta(page: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)">', page)
    return found.group(1) if found else None


def linked_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))


def featured_picture(page: str) -> str | None:
    found = re.search(r'<picture class="featured-image">.*?</picture>', page, re.S)
    return found.group(0) if found else None


def publish_with_picture(author, app, title="Harbour Walk", body="Gulls over the harbour.", **fields) -> int:
    upload(author, picture(size=(2000, 1125)), filename="harbour.jpg")
    media_id = media_id_named(app, "harbour.jpg")
    return saved_id(write(author, title=title, body=body, button="publish", featured_media=str(media_id), **fields))


def test_the_editor_sets_and_clears_the_featured_image(media_app, author):
    upload(author, picture(size=(2000, 1125)), filename="harbour.jpg")
    media_id = media_id_named(media_app, "harbour.jpg")
    editor = text(author.get("/admin/posts/new"))
    assert '<label for="featured_media">Featured image</label>' in editor
    assert f'<option value="{media_id}">harbour.jpg (2000 × 1125)</option>' in editor
    assert '<label for="featured_alt">Featured image alt text</label>' in editor
    assert 'href="/admin/media">Upload pictures in the media library' in editor

    post_id = saved_id(
        write(
            author,
            title="Harbour Walk",
            button="publish",
            featured_media=str(media_id),
            featured_alt="Gulls over a grey harbour <at dawn>",
        )
    )
    shown = featured_picture(text(author.get("/posts/harbour-walk")))
    assert shown is not None
    assert f'src="/media/{variant_name(media_app, media_id, 2000)}"' in shown
    assert re.search(
        r'srcset="/media/\w+-480\.jpg 480w, /media/\w+-960\.jpg 960w, /media/\w+-1600\.jpg 1600w, '
        r'/media/\w+-2000\.jpg 2000w"',
        shown,
    )
    assert '<source type="image/webp" srcset="/media/' in shown and 'sizes="(max-width: 45rem) 100vw, 42rem"' in shown
    assert 'width="2000" height="1125"' in shown and 'fetchpriority="high"' in shown and "loading=" not in shown
    assert 'alt="Gulls over a grey harbour &lt;at dawn&gt;"' in shown
    page = text(author.get("/posts/harbour-walk"))
    assert page.index('class="featured-image"') < page.index("<h1>Harbour Walk</h1>")  # above the title
    edit_page = text(author.get(f"/admin/posts/{post_id}/edit"))
    assert f'<option selected value="{media_id}">' in edit_page
    assert 'value="Gulls over a grey harbour &lt;at dawn&gt;"' in edit_page

    # Without its own alt text the picture's library alt text is used.
    write(author, title="Harbour Walk", button="update", post_id=post_id, featured_media=str(media_id))
    assert f'alt="{ALT}"' in featured_picture(text(author.get("/posts/harbour-walk")))

    write(author, title="Harbour Walk", button="update", post_id=post_id, featured_media="")
    page = text(author.get("/posts/harbour-walk"))
    assert featured_picture(page) is None and meta(page, "og:image") is None
    with media_app.app_context():
        assert db.session.get(Post, post_id).featured_media_id is None


def test_the_editor_refuses_a_picture_that_is_not_in_the_library(media_app, author):
    response = write(author, title="Harbour Walk", button="publish", featured_media="9999")
    assert response.status_code == 200 and "Not a valid choice" in text(response)
    with media_app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0


def test_the_preview_shows_the_chosen_picture(media_app, author):
    upload(author, picture(size=(1200, 800)), filename="harbour.jpg")
    media_id = media_id_named(media_app, "harbour.jpg")
    page = text(write(author, title="Harbour Walk", button="preview", featured_media=str(media_id)))
    assert 'class="preview"' in page and featured_picture(page) is not None


def test_listing_cards_show_a_small_version_the_first_at_once(media_app, author):
    publish_with_picture(author, media_app, tags="Coast")
    Content(media_app).post("Plain Notes", author_id=1)
    listing = text(media_app.test_client().get("/posts/"))
    cards = re.findall(r'<article class="post-summary">.*?</article>', listing, re.S)
    pictured = [card for card in cards if "Harbour Walk" in card][0]
    plain = [card for card in cards if "Plain Notes" in card][0]
    assert "<picture" not in plain
    media_id = media_id_named(media_app, "harbour.jpg")
    assert f'src="/media/{variant_name(media_app, media_id, 480)}"' in pictured
    # The archive lays its posts out as cards, the picture above the text at a card's width; the first card's
    # picture (the page's largest paint) loads at once, the others lazily.
    assert cards[0] == pictured and 'fetchpriority="high"' in pictured and 'loading="lazy"' not in pictured
    assert 'sizes="(max-width: 40rem) 100vw, 24rem"' in pictured
    assert "-1600." not in pictured and "-2000." not in pictured  # a card never needs the big versions
    assert 'width="2000" height="1125"' in pictured and f'alt="{ALT}"' in pictured
    for url in ("/", "/tags/coast", f"/archive/{datetime.now(UTC):%Y/%m}", "/search?q=harbour"):
        assert f"/media/{variant_name(media_app, media_id, 480)}" in text(media_app.test_client().get(url)), url
    # The home page features its newest post (here the pictured one) large, loaded first, above the cards.
    home = text(media_app.test_client().get("/"))
    featured = re.search(r'<article class="post-feature">.*?</article>', home, re.S).group(0)
    assert "Harbour Walk" in featured and "Plain Notes" not in featured
    assert f"/media/{variant_name(media_app, media_id, 1600)}" in featured and 'fetchpriority="high"' in featured
    assert 'loading="lazy"' not in featured and 'width="2000" height="1125"' in featured


@pytest.fixture
def site_app(make_app, media_root, storage):
    return make_app(MEDIA_STORAGE=storage, MEDIA_ROOT=str(media_root), SITE_URL=SITE)


def logged_in(app):

    Content(app).author()
    client = app.test_client()
    log_in(client)
    return client


def test_link_previews_use_the_featured_image_with_absolute_urls_and_sizes(site_app):
    client = logged_in(site_app)
    upload(client, picture(size=(2000, 1125)), filename="harbour.jpg")
    media_id = media_id_named(site_app, "harbour.jpg")
    write(
        client,
        title="Harbour Walk",
        button="publish",
        featured_media=str(media_id),
        featured_alt="Gulls over a grey harbour",
        tags="Coast",
    )
    page = text(site_app.test_client().get("/posts/harbour-walk"))
    expected = f"{SITE}/media/{variant_name(site_app, media_id, 1600)}"
    assert meta(page, "og:image") == expected
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1600", "900")
    assert meta(page, "og:image:alt") == "Gulls over a grey harbour"
    assert meta(page, "twitter:card") == "summary_large_image"
    assert linked_data(page)["image"] == {"@type": "ImageObject", "url": expected, "width": 1600, "height": 900}
    assert site_app.test_client().get(expected.removeprefix(SITE)).status_code == 200


def test_without_a_featured_image_the_first_body_picture_is_shared(site_app):
    client = logged_in(site_app)
    upload(client, picture(size=(1000, 500)), filename="first.jpg")
    first = variant_name(site_app, media_id_named(site_app, "first.jpg"), 1000)
    write(
        client,
        title="Body Pictures",
        button="publish",
        body=f"Words.\n\n![A red square]({f'/media/{first}'})\n\n![Elsewhere](https://example.com/pic.jpg)",
    )
    page = text(site_app.test_client().get("/posts/body-pictures"))
    assert featured_picture(page) is None
    assert meta(page, "og:image") == f"{SITE}/media/{first}"
    assert (meta(page, "og:image:width"), meta(page, "og:image:height")) == ("1000", "500")
    assert meta(page, "og:image:alt") == "A red square" and meta(page, "twitter:card") == "summary_large_image"
    assert linked_data(page)["image"] == {
        "@type": "ImageObject",
        "url": f"{SITE}/media/{first}",
        "width": 1000,
        "height": 500,
    }

    write(client, title="Elsewhere", button="publish", body="![A lighthouse](https://example.com/pic.jpg)")
    page = text(site_app.test_client().get("/posts/elsewhere"))
    assert meta(page, "og:image") == "https://example.com/pic.jpg" and meta(page, "og:image:width") is None
    assert linked_data(page)["image"] == {"@type": "ImageObject", "url": "https://example.com/pic.jpg"}


def test_a_post_without_pictures_shares_none(app, content):
    content.post("Only Words", body="Just words, no [links](https://example.com/).")
    page = text(app.test_client().get("/posts/only-words"))
    assert meta(page, "og:image") is None and meta(page, "og:image:width") is None
    assert meta(page, "twitter:card") == "summary" and "image" not in linked_data(page)


@pytest.mark.parametrize("url", ["/", "/posts/", "/tags/coast", "/archive/2024/05", "/search?q=harbour"])
def test_listings_run_the_same_queries_with_3_and_20_featured_posts(make_app, media_root, url):
    app = make_app(MEDIA_ROOT=str(media_root))
    client = logged_in(app)
    for n in range(4):
        upload(client, picture(size=(800 + n * 10, 450)), filename=f"p{n}.jpg")
    with app.app_context():
        media_ids = db.session.scalars(select(Media.id)).all()
    start = datetime(2024, 5, 1, tzinfo=UTC)
    counts = []
    for first, total in ((0, 3), (3, 20)):
        with app.app_context():
            for i in range(first, total):
                post = Post(
                    title=f"Harbour {i}",
                    slug=f"harbour-{i}",
                    excerpt="Gulls.",
                    is_draft=False,
                    published_at=start + timedelta(hours=i),
                    author_id=1,
                    featured_media_id=media_ids[i % len(media_ids)],
                )
                post.set_body(f"Gulls over the harbour, part {i}.")
                with db.session.no_autoflush:
                    post.tags = [tag_named("Coast")]
                db.session.add(post)
            db.session.commit()
        reader = app.test_client()
        assert "post-summary-image" in text(reader.get(url))
        counts.append(queries_for(app, reader, url))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries with 3 featured posts, {counts[1]} with 20"


def test_seed_demo_gives_each_article_a_featured_picture_once(make_app, media_root, storage):
    app = make_app(MEDIA_STORAGE=storage, MEDIA_ROOT=str(media_root))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "5 featured picture(s) added" in first.output, first.output
    with app.app_context():
        posts = db.session.scalars(select(Post).where(Post.kind == PostKind.POST).order_by(Post.id)).all()
        assert len(posts) == 5 and all(post.featured_media is not None for post in posts)
        assert len({post.featured_media_id for post in posts}) == 5
        for post, item in zip(posts, DEMO_POSTS, strict=True):
            media = post.featured_media
            assert (media.width, media.height) == (1600, 900) and media.alt_text == item["picture"]["alt"]
            assert sorted({v.width for v in media.variants}) == [480, 960, 1600]
            assert {v.format for v in media.variants} == {"JPEG", "WEBP"}
        counts = (
            db.session.scalar(select(func.count(Media.id))),
            db.session.scalar(select(func.count(MediaVariant.id))),
        )
    assert counts == (5, 30)
    if storage == "filesystem":
        assert len(list(media_root.iterdir())) == 30
    second = runner.invoke(args=["seed-demo"])
    assert "0 article(s) added, 5 already there; 0 featured picture(s) added" in second.output
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Media.id))),
            db.session.scalar(select(func.count(MediaVariant.id))),
        ) == counts
    home = text(app.test_client().get("/"))
    assert home.count('class="post-feature-image"') == 1 and home.count('class="post-summary-image"') == 4
    article = text(app.test_client().get(f"/posts/{DEMO_POSTS[0]['slug']}"))
    assert meta(article, "og:image").endswith("-1600.jpg") and featured_picture(article) is not None
    served = app.test_client().get(re.search(r'src="(/media/[^"]+)"', featured_picture(article)).group(1))
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"


def test_demo_articles_seeded_before_pictures_get_theirs_and_a_rewritten_one_is_left_alone(make_app, media_root):
    app = make_app(MEDIA_ROOT=str(media_root))
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        for post in db.session.scalars(select(Post)):
            post.featured_media_id = None
        db.session.commit()
    again = runner.invoke(args=["seed-demo"])
    assert "5 featured picture(s) added" in again.output
    with app.app_context():  # the same pictures, found by their bytes: nothing new stored
        assert db.session.scalar(select(func.count(Media.id))) == 5
        articles = Post.kind == PostKind.POST  # the demo's About page has no picture
        assert db.session.scalar(select(func.count(Post.id)).where(articles, Post.featured_media_id.is_(None))) == 0


def test_deleting_the_featured_picture_clears_it_and_the_post_stays(media_app, author):
    post_id = publish_with_picture(author, media_app)
    media_id = media_id_named(media_app, "harbour.jpg")
    with media_app.app_context():
        db.session.delete(db.session.get(Media, media_id))
        db.session.commit()
    page = text(author.get("/posts/harbour-walk"))
    assert "Gulls over the harbour." in page and featured_picture(page) is None
    with media_app.app_context():
        assert db.session.get(Post, post_id).featured_media_id is None


FEATURED_HEAD, BEFORE = "c3a7f9d2e4b1", "afecf496e678"


def test_the_featured_image_migration_keeps_every_post(empty_database):
    assert flask_cli(empty_database, "db", "upgrade", BEFORE).returncode == 0
    engine = sa.create_engine(empty_database)
    now = "2026-11-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, created_at) "
                "VALUES (1, 'ada@example.com', 'Ada', 'x', 'author', true, :now)"
            ),
            {"now": now},
        )
        for n in range(1, 4):
            conn.execute(
                sa.text(
                    "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                    "published_at, created_at, updated_at, author_id, comments_open) VALUES (:id, :title, :slug, "
                    "'Words.', '<p>Words.</p>', 'Words', 1, false, :now, :now, :now, 1, true)"
                ),
                {"id": n * 2, "title": f"Kept {n}", "slug": f"kept-{n}", "now": now},
            )
        conn.execute(sa.text("INSERT INTO tags (id, name, slug) VALUES (1, 'Coast', 'coast')"))
        conn.execute(sa.text("INSERT INTO post_tags (post_id, tag_id) VALUES (2, 1), (4, 1)"))
        conn.execute(
            sa.text(
                "INSERT INTO comments (id, post_id, depth, name, email, body, body_html, status, created_at, "
                "updated_at)"
                " VALUES (1, 2, 1, 'Vera', 'vera@example.com', 'Nice', '<p>Nice</p>', 'approved', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO media (id, content_hash, original_filename, format, mime_type, width, height, byte_size, "
                "alt_text, decorative, uploader_id, created_at) VALUES (1, 'h', 'a.jpg', 'JPEG', 'image/jpeg', 10, 10, "
                "99, 'A', false, 1, :now)"
            ),
            {"now": now},
        )
    columns = "id, title, slug, body, body_html, excerpt, is_draft, author_id"

    def posts(conn):
        return [tuple(row) for row in conn.execute(sa.text(f"SELECT {columns} FROM posts ORDER BY id"))]

    with engine.connect() as conn:
        before = posts(conn)
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.begin() as conn:
        assert posts(conn) == before
        assert conn.execute(sa.text("SELECT featured_media_id, featured_alt FROM posts")).all() == [(None, None)] * 3
        assert conn.execute(sa.text("SELECT count(*) FROM post_tags")).scalar() == 2
        assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar() == 1
        conn.execute(sa.text("UPDATE posts SET featured_media_id = 1, featured_alt = 'Sea' WHERE id = 2"))
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            # AUTOINCREMENT kept: a new post never gets the id of a deleted one.
            assert (
                "AUTOINCREMENT" in conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'posts'").scalar()
            )
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
        conn.execute(sa.text("DELETE FROM media"))
        assert conn.execute(sa.text("SELECT featured_media_id FROM posts WHERE id = 2")).scalar() is None
    downgrade = flask_cli(empty_database, "db", "downgrade", BEFORE)
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert posts(conn) == before
        assert conn.execute(sa.text("SELECT count(*) FROM post_tags")).scalar() == 2
        assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar() == 1
        assert "featured_media_id" not in {c["name"] for c in sa.inspect(conn).get_columns("posts")}
    engine.dispose()


def test_the_library_counts_a_featured_picture_as_used(media_app, author):
    publish_with_picture(author, media_app)
    media_id = media_id_named(media_app, "harbour.jpg")
    assert "Harbour Walk" in text(author.get("/admin/media"))
    page = text(author.get(f"/admin/media/{media_id}/delete"))
    assert "This picture is used in 1 post" in page
    assert "Harbour Walk</a> (its featured image: the post will have none)" in page
    refused = author.post(f"/admin/media/{media_id}/delete", data={})
    assert "Posts use this picture: tick the box to delete it anyway." in text(refused)
    assert featured_picture(text(author.get("/posts/harbour-walk"))) is not None
