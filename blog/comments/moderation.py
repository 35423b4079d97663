"""Moderation behind login: the comment queue, per-comment actions and bulk actions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from ..extensions import db
from ..forms import ButtonForm, parse_id
from ..models import Comment
from ..navigation import is_safe_next
from ..paging import page_number
from . import bp, services
from .forms import BulkModerationForm
from .queries import comments_with_posts, moderation_counts, moderation_queue, parents_with_replies

STATUSES = (Comment.PENDING, Comment.APPROVED, Comment.SPAM)
# The URL's (and the bulk form's) action word, the verb it calls and what the moderator is told.
VERBS = {"approve": services.approve_comment, "spam": services.mark_spam, "delete": services.delete_comment}
DONE = {"approve": _l("Approved."), "spam": _l("Marked as spam."), "delete": _l("Deleted.")}


def back(default: str):
    target = request.form.get("next") or request.args.get("next")
    return redirect(target if target and is_safe_next(target) else default)


@bp.get("/admin/comments")
@login_required
def queue():
    status = request.args.get("status", Comment.PENDING)
    if status not in STATUSES:
        abort(404)
    pagination = db.paginate(moderation_queue(current_user, status), page=page_number(), per_page=50,
                             error_out=True)
    with_replies = set(db.session.scalars(parents_with_replies([c.id for c in pagination.items])))
    return render_template("comments/queue.html", pagination=pagination, status=status,
                           counts=moderation_counts(current_user), button=ButtonForm(), with_replies=with_replies,
                           bulk=BulkModerationForm(status=status))


ALREADY_DELETED = _l("This comment was already deleted.")
# What a commit raises when another request deleted the row under this one.
GONE = (services.AlreadyDeleted, StaleDataError, ObjectDeletedError)


def already_deleted(default: str):
    db.session.rollback()
    flash(ALREADY_DELETED)
    return back(default)


@bp.post("/admin/comments/<int(max=2147483647):comment_id>/<action>")
@login_required
def moderate(comment_id: int, action: str):
    if action not in VERBS:
        abort(404)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.is_placeholder:
        return already_deleted(url_for("comments.queue"))
    if not services.can_moderate(current_user, comment.post):
        abort(403)
    try:
        VERBS[action](comment)
        db.session.commit()
    except GONE:
        return already_deleted(url_for("comments.queue"))
    flash(DONE[action])
    return back(url_for("comments.queue"))


@bp.route("/admin/comments/<int(max=2147483647):comment_id>/delete-thread", methods=["GET", "POST"])
@login_required
def delete_thread(comment_id: int):
    """A spam thread goes whole, after a confirmation that says how many replies go with it."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.is_placeholder:
        return already_deleted(url_for("comments.queue"))
    if not services.can_moderate(current_user, comment.post):
        abort(403)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            replies = services.delete_thread(comment)
            db.session.commit()
        except GONE:
            return already_deleted(url_for("comments.queue"))
        flash(ngettext("Deleted the comment and %(num)d reply.", "Deleted the comment and %(num)d replies.",
                       replies))
        return back(url_for("comments.queue"))
    replies = len(services.thread_ids(comment)) - 1
    return render_template("comments/delete_thread.html", comment=comment, replies=replies, form=form,
                           next=request.args.get("next", ""))


@bp.post("/admin/comments/bulk")
@login_required
def bulk():
    form = BulkModerationForm()
    status = form.status.data if form.status.data in STATUSES else Comment.PENDING
    ids = {i for i in map(parse_id, request.form.getlist("ids")) if i is not None}
    if form.validate_on_submit() and ids:
        comments = db.session.scalars(comments_with_posts(ids)).all()
        allowed = [c for c in comments if services.can_moderate(current_user, c.post)]
        if len(allowed) != len(comments):
            abort(403)
        done = 0
        try:
            for comment in allowed:
                # A parent deleted in this same action may already be gone with its last reply.
                if db.session.get(Comment, comment.id) is None or comment.is_placeholder:
                    continue
                VERBS[form.action.data](comment)
                done += 1
            db.session.commit()
        except GONE:
            return already_deleted(url_for("comments.queue", status=status))
        if done < len(ids):
            flash(ngettext("%(num)d of the selected comments was already deleted.",
                           "%(num)d of the selected comments were already deleted.", len(ids) - done))
        flash(ngettext("%(num)d comment done.", "%(num)d comments done.", done))
    elif not ids:
        flash(_("Select at least one comment first."))
    return redirect(url_for("comments.queue", status=status))
