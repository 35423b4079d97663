"""Listing and article pages run a fixed number of queries, whatever the number of posts."""

from contextlib import contextmanager
from datetime import UTC

import pytest
from sqlalchemy import event

from blog.extensions import db


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_for(app, client, url):
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


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
            content.post(f"Post {i}", slug=f"post-{i}", published_at=start + timedelta(hours=i),
                         tags=["Common", f"T{i % 7}"], author_id=authors[i % 6])
        counts.append(queries_for(app, app.test_client(), url))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries with 3 posts, {counts[1]} with 60"
    assert counts[0] <= 8
