"""Readers' side of comments: posting, permalinks, and the commenter's edit window (services.EDIT_WINDOW)."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..extensions import csrf, db, limiter
from ..models import Comment, Post
from ..posts.queries import neighbours, post_by_slug, visible_post
from ..ratelimit import accepted_post, rerender_on_breach
from . import bp, services
from .cookie import own_comment_ids, remember_comment
from .forms import CommentDeleteForm, CommentEditForm, CommentForm
from .queries import comment_url, is_shown
from .section import comment_section

# posts/article.html shows the comment section under every article through this global.
bp.add_app_template_global(comment_section)

def render_post_with_form(post: Post, form: CommentForm, status: int, form_error: str | None = None):
    """The article again, its comment form showing what was typed and what to fix."""
    older, newer = neighbours(post)
    return render_template("posts/article.html", post=post, older=older, newer=newer, comment_form=form,
                           form_error=form_error), status


def comment_throttled_page(message: str) -> str:
    post = db.first_or_404(post_by_slug((request.view_args or {}).get("slug", "")))
    html, _status = render_post_with_form(post, CommentForm(), 429, message)
    return html


@bp.post("/posts/<slug>/comments")
@csrf.exempt  # the stateless signed token below replaces the session-bound one
@limiter.limit(lambda: current_app.config["COMMENT_RATE_LIMIT"], scope="comment", deduct_when=accepted_post,
               on_breach=rerender_on_breach(comment_throttled_page))
def create(slug: str):
    post = db.first_or_404(post_by_slug(slug))
    form = CommentForm()
    config = current_app.config
    problem = form.problem(post.id, min_seconds=config["COMMENT_MIN_SECONDS"], max_hours=config["COMMENT_TOKEN_HOURS"])
    if problem:
        return render_post_with_form(post, form, problem[0], problem[1])
    if not services.comments_open(post):
        return render_post_with_form(post, form, 403, _("Comments are closed on this post."))
    if not form.validate():
        return render_post_with_form(post, form, 200, _("Please correct the fields marked below."))

    parent = None
    if form.parent_id_value() is not None:
        parent = db.session.get(Comment, form.parent_id_value())
        if parent is None or parent.post_id != post.id or not is_shown(parent, own_comment_ids(), moderator=False):
            return render_post_with_form(post, form, 400, _("The comment you replied to is not on this post."))
    if services.is_duplicate(post, form.body.data):
        form.body.errors.append(_("The same comment was just posted here."))
        return render_post_with_form(post, form, 200, _("Please correct the fields marked below."))

    comment = services.create_comment(post, parent, name=form.name.data, email=form.email.data,
                                      body=form.body.data, client_address=get_remote_address(),
                                      honeypot=form.honeypot_filled())
    db.session.commit()
    return remember_comment(redirect(comment_url(comment, post)), comment.id)


@bp.get("/comments/<int(max=2147483647):comment_id>")
def permalink(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    post = db.first_or_404(visible_post(comment.post_id))
    if not is_shown(comment, own_comment_ids(), moderator=False):
        abort(404)
    return redirect(comment_url(comment, post))


def own_comment(comment_id: int) -> tuple[Comment, Post]:
    """The commenter's own comment, still inside its edit window; 403 otherwise."""
    comment = db.get_or_404(Comment, comment_id)
    if comment.is_placeholder:
        abort(404)
    post = db.first_or_404(visible_post(comment.post_id))
    if comment.id not in own_comment_ids() or not services.within_edit_window(comment):
        abort(403, description=_("You can change a comment for %(minutes)d minutes after posting it, "
                                 "from the browser you posted it from.", minutes=services.EDIT_WINDOW_MINUTES))
    return comment, post


@bp.route("/comments/<int(max=2147483647):comment_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit(comment_id: int):
    comment, post = own_comment(comment_id)
    form = CommentEditForm() if request.method == "POST" else CommentEditForm(body=comment.body)
    error, status = None, 200
    if request.method == "POST":
        problem = form.problem(comment.id, min_seconds=0, max_hours=1)
        if problem:
            status, error = problem
        elif form.validate():
            if services.is_duplicate(post, form.body.data, exclude_id=comment.id):
                form.body.errors.append(_("The same comment was just posted here."))
            else:
                try:
                    services.edit_comment(comment, form.body.data)
                    db.session.commit()
                except services.AlreadyDeleted:
                    db.session.rollback()
                    abort(404)
                return redirect(comment_url(comment, post))
    form.issue_token(comment.id)
    return render_template("comments/edit.html", form=form, comment=comment, post=post, error=error,
                           edit_minutes=services.EDIT_WINDOW_MINUTES), status


@bp.route("/comments/<int(max=2147483647):comment_id>/delete", methods=["GET", "POST"])
@csrf.exempt
def delete(comment_id: int):
    comment, post = own_comment(comment_id)
    form = CommentDeleteForm()
    error, status = None, 200
    if request.method == "POST":
        problem = form.problem(comment.id, min_seconds=0, max_hours=1)
        if problem:
            status, error = problem
        else:
            try:
                services.delete_comment(comment)  # the same rule as a moderator's delete: replies stay
                db.session.commit()
            except services.AlreadyDeleted:
                db.session.rollback()
                abort(404)
            return redirect(url_for("posts.article", slug=post.slug) + "#comments")
    form.issue_token(comment.id)
    return render_template("comments/delete.html", form=form, comment=comment, post=post, error=error,
                           has_replies=services.has_replies(comment.id)), status
