"""Listing and article pages run a fixed number of queries, whatever the number of posts."""

from datetime import UTC

import pytest

from blog.extensions import db

from .helpers import count_queries, queries_for


@pytest.mark.parametrize("url", ["/", "/posts/", "/posts/post-2", "/tags/common", "/archive/2024/05"])
def test_pages_run_the_same_queries_with_3_and_60_posts(make_app, url):
    from datetime import datetime, timedelta

    from .conftest import Content

    app = make_app()
    content = Content(app)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    authors = [content.author(email=f"writer{n}@example.com", name=f"Writer {n}") for n in range(6)]
    counts = []
    for first, total in ((0, 3), (3, 60)):
        for i in range(first, total):
            content.post(
                f"Post {i}",
                slug=f"post-{i}",
                published_at=start + timedelta(hours=i),
                tags=["Common", f"T{i % 7}"],
                author_id=authors[i % 6],
            )
        counts.append(queries_for(app, app.test_client(), url))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries with 3 posts, {counts[1]} with 60"
    assert counts[0] <= 8


@pytest.mark.parametrize("url", ["/", "/posts/", "/archive/2024/05"])
def test_listings_do_not_load_the_tags_they_never_show(make_app, url):
    from datetime import datetime, timedelta

    from .conftest import Content

    app = make_app()
    content = Content(app)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for i in range(3):
        content.post(f"Post {i}", slug=f"post-{i}", published_at=start + timedelta(hours=i), tags=["Common"])
    client = app.test_client()
    with count_queries(app) as statements:
        page = client.get(url).get_data(as_text=True)
    assert "Post 2" in page
    # The sidebar's tags come from one aggregate (with their counts), never with each post.
    assert [s for s in statements if "tags.name" in s and "count(" not in s] == []


@pytest.mark.parametrize("url", ["/admin/posts", "/admin/comments", "/admin/messages"])
def test_dashboard_lists_run_the_same_queries_with_3_and_60_rows(make_app, url):
    from blog.models import Comment, ContactMessage, OutboxMail

    from .conftest import Content

    app = make_app()
    content = Content(app)
    content.author(email="rita@example.com", name="Rita Admin", role="admin")
    authors = [content.author(email=f"writer{n}@example.com", name=f"Writer {n}") for n in range(6)]
    admin = app.test_client()
    admin.post("/login", data={"email": "rita@example.com", "password": "correct horse"})
    counts = []
    for first, total in ((0, 3), (3, 60)):
        for i in range(first, total):
            post_id = content.post(f"Post {i}", slug=f"post-{i}", tags=["Common"], author_id=authors[i % 6])
            with app.app_context():
                comment = Comment(
                    post_id=post_id,
                    name=f"Reader {i}",
                    email=f"reader{i}@example.com",
                    body="Hi.",
                    body_html="<p>Hi.</p>",
                    status=Comment.PENDING,
                )
                db.session.add(comment)
                db.session.flush()
                db.session.add(
                    Comment(
                        post_id=post_id,
                        parent_id=comment.id,
                        root_id=comment.id,
                        depth=2,
                        name=f"Replier {i}",
                        email=f"replier{i}@example.com",
                        body="Yes.",
                        body_html="<p>Yes.</p>",
                        status=Comment.PENDING,
                    )
                )
                message = ContactMessage(name=f"Visitor {i}", email=f"visitor{i}@example.com", message="Hello.")
                db.session.add(message)
                db.session.add(
                    OutboxMail(to_addresses="rita@example.com", subject="Hello", body="Hello.", contact_message=message)
                )
                db.session.commit()
        counts.append(queries_for(app, admin, url))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries with 3 rows, {counts[1]} with 60"
    newer = {"/admin/posts": "Newer posts", "/admin/comments": "Newer comments", "/admin/messages": "Newer messages"}
    assert f">{newer[url]}</a>" in admin.get(f"{url}?page=2").get_data(as_text=True)


def test_the_article_links_statement_carries_its_limits_in_the_sql():
    """PostgreSQL reuses one plan of a prepared statement only when that plan's cost is known: with its
    LIMITs bound as parameters the links' reusable plan was costed as reading a tenth of the posts three
    times, so on a large blog it was planned anew on every request (custom plans, 25 of 25)."""
    from sqlalchemy.dialects import postgresql

    from blog.posts.queries import RECENT_LINKS, article_links_select

    compiled = article_links_select().compile(dialect=postgresql.psycopg.dialect())
    sql = str(compiled)
    assert sql.count("LIMIT 1)") == 2 and f"LIMIT {RECENT_LINKS})" in sql
    assert "LIMIT %(" not in sql
