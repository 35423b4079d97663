"""Listing counts kept on write (tags.post_count, site_state.post_count, post_tags.listed_at) match the posts
after every kind of change, and the archive and tag pages a reader sees follow them."""

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import delete, select, update

import blog.models
import blog.posts.queries
from blog.extensions import db
from blog.models import ArchiveMonth, Post, PostKind, SiteState, Tag, post_tags
from blog.posts.services import fill_post, move_post, publish, unpublish

from .conftest import NOW, Content
from .helpers import flask_cli, text


def kept_matches_the_posts(app) -> dict[str, int]:
    """Compare what is kept with the posts themselves, worked out in Python; returns the kept counts."""
    with app.app_context():
        posts = {
            p.id: p.published_at if (p.kind == PostKind.POST and not p.is_draft and p.published_at) else None
            for p in db.session.scalars(select(Post))
        }
        links = db.session.execute(select(post_tags.c.post_id, post_tags.c.tag_id, post_tags.c.listed_at)).all()
        for post_id, tag_id, listed_at in links:
            assert listed_at == posts[post_id], (post_id, tag_id)
        kept = {tag.slug: tag.post_count for tag in db.session.scalars(select(Tag))}
        for tag in db.session.scalars(select(Tag)):
            assert kept[tag.slug] == sum(1 for p, t, _ in links if t == tag.id and posts[p]), tag.slug
        archive = db.session.scalar(select(SiteState.post_count).where(SiteState.id == 1))
        assert archive == sum(1 for at in posts.values() if at)
        months: dict[int, int] = {}
        for at in posts.values():
            if at:
                months[blog.models.month_key(at)] = months.get(blog.models.month_key(at), 0) + 1
        kept_months = db.session.execute(select(ArchiveMonth.month, ArchiveMonth.post_count)).all()
        assert {month: n for month, n in kept_months if n} == months
        return {**kept, "archive": archive}


def last_page(client, path: str) -> int:
    """The highest page number a reader is offered (one post per page: the number of posts listed)."""
    response = client.get(path)
    if response.status_code == 404:
        return 0
    numbers = [int(n) for n in re.findall(r"[?&amp;]page=(\d+)", text(response))]
    return max(numbers, default=1)


def listing(client, path: str) -> str:
    """The page's own list, without the sidebar's recent posts."""
    return text(client.get(path)).split('id="recent-posts-heading"')[0]


def change(app, post_id: int, how) -> None:
    with app.app_context():
        how(db.session.get(Post, post_id))
        db.session.commit()


def test_counts_follow_publish_unpublish_schedule_tags_kind_and_delete(make_app):
    app = make_app(POSTS_PER_PAGE=1)
    content = Content(app)
    first = content.post("First", tags=["Walks", "Coast"], days_ago=3)
    second = content.post("Second", tags=["Walks"], draft=True)
    third = content.post("Third", tags=["Walks"], published_at=NOW + timedelta(days=2))  # scheduled
    content.post("Fourth", tags=["Coast"], days_ago=2)
    client = app.test_client()
    assert kept_matches_the_posts(app) == {"walks": 2, "coast": 2, "archive": 3}
    assert last_page(client, "/tags/walks") == 1 and last_page(client, "/posts/") == 2

    change(app, second, lambda p: publish(p, None))
    assert kept_matches_the_posts(app)["walks"] == 3
    assert last_page(client, "/tags/walks") == 2 and last_page(client, "/posts/") == 3
    assert "Second" in listing(client, "/tags/walks")  # the newest first

    change(app, first, unpublish)
    assert kept_matches_the_posts(app) == {"walks": 2, "coast": 1, "archive": 3}
    assert last_page(client, "/tags/walks") == 1 and "First" not in listing(client, "/tags/walks")

    change(app, first, lambda p: publish(p, NOW - timedelta(days=70)))  # another month
    assert kept_matches_the_posts(app)["archive"] == 4
    assert len(re.findall(r'href="/archive/\d{4}/\d{2}"', text(client.get("/posts/")))) == 2 + (
        blog.models.month_key(NOW - timedelta(days=2)) != blog.models.month_key(NOW)
    )

    change(app, first, lambda p: publish(p, NOW + timedelta(days=1)))  # scheduled: counted, not listed yet
    assert kept_matches_the_posts(app) == {"walks": 3, "coast": 2, "archive": 4}
    assert last_page(client, "/tags/coast") == 1 and last_page(client, "/posts/") == 2

    with app.app_context():  # tags taken off and put on, a new tag among them
        fill_post(
            db.session.get(Post, second), title="Second", body="Words.", excerpt=None, tag_names=["Coast", "Hills"]
        )
        db.session.commit()
    assert kept_matches_the_posts(app) == {"walks": 2, "coast": 3, "hills": 1, "archive": 4}
    assert last_page(client, "/tags/walks") == 0  # only scheduled posts left: no tag page yet
    assert last_page(client, "/tags/coast") == 2 and "Second" in listing(client, "/tags/hills")

    change(app, second, lambda p: move_post(p, slug=p.slug, kind=PostKind.PAGE))  # a page is never listed
    assert kept_matches_the_posts(app) == {"walks": 2, "coast": 2, "hills": 0, "archive": 3}
    assert last_page(client, "/tags/hills") == 0 and last_page(client, "/posts/") == 1

    with app.app_context():  # from the tag's side
        hills, post = db.session.scalar(select(Tag).where(Tag.slug == "hills")), db.session.get(Post, first)
        hills.posts.append(post)
        db.session.commit()
    assert kept_matches_the_posts(app)["hills"] == 1

    with app.app_context():
        db.session.delete(db.session.get(Post, third))
        db.session.commit()
    assert kept_matches_the_posts(app) == {"walks": 1, "coast": 2, "hills": 1, "archive": 2}


def test_counts_follow_bulk_statements_and_a_schedule_reaching_its_time(make_app, monkeypatch):
    app = make_app(POSTS_PER_PAGE=1)
    content = Content(app)
    for n in range(3):
        content.post(f"Draft {n}", tags=["Walks"], draft=True, published_at=NOW - timedelta(minutes=n))
    content.post("Later", tags=["Walks"], published_at=NOW + timedelta(hours=2))
    client = app.test_client()
    assert kept_matches_the_posts(app) == {"walks": 1, "archive": 1}
    assert last_page(client, "/tags/walks") == 0

    with app.app_context():  # one statement for many posts (a bulk change of times needs `flask recount`: months)
        db.session.execute(update(Post).where(Post.is_draft.is_(True)).values(is_draft=False))
        db.session.commit()
    assert kept_matches_the_posts(app) == {"walks": 4, "archive": 4}
    assert last_page(client, "/tags/walks") == 3 and last_page(client, "/posts/") == 3

    later = NOW + timedelta(hours=3)  # the scheduled post's time comes: no write, one more post listed
    monkeypatch.setattr(blog.models, "utcnow", lambda: later)
    monkeypatch.setattr(blog.posts.queries, "utcnow", lambda: later)
    assert last_page(client, "/tags/walks") == 4 and last_page(client, "/posts/") == 4
    assert "Later" in listing(client, "/tags/walks")

    with app.app_context():
        db.session.execute(delete(Post).where(Post.title == "Draft 0"))
        db.session.execute(sa.delete(post_tags).where(post_tags.c.post_id == 2))
        db.session.commit()
    assert kept_matches_the_posts(app) == {"walks": 2, "archive": 3}
    assert last_page(client, "/tags/walks") == 2


def test_recount_puts_listing_counts_right_after_a_change_outside_the_app(app, content, runner):
    content.post("Kept", tags=["Walks"])
    content.post("Also kept", tags=["Walks"])
    with app.app_context():  # as a change through a bare connection would leave them
        db.session.execute(sa.text("UPDATE tags SET post_count = 7"))
        db.session.execute(sa.text("UPDATE site_state SET post_count = NULL"))
        db.session.execute(sa.text("UPDATE post_tags SET listed_at = NULL"))
        db.session.commit()
    client = app.test_client()
    assert "Also kept" not in listing(client, "/tags/walks")  # no row says the posts are listed
    assert "Also kept" in listing(client, "/posts/")  # an unknown archive count is counted the long way
    output = runner.invoke(args=["recount"]).output
    assert "Recounted the listings of 1 tag(s) and of the archive." in output
    assert kept_matches_the_posts(app) == {"walks": 2, "archive": 2}
    page = listing(app.test_client(), "/tags/walks")
    assert "Kept" in page and "Also kept" in page


def test_listing_counts_migration_fills_existing_rows(empty_database):
    assert flask_cli(empty_database, "db", "upgrade", "0a8d99251a5f").returncode == 0
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, created_at, slug) "
                "VALUES (1, 'a@example.com', 'A', '!', 'author', true, '2025-01-01 00:00:00+00:00', 'a')"
            )
        )
        # A published article, a draft, a scheduled article and a published page.
        for post_id, draft, published, month, kind in (
            (1, False, "2025-10-01 10:00:00+00:00", 202510, "post"),
            (2, True, None, None, "post"),
            (3, False, "2999-01-01 00:00:00+00:00", 299901, "post"),
            (4, False, "2025-10-02 10:00:00+00:00", 202510, "page"),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                    "published_at, published_month, created_at, updated_at, author_id, kind, comments_open) "
                    "VALUES (:id, 'T', :slug, 'b', '<p>b</p>', 'e', 1, :draft, :at, :month, "
                    "'2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00', 1, :kind, true)"
                ),
                {"id": post_id, "slug": f"p{post_id}", "draft": draft, "at": published, "month": month, "kind": kind},
            )
        conn.execute(sa.text("INSERT INTO tags (id, name, slug) VALUES (1, 'Walks', 'walks'), (2, 'Empty', 'empty')"))
        conn.execute(sa.text("INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1), (2, 1), (3, 1), (4, 1), (2, 2)"))
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    from blog import create_app

    from .conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database, "POSTS_PER_PAGE": 1})
    assert kept_matches_the_posts(app) == {"walks": 2, "empty": 0, "archive": 2}
    assert last_page(app.test_client(), "/tags/walks") == 1 and last_page(app.test_client(), "/posts/") == 1
    with app.app_context():
        db.engine.dispose()
    downgrade = flask_cli(empty_database, "db", "downgrade", "0a8d99251a5f")
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM post_tags")).scalar() == 5
        assert "post_count" not in {c["name"] for c in sa.inspect(conn).get_columns("tags")}
    engine.dispose()


def archive_order(client, pages: int) -> list[str]:
    """The titles the archive lists, page after page, each once, in the order shown."""
    shown: list[str] = []
    for page in range(1, pages + 1):
        for title in re.findall(r"Walk \d\d", listing(client, f"/posts/?page={page}")):
            if title not in shown:
                shown.append(title)
    return shown


def test_deep_archive_pages_skip_whole_months_and_list_what_plain_paging_lists(make_app):
    app = make_app(POSTS_PER_PAGE=2)
    content = Content(app)
    for n in range(11):  # one every 9 days: four or five months, pages that start inside and across them
        content.post(f"Walk {n:02d}", published_at=NOW - timedelta(days=9 * n, hours=n))
    content.post("Walk 98", draft=True)
    content.post("Walk 99", published_at=NOW + timedelta(days=1))  # scheduled: counted in its month, not shown
    expected = [f"Walk {n:02d}" for n in range(11)]
    client = app.test_client()
    with app.app_context():
        months = blog.posts.queries.archive_months()
        seek = blog.posts.queries.month_seek(months, 11)
        assert len(months) >= 4 and seek is not None
        skipped_to = seek(2 * 4)  # page 5 starts in an older month: the ids come from that month's start
        assert skipped_to is not None and 0 <= skipped_to[1] < 8
    assert archive_order(client, 6) == expected
    assert client.get("/posts/?page=7").status_code == 404

    with app.app_context():  # counts that do not add up (a change outside the app): no seek, the same pages
        db.session.execute(update(ArchiveMonth).values(post_count=ArchiveMonth.post_count + 1))
        db.session.commit()
        assert blog.posts.queries.month_seek(blog.posts.queries.archive_months(), 11) is None
    assert archive_order(app.test_client(), 6) == expected
