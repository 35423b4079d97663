"""Reader pages: request handling only, the queries live in queries.py."""

from flask import Blueprint, abort, g, redirect, render_template, request

from ..extensions import db
from ..paging import page_number, paginate_posts
from ..site_settings import site_settings
from .links import post_url
from .queries import (
    archive_months,
    article_links,
    find_visible_post,
    listed_count,
    month_bounds,
    month_seek,
    posts_in_month,
    published_posts,
    redirect_for_path,
    tag_by_slug,
    tagged_count,
    tagged_post_ids,
)

bp = Blueprint("posts", __name__)


def paginate(query, count=None, ids=None, seek=None):
    per_page = site_settings().posts_per_page
    return paginate_posts(
        db.session, query, page=page_number(), per_page=per_page, count_select=count, ids_select=ids, seek=seek
    )


@bp.get("/")
def home():
    # An imported WordPress blog's old links: /?p=<id> and /?page_id=<id> (unknown ids: the home page).
    for name in ("p", "page_id"):
        old_id = request.args.get(name, "")
        if old_id.isdigit() and len(old_id) < 20:
            target = redirect_for_path(f"/?{name}={old_id}")
            if target is not None:
                return redirect(target, code=301)
    posts = db.session.scalars(published_posts().limit(site_settings().posts_per_page)).all()
    return render_template("posts/home.html", posts=posts)


@bp.get("/posts/")
def archive():
    months = archive_months()
    listed = db.session.scalar(listed_count()) or 0  # the count kept on write
    pagination = paginate(published_posts(), count=listed, seek=month_seek(months, listed))
    return render_template("posts/archive.html", pagination=pagination, months=months)


def moved_to(post):
    """A 301 to where this post or page lives, keeping the query string (a comment page, say)."""
    target = post_url(post)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, code=301)


@bp.get("/posts/<slug>")
def article(slug: str):
    post = find_visible_post(slug) or abort(404)
    if post.is_page:
        return moved_to(post)
    older, newer, g.recent_posts = article_links(post)  # the sidebar's links come in the same query
    # The comment section below the article comes from the `comment_section` template global.
    return render_template("posts/article.html", post=post, older=older, newer=newer)


@bp.get("/tags/<slug>")
def tag(slug: str):
    tag = db.first_or_404(tag_by_slug(slug))
    pagination = paginate(published_posts(), count=tagged_count(tag), ids=tagged_post_ids(tag))
    if not pagination.total:
        abort(404)  # a tag whose posts are all drafts or scheduled does not exist for readers yet
    return render_template("posts/tag.html", tag=tag, pagination=pagination)


@bp.get("/archive/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>")
def month(year: int, month: int):
    if not (1 <= month <= 12 and 1900 <= year < 9999):  # the month after 9999-12 has no date
        abort(404)
    pagination = paginate(posts_in_month(year, month))
    if not pagination.total:
        abort(404)
    return render_template("posts/month.html", month_start=month_bounds(year, month)[0], pagination=pagination)


# Matched after every fixed path (Werkzeug prefers static segments), and no post may take a slug a route
# uses (posts/services.py RESERVED_SLUGS): a page never hides a route or is hidden by one.
@bp.get("/<page_slug:slug>")
def page(slug: str):
    post = find_visible_post(slug) or abort(404)
    if not post.is_page:
        return moved_to(post)  # an article typed without /posts/: where it lives
    # The comment section (when the page has comments or takes them) comes from `comment_section`.
    return render_template("posts/article.html", post=post, older=None, newer=None)
