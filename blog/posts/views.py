"""Reader pages: request handling only, the queries live in queries.py."""

from flask import abort, current_app, render_template, request
from flask_login import current_user

from ..comments import services as comment_services
from ..comments.cookie import own_comment_ids
from ..comments.forms import CommentForm
from ..comments.queries import comment_thread, is_shown
from ..extensions import db
from ..forms import ButtonForm, parse_id
from ..models import Comment
from ..paging import page_number
from . import bp
from .queries import (
    archive_months,
    month_bounds,
    neighbours,
    post_by_slug,
    posts_in_month,
    posts_tagged,
    published_posts,
    tag_by_slug,
)


def paginate(query):
    return db.paginate(
        query, page=page_number(), per_page=current_app.config["POSTS_PER_PAGE"], error_out=True
    )


@bp.get("/")
def home():
    posts = db.session.scalars(published_posts().limit(current_app.config["POSTS_PER_PAGE"])).all()
    return render_template("posts/home.html", posts=posts)


@bp.get("/posts/")
def archive():
    return render_template("posts/archive.html", pagination=paginate(published_posts()), months=archive_months())


@bp.get("/posts/<slug>")
def article(slug: str):
    return render_article(db.first_or_404(post_by_slug(slug)))


def render_article(post, comment_form=None, form_error: str | None = None) -> str:
    """The article with its comment thread and form; comment views re-render it with errors."""
    older, newer = neighbours(post)
    own_ids = own_comment_ids()
    moderator = comment_services.can_moderate(current_user, post)
    comments, thread = comment_thread(post, page_number("cpage"), own_ids, moderator)
    form = comment_form or CommentForm()
    form.issue_token(post.id)  # a fresh token on every render, so a re-sent form is accepted
    reply_to = None
    reply_id = parse_id(request.args.get("reply_to") if comment_form is None else form.parent_id.data)
    if reply_id is not None:
        reply_to = db.session.get(Comment, reply_id)
        if reply_to is None or reply_to.post_id != post.id or not is_shown(reply_to, own_ids, moderator=False):
            reply_to = None
    form.parent_id.data = str(reply_to.id) if reply_to else ""
    return render_template(
        "posts/article.html", post=post, older=older, newer=newer, comments=comments, thread=thread,
        comment_form=form, form_error=form_error, reply_to=reply_to, own_ids=own_ids, moderator=moderator,
        comments_open=comment_services.comments_open(post), button=ButtonForm() if moderator else None,
        edit_window=comment_services.within_edit_window)


@bp.get("/tags/<slug>")
def tag(slug: str):
    tag = db.first_or_404(tag_by_slug(slug))
    pagination = paginate(posts_tagged(tag))
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
