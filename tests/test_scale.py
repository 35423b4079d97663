"""Flat cost with size: reader pages run the same queries at any size, counts and months kept on the post
row, the sitemap index split into files, search ranking bounded, the reindex streamed."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update

from blog import create_app
from blog.comments.services import approve_comment, delete_comment, delete_thread, mark_spam
from blog.extensions import db
from blog.models import Comment, Post

from .conftest import NOW, Content
from .helpers import flask_cli, queries_for, text

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def add_comments(app, post_id: int, count: int, start: int = 0) -> None:
    """`count` approved comments, every third a reply to the one before it."""
    with app.app_context():
        previous = None
        for n in range(start, start + count):
            comment = Comment(
                post_id=post_id,
                name=f"Reader {n}",
                email=f"reader{n}@example.com",
                body=f"Comment {n}",
                body_html=f"<p>Comment {n}</p>",
                status=Comment.APPROVED,
                created_at=NOW - timedelta(minutes=10_000 - n),
            )
            if previous is not None and n % 3 == 2:
                comment.parent_id, comment.root_id, comment.depth = (
                    previous.id,
                    previous.root_id or previous.id,
                    previous.depth + 1,
                )
            db.session.add(comment)
            db.session.flush()
            previous = comment
        db.session.commit()


def stored_count(app, post_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Post.comment_count).where(Post.id == post_id))


def true_count(app, post_id: int) -> int:
    """What readers see, counted the long way (the subquery the stored count replaced)."""
    from blog.models import comment_count_of

    with app.app_context():
        return db.session.scalar(select(comment_count_of(post_id)))


READER_PAGES = [
    "/",
    "/posts/",
    "/posts/?page=2",
    "/tags/common",
    "/tags/common?page=2",
    "/archive/{year}/{month:02d}",
    "/posts/post-0",
    "/posts/post-0/comments.atom",
    "/search?q=post",
    "/search?q=post+words",
    "/feed.atom",
    "/sitemap.xml",
    "/sitemap-1.xml",
    "/sitemap-2.xml",
]


def test_reader_pages_run_the_same_queries_with_3_and_60_posts_and_5_and_200_comments(make_app):
    app = make_app(COMMENT_MODERATION="none")
    content = Content(app)
    newest = NOW - timedelta(hours=1)
    pages = [p.format(year=newest.year, month=newest.month) for p in READER_PAGES]
    counts = []
    for first, total, comments in ((0, 13, 5), (13, 60, 195)):
        for n in range(first, total):
            content.post(
                f"Post {n}",
                "Post words here.",
                slug=f"post-{n}",
                tags=["Common"],
                published_at=newest - timedelta(minutes=n),
            )
        add_comments(app, 1, comments, start=first * 1000)
        client = app.test_client()
        counts.append({page: queries_for(app, client, page) for page in pages})
    assert "200 comments" in text(app.test_client().get("/posts/post-0"))
    assert counts[0] == counts[1]
    # The post, its tags, the links, the thread page, its replies, and the content version the page cache
    # checks (the navigation comes from the copy made at that version, with no query of its own).
    assert counts[1]["/posts/post-0"] <= 5


def test_comment_count_kept_through_create_approve_spam_delete_and_bulk(app, content):
    post_id = content.post("Counted", slug="counted")
    other_id = content.post("Other", slug="other")
    add_comments(app, post_id, 6)
    add_comments(app, other_id, 2, start=100)
    assert stored_count(app, post_id) == 6 == true_count(app, post_id)
    with app.app_context():
        first, second, third, *_ = db.session.scalars(
            select(Comment.id).where(Comment.post_id == post_id).order_by(Comment.id)
        ).all()
        mark_spam(db.session.get(Comment, third))  # a reply: it alone goes
        db.session.commit()
    assert stored_count(app, post_id) == 5 == true_count(app, post_id)
    with app.app_context():
        comment = db.session.get(Comment, third)
        approve_comment(comment)
        db.session.commit()
    assert stored_count(app, post_id) == 6 == true_count(app, post_id)
    with app.app_context():
        mark_spam(db.session.get(Comment, second))  # a top-level comment: its thread's replies are hidden too
        db.session.commit()
    assert stored_count(app, post_id) == true_count(app, post_id) == 4
    with app.app_context():
        delete_comment(db.session.get(Comment, first))
        db.session.commit()
    assert stored_count(app, post_id) == true_count(app, post_id) == 3
    with app.app_context():
        comment = db.session.scalars(
            select(Comment).where(Comment.post_id == post_id).order_by(Comment.id.desc())
        ).first()
        delete_thread(comment)
        db.session.commit()
    assert stored_count(app, post_id) == true_count(app, post_id)
    with app.app_context():  # bulk moderation: one statement for many comments, on both posts
        db.session.execute(update(Comment).where(Comment.post_id.in_([post_id, other_id])).values(status="pending"))
        db.session.commit()
    assert stored_count(app, post_id) == 0 == stored_count(app, other_id)
    with app.app_context():
        db.session.execute(update(Comment).values(status="approved"))
        db.session.commit()
    assert stored_count(app, post_id) == true_count(app, post_id) > 0
    assert stored_count(app, other_id) == 2
    with app.app_context():
        db.session.execute(delete(Comment).where(Comment.post_id == other_id))
        db.session.commit()
    assert stored_count(app, other_id) == 0
    # What a reader sees follows the stored count.
    page = text(app.test_client().get("/posts/counted"))
    assert f"{true_count(app, post_id)} comments" in page


def test_month_list_follows_the_site_zone_across_a_dst_change(make_app):
    """Europe/Berlin: UTC+2 in summer, UTC+1 from 26 October 2025."""
    app = make_app(SITE_TIMEZONE="Europe/Berlin")
    content = Content(app)
    content.post("Late October", published_at=datetime(2025, 10, 31, 22, 30, tzinfo=UTC))  # 23:30 CET: October
    content.post("First of November", published_at=datetime(2025, 10, 31, 23, 30, tzinfo=UTC))  # 00:30 CET
    content.post("First of April", published_at=datetime(2025, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 CEST
    content.post("End of March", published_at=datetime(2025, 3, 31, 21, 30, tzinfo=UTC))  # 23:30 CEST
    content.post("Scheduled", published_at=datetime.now(UTC) + timedelta(days=3))  # not counted before its time
    page = text(app.test_client().get("/posts/"))
    months = re.findall(r"<a href=\"/archive/(\d{4}/\d{2})\">[^<]+</a> \((\d+)\)", page)
    assert months == [("2025/11", "1"), ("2025/10", "1"), ("2025/04", "1"), ("2025/03", "1")]
    assert "First of November" in text(app.test_client().get("/archive/2025/11"))
    with app.app_context():  # the key moves with the date
        post = db.session.scalar(select(Post).where(Post.slug == "first-of-april"))
        post.published_at = datetime(2025, 3, 31, 21, 0, tzinfo=UTC)
        db.session.commit()
    page = text(app.test_client().get("/posts/"))
    assert re.findall(r"/archive/2025/03\">[^<]+</a> \((\d+)\)", page) == ["2"]


def sitemap_locs(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"].startswith("application/xml")
    return [url.find(f"{SITEMAP}loc").text for url in ET.fromstring(response.data).findall(f"{SITEMAP}url")]


def test_sitemap_is_an_index_of_files_of_at_most_the_configured_size(make_app):
    app = make_app(SITEMAP_URLS_PER_FILE=3)
    content = Content(app)
    for n in range(7):
        content.post(f"Split {n}", tags=["Maps"], days_ago=n + 1)
    content.post("Hidden draft", draft=True)  # id 8
    client = app.test_client()
    index = ET.fromstring(client.get("/sitemap.xml").data)
    files = [entry.find(f"{SITEMAP}loc").text for entry in index.findall(f"{SITEMAP}sitemap")]
    assert files == [f"http://localhost/sitemap-{n}.xml" for n in range(1, 5)]
    articles = []
    for url in files:
        locs = sitemap_locs(client, url.removeprefix("http://localhost"))
        assert len(locs) <= 3
        articles += [loc for loc in locs if "/posts/" in loc and "?" not in loc and loc != "http://localhost/posts/"]
    assert sorted(articles) == sorted(f"http://localhost/posts/split-{n}" for n in range(7))
    assert client.get("/sitemap-5.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_sitemap_index_splits_at_50000_by_default(app, content):
    post_id = content.post("Only one")
    client = app.test_client()
    index = ET.fromstring(client.get("/sitemap.xml").data)
    assert len(index.findall(f"{SITEMAP}sitemap")) == 2  # the site's pages, then post ids 1 to 50,000
    with app.app_context():  # a post whose id is past 50,000 lands in a third file
        db.session.execute(update(Post).where(Post.id == post_id).values(id=50_001))
        db.session.commit()
    index = ET.fromstring(client.get("/sitemap.xml").data)
    assert len(index.findall(f"{SITEMAP}sitemap")) == 3
    assert sitemap_locs(client, "/sitemap-2.xml") == []
    assert sitemap_locs(client, "/sitemap-3.xml") == ["http://localhost/posts/only-one"]


def test_search_ranks_only_the_newest_matches_up_to_the_limit(make_app):
    app = make_app(SEARCH_RANK_LIMIT=3)
    content = Content(app)
    for n in range(6):
        content.post(f"Harbour {n}", "Gulls over the harbour.", days_ago=10 - n)
    page = text(app.test_client().get("/search?q=harbour")).split('id="recent-posts-heading"')[0]
    found = re.findall(r"Harbour (\d)", page)
    assert sorted(set(found)) == ["3", "4", "5"]


def test_reindex_streams_in_batches_and_finds_every_post(app, content, runner):
    for n in range(7):
        content.post(f"Streamed {n}", f"Word{n} and lighthouse.")
    with app.app_context():
        from blog.search.index import reindex_all

        assert reindex_all(db.session.connection(), batch_size=2) == 7
        db.session.commit()
    page = text(app.test_client().get("/search?q=lighthouse"))
    assert all(f"Streamed {n}" in page for n in range(7))
    assert "Indexed 7 post(s)." in runner.invoke(args=["search", "reindex"]).output


@pytest.fixture
def old_schema_blog(empty_database):
    """A database at the revision before counts and months, with posts and comments written as rows."""
    assert flask_cli(empty_database, "db", "upgrade", "e5a1c0b7d9f2").returncode == 0
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, created_at) "
                "VALUES (1, 'a@example.com', 'A', '!', 'author', true, '2025-01-01 00:00:00+00:00')"
            )
        )
        for post_id, published in ((1, "2025-10-31 23:30:00+00:00"), (2, "2025-10-31 22:30:00+00:00")):
            conn.execute(
                sa.text(
                    "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                    "published_at, created_at, updated_at, author_id, kind, comments_open) VALUES (:id, 'T', :slug, "
                    "'b', '<p>b</p>', 'e', 1, false, :at, :at, :at, 1, 'post', true)"
                ),
                {"id": post_id, "slug": f"p{post_id}", "at": published},
            )
        for cid, root, status in ((1, None, "approved"), (2, 1, "approved"), (3, None, "spam"), (4, 3, "approved")):
            conn.execute(
                sa.text(
                    "INSERT INTO comments (id, post_id, parent_id, root_id, depth, name, email, body, body_html, "
                    "status, created_at, updated_at) VALUES (:id, 1, :root, :root, :depth, 'n', 'n@example.com', "
                    "'b', '<p>b</p>', :status, '2025-11-02 00:00:00+00:00', '2025-11-02 00:00:00+00:00')"
                ),
                {"id": cid, "root": root, "depth": 1 if root is None else 2, "status": status},
            )
    yield empty_database, engine
    engine.dispose()


def test_counts_and_months_migration_fills_existing_rows(old_schema_blog, monkeypatch):
    url, engine = old_schema_blog
    monkeypatch.setenv("SITE_TIMEZONE", "Europe/Berlin")
    upgrade = flask_cli(url, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, comment_count, published_month FROM posts ORDER BY id")).all()
        assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar() == 4
    # Comment 4 is an approved reply under a spam thread: readers don't see it, so it is not counted.
    assert [tuple(r) for r in rows] == [(1, 2, 202511), (2, 0, 202510)]
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "SITE_TIMEZONE": "Europe/Berlin"}
    )
    page = text(app.test_client().get("/posts/"))
    assert re.findall(r"/archive/(\d{4}/\d{2})\">[^<]+</a> \((\d+)\)", page) == [("2025/11", "1"), ("2025/10", "1")]
    with app.app_context():
        db.engine.dispose()
    downgrade = flask_cli(url, "db", "downgrade", "e5a1c0b7d9f2")
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar() == 4
        assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 2


def test_recount_puts_months_in_a_new_site_zone_and_counts_right(make_app, database_url):
    app = make_app()
    post_id = Content(app).post("Midnight", published_at=datetime(2025, 10, 31, 23, 30, tzinfo=UTC))
    add_comments(app, post_id, 3)
    with app.app_context():  # as a change outside the app would leave them
        db.session.execute(sa.text("UPDATE posts SET comment_count = 0, published_month = 202510"))
        db.session.commit()
    berlin = make_app(SITE_TIMEZONE="Europe/Berlin")
    assert "Recounted 1 post(s)." in berlin.test_cli_runner().invoke(args=["recount"]).output
    with berlin.app_context():
        post = db.session.get(Post, post_id)
        assert (post.comment_count, post.published_month) == (3, 202511)


def test_a_comment_is_not_an_edit_the_post_keeps_its_updated_time(app, content):
    """The count kept on the post row is written by an UPDATE; the post's own updated_at must not move."""
    post_id = content.post("Counted", slug="counted")
    with app.app_context():
        before = db.session.get(Post, post_id).updated_at
    add_comments(app, post_id, 3)
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.comment_count == 3 and post.updated_at == before


def test_an_article_read_with_its_tags_in_one_query_shows_every_tag(client, content):
    content.post("Three Tags", tags=["Gamma", "Alpha", "Beta"])
    page = text(client.get("/posts/three-tags"))
    assert page.index("/tags/alpha") < page.index("/tags/beta") < page.index("/tags/gamma")
