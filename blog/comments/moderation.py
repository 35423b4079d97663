"""Moderation behind login: the comment queue, per-comment actions and bulk actions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.views import is_safe_next
from ..extensions import db
from ..forms import ButtonForm, parse_id
from ..models import Comment
from ..paging import page_number
from . import bp, services
from .forms import BulkModerationForm
from .queries import moderation_counts, moderation_queue

STATUSES = (Comment.PENDING, Comment.APPROVED, Comment.SPAM)
ACTIONS = ("approve", "spam", "delete")
DONE = {"approve": _l("Approved."), "spam": _l("Marked as spam."), "delete": _l("Deleted.")}


def back(default: str):
    target = request.form.get("next") or request.args.get("next")
    return redirect(target if is_safe_next(target) else default)


@bp.get("/admin/comments")
@login_required
def queue():
    status = request.args.get("status", Comment.PENDING)
    if status not in STATUSES:
        abort(404)
    pagination = db.paginate(moderation_queue(current_user, status), page=page_number(), per_page=50,
                             error_out=True)
    return render_template("comments/queue.html", pagination=pagination, status=status,
                           counts=moderation_counts(current_user), button=ButtonForm(),
                           bulk=BulkModerationForm(status=status))


@bp.post("/admin/comments/<int(max=2147483647):comment_id>/<action>")
@login_required
def moderate(comment_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    comment = db.get_or_404(Comment, comment_id)
    if not services.can_moderate(current_user, comment.post):
        abort(403)
    services.moderate(comment, action)
    db.session.commit()
    flash(DONE[action])
    return back(url_for("comments.queue"))


@bp.post("/admin/comments/bulk")
@login_required
def bulk():
    form = BulkModerationForm()
    status = form.status.data if form.status.data in STATUSES else Comment.PENDING
    ids = [i for i in map(parse_id, request.form.getlist("ids")) if i is not None]
    if form.validate_on_submit() and ids:
        comments = db.session.scalars(
            select(Comment).where(Comment.id.in_(ids)).options(joinedload(Comment.post))).all()
        allowed = [c for c in comments if services.can_moderate(current_user, c.post)]
        if len(allowed) != len(comments):
            abort(403)
        for comment in allowed:
            services.moderate(comment, form.action.data)
        db.session.commit()
        flash(ngettext("%(num)d comment done.", "%(num)d comments done.", len(allowed)))
    elif not ids:
        flash(_("Select at least one comment first."))
    return redirect(url_for("comments.queue", status=status))
