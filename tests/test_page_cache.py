"""The page cache for anonymous readers, HTTP caching (ETag, 304, Cache-Control) and compression.

Correctness first: every kind of change a reader could see shows on the next anonymous request, from this
app, another app object and another process sharing the database (and Redis); pages of logged-in authors
and commenters are never stored nor served from the cache.
"""

import gzip
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from types import SimpleNamespace

import brotli
import pytest
import sqlalchemy as sa
from sqlalchemy import select

import blog.models
import blog.public_forms
from blog.extensions import db
from blog.models import Comment, Post, SiteState, Tag, User

from .conftest import NOW, Content
from .helpers import ADMIN_EMAIL, AUTHOR_EMAIL, ROOT, account_form, flask_cli, log_in, saved_id, text, token_of, write

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
STORES = ["memory"] + (["redis"] if TEST_REDIS_URL else [])


def cache_settings(store: str) -> dict:
    if store == "redis":
        return {"CACHE_URL": TEST_REDIS_URL, "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    return {}


@pytest.fixture(params=STORES)
def store(request):
    return request.param


@pytest.fixture
def cached_app(make_app, store):
    # Pages with a comment form are kept for an hour here (a token's minimum time has a test of its own).
    settings = {"COMMENT_MIN_SECONDS": 0, "PAGE_CACHE_FORM_SECONDS": 3600, **cache_settings(store)}
    return make_app(COMMENT_MODERATION="all", **settings)


def logged_in(app, email=AUTHOR_EMAIL):
    client = app.test_client()
    assert log_in(client, email).headers["Location"] == "/admin/"
    return client


def anonymous(app, url="/", **kwargs):
    """A fresh browser: no cookies at all."""
    return app.test_client().get(url, **kwargs)


def page(app, url="/") -> str:
    response = anonymous(app, url)
    assert response.status_code == 200, url
    return text(response)


def test_an_anonymous_page_is_made_once_then_served_from_the_cache(cached_app):
    Content(cached_app).post("Harbour Lights", tags=["Coast"])
    first, second = anonymous(cached_app), anonymous(cached_app)
    assert first.headers["X-Page-Cache"] == "miss" and second.headers["X-Page-Cache"] == "hit"
    assert text(first) == text(second) and "Harbour Lights" in text(second)
    for name in ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "ETag", "Last-Modified"):
        assert second.headers[name] == first.headers[name], name
    assert second.headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=60"
    assert {v.strip() for v in second.headers["Vary"].split(",")} >= {"Accept-Encoding", "Cookie"}
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    # Other reader pages and the feed are cached alike.
    for url in ("/posts/harbour-lights", "/tags/coast", "/feed.atom", "/sitemap.xml", "/search?q=harbour"):
        assert anonymous(cached_app, url).headers["X-Page-Cache"] == "miss", url
        assert anonymous(cached_app, url).headers["X-Page-Cache"] == "hit", url


def test_publish_update_and_unpublish_in_the_editor_show_at_once(cached_app, author):
    writer = logged_in(cached_app)
    assert "Packing For The Coast" not in page(cached_app)
    post_id = saved_id(write(writer, button="publish"))
    assert "Packing For The Coast" in page(cached_app)
    assert "Packing For The Coast" in page(cached_app, "/feed.atom")
    assert "a notebook" in page(cached_app, "/posts/packing-for-the-coast")

    write(writer, title="Packing For The Hills", body="A compass.", button="update", post_id=post_id)
    home = page(cached_app)
    assert "Packing For The Hills" in home and "Packing For The Coast" not in home
    assert "A compass." in page(cached_app, "/posts/packing-for-the-coast")

    write(writer, title="Packing For The Hills", body="A compass.", button="unpublish", post_id=post_id)
    assert "Packing For The Hills" not in page(cached_app)
    assert anonymous(cached_app, "/posts/packing-for-the-coast").status_code == 404


def test_a_scheduled_post_appears_when_its_time_comes_without_any_write(cached_app, monkeypatch):
    content = Content(cached_app)
    content.post("Already Out")
    content.post("Tomorrow's Walk", published_at=NOW + timedelta(hours=2))
    assert "Tomorrow&#39;s Walk" not in page(cached_app) and "Already Out" in page(cached_app)
    assert anonymous(cached_app).headers["X-Page-Cache"] == "hit"
    with cached_app.app_context():
        assert db.session.get(SiteState, 1).next_publish_at == NOW + timedelta(hours=2)

    later = NOW + timedelta(hours=3)
    monkeypatch.setattr(blog.models, "utcnow", lambda: later)
    response = anonymous(cached_app)
    assert response.headers["X-Page-Cache"] == "miss" and "Tomorrow&#39;s Walk" in text(response)
    assert "Tomorrow&#39;s Walk" in page(cached_app, "/feed.atom")
    with cached_app.app_context():
        assert db.session.get(SiteState, 1).next_publish_at is None
    assert anonymous(cached_app).headers["X-Page-Cache"] == "hit"


def comment_on(app, slug, body, client=None):
    """An anonymous reader posts a comment (the minimum time is waited out on the token's clock)."""
    client = client or app.test_client()
    token = token_of(client.get(f"/posts/{slug}"))
    response = client.post(
        f"/posts/{slug}/comments",
        data={"token": token, "name": "Bo Reader", "email": "bo@example.com", "body": body},
    )
    assert response.status_code == 302, text(response)
    with app.app_context():
        return client, db.session.scalar(select(Comment.id).where(Comment.body == body))


def test_comment_approval_edit_and_delete_show_at_once(make_app, store, author, admin):
    # No moderation, so an edit stays approved; the moderator marks the comment spam, then approves it.
    cached_app = make_app(
        COMMENT_MODERATION="none", COMMENT_MIN_SECONDS=0, PAGE_CACHE_FORM_SECONDS=3600, **cache_settings(store)
    )
    Content(cached_app).post("Hello", slug="hello", author_id=author)
    page(cached_app, "/posts/hello")
    commenter, comment_id = comment_on(cached_app, "hello", "Lovely gulls.")
    assert "Lovely gulls." in page(cached_app, "/posts/hello")
    moderator = logged_in(cached_app, ADMIN_EMAIL)
    moderator.post(f"/admin/comments/{comment_id}/spam")
    assert "Lovely gulls." not in page(cached_app, "/posts/hello")

    moderator.post(f"/admin/comments/{comment_id}/approve")
    assert "Lovely gulls." in page(cached_app, "/posts/hello")
    assert "Lovely gulls." in page(cached_app, "/posts/hello/comments.atom")

    edit = commenter.get(f"/comments/{comment_id}/edit")
    commenter.post(f"/comments/{comment_id}/edit", data={"token": token_of(edit), "body": "Lovely terns."})
    article = page(cached_app, "/posts/hello")
    assert "Lovely terns." in article and "Lovely gulls." not in article

    delete = commenter.get(f"/comments/{comment_id}/delete")
    commenter.post(f"/comments/{comment_id}/delete", data={"token": token_of(delete)})
    assert "Lovely terns." not in page(cached_app, "/posts/hello")


def test_a_tag_rename_and_an_author_rename_show_at_once(cached_app, author):
    Content(cached_app).post("Harbour Lights", tags=["Coast"], author_id=author)
    assert "Coast" in page(cached_app, "/posts/harbour-lights") and "Ada Writer" in page(
        cached_app, "/posts/harbour-lights"
    )
    with cached_app.app_context():
        db.session.scalar(select(Tag).where(Tag.slug == "coast")).name = "Seaside"
        db.session.commit()
    assert "Seaside" in page(cached_app, "/posts/harbour-lights")

    writer = logged_in(cached_app)
    writer.post("/admin/account", data=account_form(name="Ada Lovelace"))
    article = page(cached_app, "/posts/harbour-lights")
    assert "Ada Lovelace" in article and "Ada Writer" not in article


def test_a_login_does_not_empty_the_cache(cached_app, author):
    Content(cached_app).post("Harbour Lights", author_id=author)
    anonymous(cached_app)
    logged_in(cached_app)  # a session row and a login: no change to any page
    assert anonymous(cached_app).headers["X-Page-Cache"] == "hit"


def test_changes_show_on_another_app_sharing_the_database_and_cache(make_app, store):
    settings = {"COMMENT_MODERATION": "none", **cache_settings(store)}
    first, second = make_app(**settings), make_app(**settings)
    content = Content(first)
    content.post("Harbour Lights", tags=["Coast"])
    assert "Harbour Lights" in page(second) and "Harbour Lights" in page(first)
    if store == "redis":  # one copy for every worker and host
        assert anonymous(second).headers["X-Page-Cache"] == "hit"
    content.post("Second Walk")
    assert "Second Walk" in page(second)
    with first.app_context():
        db.session.scalar(select(Post).where(Post.slug == "harbour-lights")).title = "Harbour Nights"
        db.session.commit()
    assert "Harbour Nights" in page(second)


def test_a_change_from_another_process_shows_at_once(cached_app, database_url, store):
    Content(cached_app).post("Harbour Lights", tags=["Coast"])
    assert "Coast" in page(cached_app, "/posts/harbour-lights")
    assert anonymous(cached_app, "/posts/harbour-lights").headers["X-Page-Cache"] == "hit"
    script = (
        "from sqlalchemy import update\n"
        "from blog import create_app\n"
        "from blog.extensions import db\n"
        "from blog.models import Tag\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    db.session.execute(update(Tag).where(Tag.slug == 'coast').values(name='Shoreline'))\n"
        "    db.session.commit()\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 32}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Shoreline" in page(cached_app, "/posts/harbour-lights")


def test_pages_of_logged_in_authors_are_never_stored_nor_served_from_the_cache(cached_app, author):
    Content(cached_app).post("Harbour Lights", author_id=author)
    writer = logged_in(cached_app)
    for _ in range(2):
        response = writer.get("/")
        assert "X-Page-Cache" not in response.headers and "Log out" in text(response)
        assert response.headers["Cache-Control"] == "private, no-store"
    assert anonymous(cached_app).headers["X-Page-Cache"] == "miss"  # the author's page was not stored
    assert "Log out" not in text(anonymous(cached_app))
    assert writer.get("/").headers.get("X-Page-Cache") is None  # nor is the reader's page given to her
    dashboard = writer.get("/admin/")
    assert dashboard.headers["Cache-Control"] == "private, no-store" and "X-Page-Cache" not in dashboard.headers


def test_a_commenter_with_their_cookie_never_gets_a_cached_page(cached_app):
    Content(cached_app).post("Hello", slug="hello")
    anonymous(cached_app, "/posts/hello")
    commenter, _ = comment_on(cached_app, "hello", "Held words.")
    response = commenter.get("/posts/hello")
    assert "X-Page-Cache" not in response.headers and "Held words." in text(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Held words." not in page(cached_app, "/posts/hello")


def test_posts_flashes_and_errors_are_not_cached(cached_app):
    assert anonymous(cached_app, "/posts/nowhere").status_code == 404
    assert "X-Page-Cache" not in anonymous(cached_app, "/posts/nowhere").headers
    assert "X-Page-Cache" not in anonymous(cached_app, "/login").headers
    response = cached_app.test_client().post("/search", data={"q": "x"})
    assert "X-Page-Cache" not in response.headers


def test_a_matching_etag_or_date_answers_304(cached_app):
    content = Content(cached_app)
    content.post("Harbour Lights")
    for _ in range(2):  # made, then from the cache
        first = anonymous(cached_app, "/posts/harbour-lights")
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert etag.startswith('W/"')
        again = anonymous(cached_app, "/posts/harbour-lights", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
        assert (
            anonymous(cached_app, "/posts/harbour-lights", headers={"If-Modified-Since": modified}).status_code == 304
        )
    content.post("Another Walk")
    changed = anonymous(cached_app, "/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Another Walk" in text(changed)


def test_gzip_and_brotli_bodies_decode_to_the_same_page(cached_app):
    Content(cached_app).post("Harbour Lights", body="Gulls over the harbour. " * 200)
    plain = anonymous(cached_app, "/posts/harbour-lights").data
    for _ in range(2):  # made, then from the cache
        zipped = anonymous(cached_app, "/posts/harbour-lights", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == plain
        assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain) / 3
        br = anonymous(cached_app, "/posts/harbour-lights", headers={"Accept-Encoding": "gzip, deflate, br"})
        assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == plain
    refused = anonymous(cached_app, "/posts/harbour-lights", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain
    for _ in range(2):  # too small to compress: the same bytes, found in the cache whatever the encoding
        robots = anonymous(cached_app, "/robots.txt", headers={"Accept-Encoding": "br"})
        assert "Content-Encoding" not in robots.headers and b"Sitemap:" in robots.data
    assert robots.headers["X-Page-Cache"] == "hit"
    css = anonymous(cached_app, "/static/css/site.css", headers={"Accept-Encoding": "br"})
    assert brotli.decompress(css.data) == (ROOT / "blog" / "static" / "css" / "site.css").read_bytes()
    assert "Accept-Encoding" in css.headers["Vary"]


def test_logged_in_pages_are_compressed_too(cached_app, author):
    writer = logged_in(cached_app)
    response = writer.get("/admin/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and b"Log out" in gzip.decompress(response.data)


def test_head_answers_with_the_headers_and_no_body(cached_app):
    Content(cached_app).post("Harbour Lights")
    full = anonymous(cached_app, "/posts/harbour-lights")
    for _ in range(2):
        head = cached_app.test_client().head("/posts/harbour-lights")
        assert head.status_code == 200 and head.data == b""
        assert head.headers["ETag"] == full.headers["ETag"]
        assert int(head.headers["Content-Length"]) == len(full.data)


def test_a_comment_form_from_a_cached_page_still_refuses_a_bot_that_posts_at_once(make_app, monkeypatch):
    """The token says how long copies of its page may be served: the minimum time counts from the last."""
    app = make_app(COMMENT_MODERATION="none", PAGE_CACHE_FORM_SECONDS=10)  # COMMENT_MIN_SECONDS: 3
    Content(app).post("Hello", slug="hello")
    clock = SimpleNamespace(now=1_900_000_000)
    monkeypatch.setattr(blog.public_forms, "now", lambda: clock.now)
    made = anonymous(app, "/posts/hello")
    assert made.headers["Cache-Control"] == "public, max-age=10"  # no copy outlives the cache entry
    clock.now += 9
    bot = app.test_client()
    served = bot.get("/posts/hello")
    assert served.headers["X-Page-Cache"] == "hit" and token_of(served) == token_of(made)
    data = {"token": token_of(served), "name": "Bot", "email": "bot@example.com", "body": "Buy things."}
    refused = bot.post("/posts/hello/comments", data=data)
    assert refused.status_code == 400 and "That was quicker than anyone can type." in text(refused)
    clock.now += 4  # 13 s after the page was made: 3 s after its last copy could have been served
    assert bot.post("/posts/hello/comments", data=data).status_code == 302
    # The token ages from when the page was made, however long it was served from the cache.
    clock.now += 24 * 3600
    expired = app.test_client().post("/posts/hello/comments", data={**data, "body": "Much later."})
    assert expired.status_code == 400 and "This form has expired" in text(expired)


def test_a_cached_page_with_a_form_is_made_again_when_its_time_is_up(make_app, monkeypatch):
    app = make_app(PAGE_CACHE_FORM_SECONDS=10)
    Content(app).post("Hello", slug="hello")
    clock = SimpleNamespace(now=1_900_000_000.0)
    monkeypatch.setattr(blog.public_forms, "now", lambda: int(clock.now))
    monkeypatch.setattr("blog.page_cache.time.time", lambda: clock.now)
    first = anonymous(app, "/posts/hello")
    clock.now += 11
    again = anonymous(app, "/posts/hello")
    assert again.headers["X-Page-Cache"] == "miss" and token_of(again) != token_of(first)


def test_without_redis_the_site_still_answers(make_app):
    app = make_app(CACHE_URL="redis://127.0.0.1:1/0")
    Content(app).post("Harbour Lights")
    assert "Harbour Lights" in page(app) and "Harbour Lights" in page(app)


def test_with_the_cache_off_pages_still_carry_etags_and_answer_304(make_app):
    app = make_app(PAGE_CACHE=False)
    Content(app).post("Harbour Lights")
    first = anonymous(app)
    assert "X-Page-Cache" not in first.headers and first.headers["ETag"]
    assert anonymous(app, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert first.headers["Cache-Control"].startswith("public, max-age=60")
    article = anonymous(app, "/posts/harbour-lights")  # its comment form's token is this reader's own
    assert article.headers["Cache-Control"] == "no-cache" and "X-Page-Cache" not in article.headers


def test_the_migration_fills_the_state_from_a_blog_with_rows(empty_database):
    assert flask_cli(empty_database, "db", "upgrade", "e5a1c0b7d9f2").returncode == 0
    engine = sa.create_engine(empty_database)
    soon = (NOW + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S+00:00")
    past = "2024-01-02 00:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, created_at) "
                "VALUES (1, 'old@example.com', 'Old Timer', 'x', 'author', true, :past)"
            ),
            {"past": past},
        )
        for n, (draft, published) in enumerate([(False, past), (False, soon), (True, past)], start=1):
            conn.execute(
                sa.text(
                    "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                    "published_at, created_at, updated_at, author_id, comments_open, kind) VALUES (:id, :title, "
                    ":slug, 'x', '<p>x</p>', '', 1, :draft, :published, :past, :past, 1, true, 'post')"
                ),
                {
                    "id": n,
                    "title": f"Walk {n}",
                    "slug": f"walk-{n}",
                    "draft": draft,
                    "published": published,
                    "past": past,
                },
            )
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 3
        state = conn.execute(sa.text("SELECT content_version, next_publish_at FROM site_state")).one()
    engine.dispose()
    assert state[0] == 1 and str(state[1]).startswith((NOW + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S"))
    from blog import create_app

    from .conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    assert "Walk 1" in page(app) and "Walk 2" not in page(app)
    with app.app_context():
        db.session.get(User, 1).name = "New Timer"
        db.session.commit()
        assert db.session.get(SiteState, 1).content_version == 2
        db.engine.dispose()
    downgrade = flask_cli(empty_database, "db", "downgrade", "e5a1c0b7d9f2")
    assert downgrade.returncode == 0, downgrade.stderr


def test_the_query_count_of_a_cached_page_is_one(cached_app):
    from .helpers import count_queries

    Content(cached_app).post("Harbour Lights")
    anonymous(cached_app, "/posts/harbour-lights")
    client = cached_app.test_client()
    with count_queries(cached_app) as statements:
        assert client.get("/posts/harbour-lights").headers["X-Page-Cache"] == "hit"
    assert len(statements) == 1 and "site_state" in statements[0]


def test_the_per_process_store_forgets_the_least_recently_used_page_first():
    from blog.page_cache import MemoryStore

    store = MemoryStore(2)
    store.set_many({"a": b"1", "b": b"2"}, 60)
    assert store.get("a") == b"1"  # "b" is now the least recently used
    store.set_many({"c": b"3"}, 60)
    assert (store.get("a"), store.get("b"), store.get("c")) == (b"1", None, b"3")


def test_a_page_added_to_or_moved_in_the_navigation_shows_in_every_cached_header_at_once(cached_app, author):
    from blog.models import NavItem, PostKind
    from blog.site_nav.services import show_in_navigation

    Content(cached_app).post("Harbour Lights", author_id=author)
    assert "Colophon" not in page(cached_app)
    assert anonymous(cached_app).headers["X-Page-Cache"] == "hit"
    with cached_app.app_context():
        colophon = Post(title="Colophon", slug="colophon", kind=PostKind.PAGE, excerpt="", author_id=author)
        colophon.set_body("Set in system fonts.")
        colophon.is_draft, colophon.published_at = False, NOW - timedelta(days=1)
        db.session.add(colophon)
        db.session.commit()
    assert "Colophon" not in page(cached_app)  # a page alone is not in the navigation
    with cached_app.app_context():
        show_in_navigation(db.session.scalar(select(Post).where(Post.slug == "colophon")), True)
        db.session.commit()
    assert '<a href="/colophon"' in page(cached_app)
    with cached_app.app_context():
        db.session.delete(db.session.scalar(select(NavItem)))
        db.session.commit()
    assert '<a href="/colophon"' not in page(cached_app)


def test_anonymous_reader_pages_read_outside_a_transaction_on_postgresql(make_app, database_url, author):
    """No BEGIN or ROLLBACK around a reader's page, so psycopg keeps the statements it prepared; every
    other request (a comment, a logged-in author's page, the dashboard) still runs in a transaction."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's reads run without BEGIN already")
    app = make_app(PAGE_CACHE=False, COMMENT_MIN_SECONDS=0, COMMENT_MODERATION="none")
    Content(app).post("Harbour Lights", slug="harbour-lights", author_id=author)
    with app.app_context():
        engine = db.engine
    seen: list[tuple[bool, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((cursor.connection.autocommit, cursor.connection))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(7):
            assert "Harbour Lights" in page(app, "/posts/harbour-lights")
        assert seen and all(autocommit for autocommit, _ in seen)
        connections = {connection for _, connection in seen}
        prepared = []
        for connection in connections:  # idle in the pool: asked outside a transaction, as the pages were
            connection.autocommit = True
            prepared.append(connection.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0])
            connection.autocommit = False
        assert max(prepared) >= 3  # the post, its links and its comments, parsed once for every later request

        reader = app.test_client()
        token = token_of(reader.get("/posts/harbour-lights"))
        writer = logged_in(app)
        seen.clear()
        form = {"token": token, "name": "Bo Reader", "email": "bo@example.com", "body": "Bright lamps."}
        assert reader.post("/posts/harbour-lights/comments", data=form).status_code == 302
        assert "Log out" in text(writer.get("/posts/harbour-lights"))
        assert writer.get("/admin/").status_code == 200
        assert seen and not any(autocommit for autocommit, _ in seen)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert "Bright lamps." in page(app, "/posts/harbour-lights")
