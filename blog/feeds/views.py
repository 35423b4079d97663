"""Feeds and the sitemap: XML rendered from autoescaped templates, one query per list."""

from flask import Blueprint, current_app, make_response, render_template

from ..comments.queries import feed_comments
from ..extensions import db
from ..models import PostKind, utcnow
from ..posts.queries import archive_months, visible_post_by_slug
from . import queries

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"


def xml_response(template: str, mimetype: str, **context):
    response = make_response(render_template(template, **context))
    response.headers["Content-Type"] = mimetype
    return response


@bp.get("/feed.atom")
def atom():
    posts = db.session.scalars(queries.feed_posts()).all()
    updated = max((post.revised_at for post in posts), default=utcnow())
    return xml_response("feeds/posts.atom.xml", ATOM, posts=posts, updated=updated)


@bp.get("/posts/<slug>/comments.atom")
def comments_atom(slug: str):
    post = db.first_or_404(visible_post_by_slug(slug))
    comments = db.session.scalars(feed_comments(post)).all()
    updated = max((comment.updated_at for comment in comments), default=post.updated_at)
    return xml_response("feeds/comments.atom.xml", ATOM, post=post, comments=comments, updated=updated)


@bp.get("/sitemap.xml")
def sitemap():
    posts = db.session.execute(queries.sitemap_posts()).all()
    tags = db.session.scalars(queries.sitemap_tags()).all()
    per_page = current_app.config["POSTS_PER_PAGE"]
    listed = sum(1 for post in posts if post.kind == PostKind.POST)  # the archive pages list articles only
    archive_pages = max(1, -(-listed // per_page))
    return xml_response(
        "feeds/sitemap.xml",
        "application/xml; charset=utf-8",
        posts=posts,
        tags=tags,
        archive_pages=archive_pages,
        months=archive_months(),
        newest=posts[0].updated_at if posts else None,
    )


@bp.get("/robots.txt")
def robots():
    response = make_response(render_template("feeds/robots.txt"))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response
