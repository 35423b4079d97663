"""The round trip: export a blog, import the file into an empty database, find the same blog there."""

from datetime import UTC, datetime

from sqlalchemy import select

from blog import create_app
from blog.extensions import db
from blog.models import Comment, Post, Redirect, User

from .conftest import BASE_CONFIG
from .helpers import fill_export_blog, flask_cli

NOW = datetime.now(UTC).replace(microsecond=0)


def snapshot(app) -> dict:
    """The blog as a reader and an admin know it, keyed by what survives a move (slugs, names, times):
    database ids change, everything else must not."""
    with app.app_context():
        posts = {}
        for post in db.session.scalars(select(Post).order_by(Post.id)):
            posts[post.slug] = {
                "title": post.title,
                "kind": post.kind,
                "status": post.status,
                "is_draft": post.is_draft,
                "published_at": post.published_at,
                "body": post.body,
                "excerpt": post.excerpt,
                "tags": sorted(tag.name for tag in post.tags),
                "comments_open": post.comments_open,
                "author": post.author.email,
            }
        comments = {}
        by_id = {c.id: c for c in db.session.scalars(select(Comment))}

        def key(comment: Comment) -> tuple:
            return (comment.post.slug, comment.name, comment.body, comment.created_at)

        for comment in by_id.values():
            parent = by_id.get(comment.parent_id) if comment.parent_id else None
            comments[key(comment)] = {
                "status": comment.status,
                "email": comment.email,
                "depth": comment.depth,
                "parent": key(parent) if parent is not None else None,
                "root": key(by_id[comment.root_id]) if comment.root_id else None,
            }
        redirects = {r.old_path: r.post.slug for r in db.session.scalars(select(Redirect))}
        authors = {u.email: u.name for u in db.session.scalars(select(User))}
        return {"posts": posts, "comments": comments, "redirects": redirects, "authors": authors}


def test_export_then_import_into_an_empty_blog_gives_the_same_blog(make_app, empty_database, tmp_path):
    source = make_app(SITE_URL="https://blog.example.com", SITE_TIMEZONE="Europe/Berlin")
    fill_export_blog(source, NOW)
    before = snapshot(source)
    export = tmp_path / "blog.xml"
    result = source.test_cli_runner().invoke(args=["export", str(export)])
    assert result.exit_code == 0, result.output

    migrated = flask_cli(empty_database, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    target = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    try:
        dry = flask_cli(empty_database, "import", str(export), "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert snapshot(target)["posts"] == {}

        imported = flask_cli(empty_database, "import", str(export))
        assert imported.returncode == 0, imported.stderr
        after = snapshot(target)
        assert after["posts"] == before["posts"]
        assert after["comments"] == before["comments"]
        assert after["authors"] == before["authors"]
        # The importer may add the old WordPress addresses it finds (?p=<id>, the link's path) as well.
        for old_path, slug in before["redirects"].items():
            assert after["redirects"].get(old_path) == slug

        with target.app_context():
            imported_authors = list(db.session.scalars(select(User)))
            assert all(not user.active for user in imported_authors)  # created deactivated, no password known
        response = target.test_client().get("/2019/05/uber-die-grenze.html")
        assert response.status_code == 301
        assert response.headers["Location"].endswith("/posts/uber-die-grenze")

        again = flask_cli(empty_database, "import", str(export))
        assert again.returncode == 0, again.stderr
        assert snapshot(target) == after  # keyed by source id: the second run adds nothing
    finally:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()
