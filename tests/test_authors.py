"""Author pages at /authors/<slug>, the bio on the account page, bylines, per-author and per-tag feeds."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, PostKind, User

from .conftest import NOW, Content
from .helpers import ADMIN_EMAIL, BYLINE, ROOT, csrf_token_of, field_errors, flask_cli, log_in, queries_for, text

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def slug_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).slug


def make_page(app, content, title: str, author_id: int) -> None:
    post_id = content.post(title, author_id=author_id)
    with app.app_context():
        db.session.get(Post, post_id).kind = PostKind.PAGE
        db.session.commit()


def set_bio(app, user_id: int, bio: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).bio = bio
        db.session.commit()


def main_of(response) -> str:
    """The page's own content, without the sidebar's recent posts."""
    return text(response).split('<main id="content"', 1)[1].split("</main>", 1)[0]


def entry_titles(feed) -> list[str]:
    return [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]


def test_the_author_page_shows_the_name_the_bio_escaped_and_only_their_listed_posts(app, client, content):
    ada = content.author()
    other = content.author(email="bo@example.com", name="Bo Other")
    set_bio(app, ada, "I walk <b>coasts</b> & write.\nMostly in the rain.\n\nSecond paragraph.")
    content.post("Ada Published", author_id=ada)
    content.post("Ada Draft", draft=True, author_id=ada)
    content.post("Ada Tomorrow", published_at=NOW + timedelta(days=1), author_id=ada)
    make_page(app, content, "Ada Page", ada)
    content.post("Bo Published", author_id=other)

    assert slug_of(app, ada) == "ada-writer"
    page = main_of(client.get("/authors/ada-writer"))
    head = text(client.get("/authors/ada-writer")).split("</head>")[0]
    assert "<h1>Ada Writer</h1>" in page
    assert "I walk &lt;b&gt;coasts&lt;/b&gt; &amp; write.<br>Mostly in the rain.</p>" in page
    assert '<p class="author-bio">Second paragraph.</p>' in page
    assert "<b>coasts</b>" not in page
    assert "Ada Published" in page
    for hidden in ("Ada Draft", "Ada Tomorrow", "Ada Page", "Bo Published"):
        assert hidden not in page
    feed_link = '<link rel="alternate" type="application/atom+xml" title="Posts by Ada Writer"'
    assert feed_link in head and 'href="http://localhost/authors/ada-writer/feed.atom"' in head


def test_the_author_page_is_paginated_like_the_archive(make_app):
    app = make_app(POSTS_PER_PAGE=2)
    content = Content(app)
    ada = content.author()
    for n in range(5):
        content.post(f"Walk {n}", days_ago=10 - n, author_id=ada)
    client = app.test_client()
    first = main_of(client.get("/authors/ada-writer"))
    assert "Walk 4" in first and "Walk 3" in first and "Walk 2" not in first
    assert 'rel="next" href="/authors/ada-writer?page=2"' in first
    last = client.get("/authors/ada-writer?page=3")
    assert "Walk 0" in main_of(last) and "Walk 1" not in main_of(last) and "(page 3)" in text(last)
    assert client.get("/authors/ada-writer?page=4").status_code == 404
    assert client.get("/authors/ada-writer?page=x").status_code == 404


def test_unknown_authors_are_not_found_and_an_author_without_posts_has_an_empty_page(client, content):
    content.author()
    assert client.get("/authors/nobody").status_code == 404
    assert client.get("/authors/nobody/feed.atom").status_code == 404
    page = client.get("/authors/ada-writer")
    assert page.status_code == 200 and "Nothing has been published yet." in text(page)


def test_a_deactivated_authors_page_and_feed_still_show_their_posts(app, client, content):
    ada = content.author()
    content.post("Still Here", author_id=ada)
    with app.app_context():
        db.session.get(User, ada).active = False
        db.session.commit()
    assert "Still Here" in text(client.get("/authors/ada-writer"))
    assert entry_titles(ET.fromstring(client.get("/authors/ada-writer/feed.atom").data)) == ["Still Here"]


def test_two_authors_of_one_name_get_different_slugs_and_a_new_name_keeps_the_slug(app, client, content):
    first = content.author()
    second = content.author(email="ada2@example.com")
    with app.app_context():  # two in one flush
        db.session.add_all([User(email=f"x{n}@example.com", name="Zoë Ünïcode!", password_hash="x") for n in (1, 2)])
        db.session.add(User(email="dots@example.com", name="...", password_hash="x"))
        db.session.commit()
        slugs = db.session.scalars(select(User.slug).order_by(User.id)).all()
    assert slugs == ["ada-writer", "ada-writer-2", "zoë-ünïcode", "zoë-ünïcode-2", "author"]
    content.post("By the second Ada", author_id=second)
    with app.app_context():
        db.session.get(User, first).name = "Ada Renamed"
        db.session.commit()
    assert slug_of(app, first) == "ada-writer"
    assert "Ada Renamed" in text(client.get("/authors/ada-writer"))
    assert "By the second Ada" in text(client.get("/authors/ada-writer-2"))
    assert "By the second Ada" in text(client.get("/authors/Ada-Writer-2"))


def test_bylines_on_articles_and_cards_link_to_the_author_page(client, content):
    content.post("Linked Walk", tags=["Coast"])
    for url in ("/", "/posts/", "/tags/coast", "/posts/linked-walk", "/authors/ada-writer"):
        assert BYLINE in text(client.get(url)), url
    article = text(client.get("/posts/linked-walk"))
    linked = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', article, re.S).group(1))
    assert linked["author"] == {"@type": "Person", "name": "Ada Writer", "url": "http://localhost/authors/ada-writer"}


def test_an_authors_name_in_the_byline_is_escaped(app, client, content):
    ada = content.author(name="<i>Ada</i> & Co")
    content.post("Escaped Byline", author_id=ada)
    page = text(client.get("/posts/escaped-byline"))
    assert '<a href="/authors/i-ada-i-co" rel="author">&lt;i&gt;Ada&lt;/i&gt; &amp; Co</a>' in page
    assert "<i>Ada</i>" not in page


def test_the_author_feed_lists_only_their_listed_posts(make_app):
    app = make_app(SITE_URL="https://blog.example.com")
    content = Content(app)
    ada = content.author()
    bo = content.author(email="bo@example.com", name="Bo Other")
    content.post("Older Walk", days_ago=3, author_id=ada, tags=["Coast"])
    content.post("Newer Walk", days_ago=1, author_id=ada)
    content.post("Ada Draft", draft=True, author_id=ada)
    content.post("Ada Tomorrow", published_at=NOW + timedelta(days=1), author_id=ada)
    make_page(app, content, "Ada Page", ada)
    content.post("Bo Walk", author_id=bo)
    response = app.test_client().get("/authors/ada-writer/feed.atom")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.data)
    assert feed.find(f"{ATOM}title").text == "Test Blog: posts by Ada Writer"
    assert feed.find(f"{ATOM}id").text == "https://blog.example.com/authors/ada-writer"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": "https://blog.example.com/authors/ada-writer/feed.atom",
        "alternate": "https://blog.example.com/authors/ada-writer",
    }
    assert entry_titles(feed) == ["Newer Walk", "Older Walk"]
    older = feed.findall(f"{ATOM}entry")[1]
    assert older.find(f"{ATOM}author/{ATOM}uri").text == "https://blog.example.com/authors/ada-writer"
    assert older.find(f"{ATOM}category").get("term") == "Coast"


def test_the_tag_feed_lists_only_listed_posts_with_the_tag(app, client, content):
    content.post("Tagged Walk", days_ago=2, tags=["Coast"])
    content.post("Also Tagged", days_ago=1, tags=["coast", "Rain"])
    content.post("Untagged Walk")
    content.post("Tagged Draft", draft=True, tags=["Coast"])
    content.post("Only Drafts", draft=True, tags=["Secret"])
    page_id = content.post("Tagged Page", tags=["Coast"])
    with app.app_context():
        db.session.get(Post, page_id).kind = PostKind.PAGE
        db.session.commit()
    response = client.get("/tags/coast/feed.atom")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.data)
    assert feed.find(f"{ATOM}title").text == "Test Blog: posts tagged “Coast”"
    assert entry_titles(feed) == ["Also Tagged", "Tagged Walk"]
    self_link = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"][0]
    assert self_link.get("href") == "http://localhost/tags/coast/feed.atom"
    assert client.get("/tags/secret/feed.atom").status_code == 404  # drafts only: no tag for readers yet
    assert client.get("/tags/nothing/feed.atom").status_code == 404
    tag_page = text(client.get("/tags/coast"))
    assert 'type="application/atom+xml" title="Posts tagged “Coast”" href="http://localhost/tags/coast/feed.atom"' in (
        tag_page
    )


def test_the_sitemap_lists_authors_with_listed_posts_only(client, content):
    ada = content.author()
    drafter = content.author(email="bo@example.com", name="Bo Drafter")
    content.author(email="cy@example.com", name="Cy Nothing")
    content.post("A Walk", author_id=ada)
    content.post("A Draft", draft=True, author_id=drafter)
    sitemap = ET.fromstring(client.get("/sitemap-1.xml").data)  # the index names it first: site pages, authors
    locations = [loc.text for loc in sitemap.iter(f"{SITEMAP}loc")]
    authors = [loc for loc in locations if "/authors/" in loc]
    assert authors == ["http://localhost/authors/ada-writer"]


def test_the_author_page_runs_the_same_queries_with_2_and_12_posts(make_app):
    app = make_app(POSTS_PER_PAGE=20)
    content = Content(app)
    ada = content.author()
    other = content.author(email="bo@example.com", name="Bo Other")
    counts = []
    for total in (2, 12):
        while True:
            with app.app_context():
                have = db.session.scalar(select(sa.func.count(Post.id)).where(Post.author_id == ada))
            if have >= total:
                break
            content.post(f"Walk {have}", days_ago=have + 1, author_id=ada, tags=["Coast", f"T{have}"])
            content.post(f"Other {have}", days_ago=have + 1, author_id=other)
        counts.append(queries_for(app, app.test_client(), "/authors/ada-writer"))
    assert counts[0] == counts[1], f"{counts[0]} queries with 2 posts, {counts[1]} with 12"
    # 6, and 2 more at a content version this process has not made a page at yet: the sidebar's tags and
    # months (read once per version, like the header's navigation).
    assert counts[0] <= 8


def test_the_bio_is_edited_on_the_account_page_with_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    ada = Content(app).author()
    client = app.test_client()
    log_in(client, csrf_token=csrf_token_of(client.get("/login")))
    account = client.get("/admin/account")
    assert '<label for="bio">Bio</label>' in text(account)
    assert 'href="/authors/ada-writer"' in text(account)

    refused = client.post("/admin/account/bio", data={"bio": "No token"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(User, ada).bio == ""

    saved = client.post(
        "/admin/account/bio",
        data={
            "bio": "Walker of coasts.\r\nWriter <of> things.  \r\n\r\n\r\n\r\nSecond.",
            "csrf_token": csrf_token_of(account),
        },
    )
    assert saved.headers["Location"] == "/admin/account#bio-heading"
    with app.app_context():
        assert db.session.get(User, ada).bio == "Walker of coasts.\nWriter <of> things.\n\nSecond."
    after = text(client.get("/admin/account"))
    assert "Your bio is saved." in after and "Writer &lt;of&gt; things." in after
    public = text(client.get("/authors/ada-writer"))
    assert (
        "Walker of coasts.<br>Writer &lt;of&gt; things.</p>" in public and '<p class="author-bio">Second.</p>' in public
    )

    too_long = "Long words. " * 50 + "The end of it."
    refused = client.post(
        "/admin/account/bio", data={"bio": too_long, "csrf_token": csrf_token_of(client.get("/admin/account"))}
    )
    assert refused.status_code == 200
    assert field_errors(refused)["bio"] == "Keep your bio to 500 characters."
    assert "The end of it.</textarea>" in text(refused)
    assert 'value="ada@example.com"' in text(refused)  # the account form is still there, filled
    with app.app_context():
        assert db.session.get(User, ada).bio == "Walker of coasts.\nWriter <of> things.\n\nSecond."


def test_the_bio_needs_a_login(client, content):
    content.author()
    response = client.post("/admin/account/bio", data={"bio": "Anonymous"})
    assert response.headers["Location"].startswith("/login")


def test_the_bio_form_keeps_the_admins_account_separate(make_app):
    app = make_app()
    content = Content(app)
    rita = content.author(email=ADMIN_EMAIL, name="Rita Root", role="admin")
    client = app.test_client()
    log_in(client, ADMIN_EMAIL)
    saved = client.post("/admin/account/bio", data={"bio": "Runs the place."})
    assert saved.headers["Location"] == "/admin/account#bio-heading"
    with app.app_context():
        rita_now = db.session.get(User, rita)
        assert (rita_now.bio, rita_now.name, rita_now.email) == ("Runs the place.", "Rita Root", ADMIN_EMAIL)


def test_the_migration_gives_existing_authors_unique_slugs(empty_database):
    # The revision just before this one, whatever the migrations are chained after when branches merge.
    script = next((ROOT / "migrations" / "versions").glob("ceeb79d74505_*.py")).read_text()
    before = re.search(r"^down_revision = '(\w+)'", script, re.M).group(1)
    assert flask_cli(empty_database, "db", "upgrade", before).returncode == 0
    engine = sa.create_engine(empty_database)
    now = "2026-11-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (email, name, password_hash, role, active, created_at) VALUES "
                "('ada@example.com', 'Ada Writer', 'x', 'author', true, :now), "
                "('ada2@example.com', 'Ada  Writer!', 'x', 'author', false, :now), "
                "('zoe@example.com', 'Zoë Ünïcode', 'x', 'admin', true, :now), "
                "('dots@example.com', '...', 'x', 'author', true, :now), "
                "('ada3@example.com', 'ada writer', 'x', 'author', true, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                "published_at, created_at, updated_at, author_id, comments_open, kind) VALUES (1, 'Kept', 'kept', "
                "'Body', '<p>Body</p>', 'Body', 1, false, :now, :now, :now, 2, true, 'post')"
            ),
            {"now": now},
        )
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, name, slug, bio FROM users ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [
            (1, "Ada Writer", "ada-writer", ""),
            (2, "Ada  Writer!", "ada-writer-2", ""),
            (3, "Zoë Ünïcode", "zoë-ünïcode", ""),
            (4, "...", "author", ""),
            (5, "ada writer", "ada-writer-3", ""),
        ]
        assert conn.execute(sa.text("SELECT author_id FROM posts")).scalar() == 2
    with engine.begin() as conn:  # the slug is unique in the database too
        try:
            with conn.begin_nested():
                conn.execute(sa.text("UPDATE users SET slug = 'ada-writer' WHERE id = 2"))
            raise AssertionError("a duplicate slug was stored")
        except sa.exc.IntegrityError:
            pass

    from blog import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database})
    client = app.test_client()
    assert "Kept" in text(client.get("/authors/ada-writer-2"))
    Content(app).author(email="new@example.com", name="Ada Writer")
    with app.app_context():
        assert db.session.scalar(select(User.slug).where(User.email == "new@example.com")) == "ada-writer-4"
        db.engine.dispose()

    downgrade = flask_cli(empty_database, "db", "downgrade", before)
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("users")}
        assert "slug" not in columns and "bio" not in columns
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 6
    engine.dispose()
