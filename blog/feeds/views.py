"""Feeds and the sitemap: XML rendered from autoescaped templates, one query per list."""

from flask import Blueprint, abort, current_app, make_response, render_template
from flask_babel import gettext as _

from ..authors.queries import author_by_slug, authors_with_listed_posts
from ..comments.queries import feed_comments
from ..extensions import db
from ..models import utcnow
from ..posts.queries import archive_months, find_visible_post, listed_count, tag_by_slug
from ..site_settings import site_settings
from ..templating import absolute_url
from . import queries

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"


def xml_response(template: str, mimetype: str, **context):
    response = make_response(render_template(template, **context))
    response.headers["Content-Type"] = mimetype
    return response


@bp.get("/feed.atom")
def atom():
    return posts_feed(db.session.scalars(queries.feed_posts()).all())


def posts_feed(posts, feed: dict | None = None):
    updated = max((post.revised_at for post in posts), default=utcnow())
    return xml_response("feeds/posts.atom.xml", ATOM, posts=posts, updated=updated, feed=feed)


@bp.get("/authors/<slug>/feed.atom")
def author_atom(slug: str):
    """One author's listed posts, as the site's feed lists them (deactivated authors' too)."""
    author = db.first_or_404(author_by_slug(slug))
    posts = db.session.scalars(queries.feed_posts_by(author)).all()
    feed = {
        "title": _("%(site)s: posts by %(name)s", site=site_settings().name, name=author.name),
        "self": absolute_url("feeds.author_atom", slug=author.slug),
        "page": absolute_url("authors.author", slug=author.slug),
    }
    return posts_feed(posts, feed)


@bp.get("/tags/<slug>/feed.atom")
def tag_atom(slug: str):
    """A tag's listed posts; a tag readers cannot see yet (drafts only) has no feed either."""
    tag = db.first_or_404(tag_by_slug(slug))
    posts = db.session.scalars(queries.feed_posts_tagged(tag)).all()
    if not posts:
        abort(404)
    feed = {
        "title": _("%(site)s: posts tagged “%(name)s”", site=site_settings().name, name=tag.name),
        "self": absolute_url("feeds.tag_atom", slug=tag.slug),
        "page": absolute_url("posts.tag", slug=tag.slug),
    }
    return posts_feed(posts, feed)


@bp.get("/posts/<slug>/comments.atom")
def comments_atom(slug: str):
    post = find_visible_post(slug) or abort(404)
    comments = db.session.scalars(feed_comments(post)).all()
    updated = max((comment.updated_at for comment in comments), default=post.updated_at)
    return xml_response("feeds/comments.atom.xml", ATOM, post=post, comments=comments, updated=updated)


@bp.get("/sitemap.xml")
def sitemap():
    """A sitemap index: /sitemap-1.xml for the site's pages, then one file per SITEMAP_URLS_PER_FILE post ids."""
    per_file = current_app.config["SITEMAP_URLS_PER_FILE"]
    highest = db.session.scalar(queries.highest_post_id()) or 0
    return xml_response("feeds/sitemap_index.xml", XML, files=range(1, 2 + -(-highest // per_file)))


@bp.get("/sitemap-<int:number>.xml")
def sitemap_file(number: int):
    per_file = current_app.config["SITEMAP_URLS_PER_FILE"]
    if number == 1:
        per_page = site_settings().posts_per_page
        listed = db.session.scalar(listed_count()) or 0
        archive_pages = min(max(1, -(-listed // per_page)), per_file // 2)
        months = archive_months()[: per_file // 4]
        tags = db.session.scalars(queries.sitemap_tags(max(0, per_file - 1 - archive_pages - len(months)))).all()
        newest = db.session.scalar(queries.newest_listed())
        authors = db.session.scalars(authors_with_listed_posts().limit(per_file // 4)).all()
        return xml_response(
            "feeds/sitemap.xml",
            XML,
            posts=[],
            tags=tags,
            authors=authors,
            archive_pages=archive_pages,
            months=months,
            newest=newest,
        )
    highest = db.session.scalar(queries.highest_post_id()) or 0
    first_id = (number - 2) * per_file + 1
    if number < 1 or first_id > max(highest, 1):
        abort(404)
    posts = db.session.execute(queries.sitemap_posts(first_id, first_id + per_file - 1)).all()
    return xml_response(
        "feeds/sitemap.xml", XML, posts=posts, tags=[], authors=[], archive_pages=0, months=[], newest=None
    )


@bp.get("/robots.txt")
def robots():
    response = make_response(render_template("feeds/robots.txt"))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response
