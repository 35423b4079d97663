"""Comments: the readers' side (posting, permalinks, the commenter's edit window, services.EDIT_WINDOW) and
moderation behind login at /admin/comments (the queue, per-comment and bulk actions, deleting a thread)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from ..extensions import csrf, db, limiter
from ..forms import ButtonForm, parse_id
from ..mail import send_soon
from ..models import Comment, Post
from ..navigation import is_safe_next
from ..paging import page_number
from ..posts.links import post_url
from ..posts.queries import find_visible_post, neighbours, visible_post
from ..ratelimit import accepted_post, rerender_on_breach
from . import notifications, services
from .author_mail import notify_post_author
from .cookie import own_comment_ids, remember_comment
from .forms import (
    BulkModerationForm,
    CommentDeleteForm,
    CommentEditForm,
    CommentForm,
    ConfirmRepliesForm,
    UnsubscribeForm,
)
from .queries import (
    comment_url,
    comments_with_posts,
    is_shown,
    moderation_counts,
    moderation_queue,
    parents_with_replies,
)
from .render import render_thread
from .section import comment_section

bp = Blueprint("comments", __name__)
# posts/article.html shows the comment section under every article through this global.
bp.add_app_template_global(comment_section)
bp.add_app_template_global(render_thread)


def render_post_with_form(post: Post, form: CommentForm, status: int, form_error: str | None = None):
    """The article again, its comment form showing what was typed and what to fix."""
    older, newer = neighbours(post)
    return render_template(
        "posts/article.html", post=post, older=older, newer=newer, comment_form=form, form_error=form_error
    ), status


def comment_throttled_page(message: str) -> str:
    post = find_visible_post((request.view_args or {}).get("slug", "")) or abort(404)
    html, _status = render_post_with_form(post, CommentForm(), 429, message)
    return html


@bp.post("/posts/<slug>/comments")
@csrf.exempt  # the stateless signed token below replaces the session-bound one
@limiter.limit(
    lambda: current_app.config["COMMENT_RATE_LIMIT"],
    scope="comment",
    deduct_when=accepted_post,
    on_breach=rerender_on_breach(comment_throttled_page),
)
def create(slug: str):
    post = find_visible_post(slug) or abort(404)
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

    comment = services.create_comment(
        post,
        parent,
        name=form.name.data,
        email=form.email.data,
        body=form.body.data,
        client_address=get_remote_address(),
        honeypot=form.honeypot_filled(),
    )
    db.session.flush()  # the comment's id, for the mails
    author_mail = notify_post_author(comment, post)
    confirmation = None
    if form.notify.data and comment.status != Comment.SPAM:
        confirmation = notifications.watch_replies(comment)
    notifications.reply_published(comment)
    db.session.commit()
    if author_mail is not None:
        send_soon(author_mail)
    if confirmation is not None:
        send_soon(confirmation)  # never raises: the comment is stored whatever the mail server does
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
        abort(
            403,
            description=_(
                "You can change a comment for %(minutes)d minutes after posting it, "
                "from the browser you posted it from.",
                minutes=services.EDIT_WINDOW_MINUTES,
            ),
        )
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
                    was_approved = comment.status == Comment.APPROVED
                    services.edit_comment(comment, form.body.data)
                    if not was_approved:
                        notifications.reply_published(comment)
                    db.session.commit()
                except services.AlreadyDeleted:
                    db.session.rollback()
                    abort(404)
                return redirect(comment_url(comment, post))
    form.issue_token(comment.id)
    return render_template(
        "comments/edit.html",
        form=form,
        comment=comment,
        post=post,
        error=error,
        edit_minutes=services.EDIT_WINDOW_MINUTES,
    ), status


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
            return redirect(post_url(post) + "#comments")
    form.issue_token(comment.id)
    return render_template(
        "comments/delete.html",
        form=form,
        comment=comment,
        post=post,
        error=error,
        has_replies=services.has_replies(comment.id),
    ), status


# --- moderation: /admin/comments ---------------------------------------------------------------------------

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
    pagination = db.paginate(moderation_queue(current_user, status), page=page_number(), per_page=50, error_out=True)
    with_replies = set(db.session.scalars(parents_with_replies([c.id for c in pagination.items])))
    return render_template(
        "comments/queue.html",
        pagination=pagination,
        status=status,
        counts=moderation_counts(current_user),
        button=ButtonForm(),
        with_replies=with_replies,
        bulk=BulkModerationForm(status=status),
    )


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
        if action == "approve":
            notifications.reply_published(comment)  # a held reply's wait starts at its approval
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
        flash(ngettext("Deleted the comment and %(num)d reply.", "Deleted the comment and %(num)d replies.", replies))
        return back(url_for("comments.queue"))
    replies = len(services.thread_ids(comment)) - 1
    return render_template(
        "comments/delete_thread.html", comment=comment, replies=replies, form=form, next=request.args.get("next", "")
    )


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
                if form.action.data == "approve":
                    notifications.reply_published(comment)
                done += 1
            db.session.commit()
        except GONE:
            return already_deleted(url_for("comments.queue", status=status))
        if done < len(ids):
            flash(
                ngettext(
                    "%(num)d of the selected comments was already deleted.",
                    "%(num)d of the selected comments were already deleted.",
                    len(ids) - done,
                )
            )
        flash(ngettext("%(num)d comment done.", "%(num)d comments done.", done))
    elif not ids:
        flash(_("Select at least one comment first."))
    return redirect(url_for("comments.queue", status=status))


# --- reply mails: confirming and unsubscribing (comments/notifications.py) --------------------------------


# These pages show one reader's address and its state: never kept by a cache.
NO_STORE = {"Cache-Control": "no-store"}


@bp.route("/notifications/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form's stateless token, as on the comment form: no session cookie for readers
def confirm_replies(token: str):
    """A GET only shows the "Confirm" button (mail scanners open links); the POST confirms."""
    subscription = notifications.subscription_to_confirm(token)
    if subscription is None:
        return render_template("comments/notification_link_invalid.html"), 404, NO_STORE
    form = ConfirmRepliesForm()
    error, status = None, 200
    if request.method == "POST":
        problem = form.problem(subscription.id, min_seconds=0, max_hours=24)
        if problem:
            status, error = problem
        else:
            notifications.confirm(subscription)
            db.session.commit()
            return redirect(url_for("comments.confirm_replies", token=token))
    form.issue_token(subscription.id)
    page = render_template("comments/confirm_replies.html", subscription=subscription, form=form, error=error)
    return page, status, NO_STORE


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
# RFC 8058 one-click: a mail program POSTs `List-Unsubscribe=One-Click` to this URL with no cookie, session
# or form token, so it can't carry our CSRF token. The URL's own signed token (it names the address and
# only its mails hold it) is the protection; a GET still changes nothing.
@csrf.exempt
def unsubscribe(token: str):
    found = notifications.read_unsubscribe_token(token)
    if found is None:
        return render_template("comments/notification_link_invalid.html"), 404, NO_STORE
    subscription, thread_id = found
    if request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click":
        # The mail program's "Unsubscribe" button means "no more of this blog's mail".
        notifications.unsubscribe_all(subscription)
        db.session.commit()
        return _("You are unsubscribed."), 200, {"Content-Type": "text/plain; charset=utf-8"}
    form = UnsubscribeForm()
    error, status = None, 200
    if request.method == "POST":
        problem = form.problem(subscription.id, min_seconds=0, max_hours=24)
        if problem:
            status, error = problem
        else:
            if form.everything.data:
                notifications.unsubscribe_all(subscription)
            elif form.thread.data and thread_id is not None:
                notifications.mute_thread(subscription, thread_id)
            elif form.resume.data:
                notifications.confirm(subscription)
            db.session.commit()
            return redirect(url_for("comments.unsubscribe", token=token))
    form.issue_token(subscription.id)
    thread = db.session.get(Comment, thread_id) if thread_id is not None else None
    return (
        render_template(
            "comments/unsubscribe.html",
            subscription=subscription,
            thread=thread,
            thread_muted=thread is not None and notifications.is_muted(subscription.id, thread.id),
            form=form,
            error=error,
        ),
        status,
        NO_STORE,
    )
