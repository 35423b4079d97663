"""Reply mails for readers: double opt-in, a digest per reader and thread, and unsubscribing; the caller commits.

A reader ticks "Email me when someone replies" under the comment form. Their address gets a confirmation
mail (at most one per NOTIFY_CONFIRM_RESEND_MINUTES) and nothing else until its link's "Confirm" button is
pressed. Then each approved reply to one of their watched comments waits NOTIFY_DIGEST_MINUTES in
pending_reply_mails, gathering the other replies to them in that thread, and `mail send-queued` turns what
is due into one mail per reader and thread (queue_due_digests). Every mail carries an unsubscribe link and
the RFC 8058 List-Unsubscribe headers.

Only the comment views call in here (never services.create_comment), so code that writes comments on an
older schema (the migration tests) never touches these tables.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..extensions import affected_rows, db
from ..mail import mail_request_context, queue_from_templates
from ..models import (
    Comment,
    OutboxMail,
    PendingReplyMail,
    Post,
    ReaderSubscription,
    ReplyWatch,
    ThreadMute,
    utcnow,
)
from ..site_settings import site_settings
from ..templating import absolute_url

CONFIRM_DAYS = 7  # how long a confirmation link works
CONFIRM_SALT = "reply-mail-confirm"
UNSUBSCRIBE_SALT = "reply-mail-unsubscribe"


def normalise(email: str) -> str:
    """One row per address whatever its case: what the subscriptions table keys on."""
    return (email or "").strip().lower()


# --- tokens -----------------------------------------------------------------------------------------------


def confirm_token(subscription: ReaderSubscription) -> str:
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)
    return str(serializer.dumps({"s": subscription.id, "e": subscription.email}))


def subscription_to_confirm(token: str) -> ReaderSubscription | None:
    """The subscription a confirmation link names; None when the link is forged, broken or too old."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)
    try:
        data = serializer.loads(token, max_age=CONFIRM_DAYS * 86400)
    except (SignatureExpired, BadSignature):
        return None
    return _subscription_named(data)


def unsubscribe_token(subscription: ReaderSubscription, thread_id: int | None) -> str:
    """No expiry: an unsubscribe link in an old mail must still work."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)
    return str(serializer.dumps({"s": subscription.id, "e": subscription.email, "t": thread_id}))


def read_unsubscribe_token(token: str) -> tuple[ReaderSubscription, int | None] | None:
    """The subscription and thread (None: the link names none) an unsubscribe link is for."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)
    try:
        data = serializer.loads(token)
    except BadSignature:
        return None
    subscription = _subscription_named(data)
    if subscription is None:
        return None
    thread_id = data.get("t")
    return subscription, thread_id if isinstance(thread_id, int) else None


def _subscription_named(data) -> ReaderSubscription | None:
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    subscription = db.session.get(ReaderSubscription, data["s"])
    if subscription is None or subscription.email != data.get("e"):
        return None
    return subscription


def unsubscribe_url(subscription: ReaderSubscription, thread_id: int | None) -> str:
    return absolute_url("comments.unsubscribe", token=unsubscribe_token(subscription, thread_id))


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail programs show an "Unsubscribe" button that POSTs to the URL."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# --- asking for replies -------------------------------------------------------------------------------------


def subscription_for(email: str) -> ReaderSubscription:
    """The address's row, made on its first request (two first requests at once make one row)."""
    email = normalise(email)
    query = select(ReaderSubscription).where(ReaderSubscription.email == email)
    subscription = db.session.scalar(query)
    if subscription is not None:
        return subscription
    try:
        with db.session.begin_nested():
            subscription = ReaderSubscription(email=email)
            db.session.add(subscription)
    except IntegrityError:
        subscription = db.session.scalars(query).one()
    return subscription


def watch_replies(comment: Comment) -> OutboxMail | None:
    """The poster of `comment` (flushed, with its id) asked for replies; returns a confirmation mail to send.

    Only an address that has not confirmed yet gets one, and at most once per NOTIFY_CONFIRM_RESEND_MINUTES,
    so nobody can flood someone else's inbox by ticking the box with their address. An address that
    unsubscribed from everything gets nothing: the unsubscribe page (from one of its own mails) turns
    mail back on.
    """
    subscription = subscription_for(comment.email)
    db.session.add(ReplyWatch(comment_id=comment.id, subscription_id=subscription.id))
    if subscription.confirmed_at is not None or subscription.unsubscribed_at is not None:
        return None
    now = utcnow()
    resend = timedelta(minutes=current_app.config["NOTIFY_CONFIRM_RESEND_MINUTES"])
    if subscription.confirm_sent_at is not None and now - subscription.confirm_sent_at < resend:
        return None
    subscription.confirm_sent_at = now
    with mail_request_context():
        confirm_url = absolute_url("comments.confirm_replies", token=confirm_token(subscription))
        stop_url = unsubscribe_url(subscription, None)
    return queue_from_templates(
        [subscription.email],
        _("Confirm reply notifications from %(site)s", site=site_settings().name),
        "reply_confirm",
        headers=unsubscribe_headers(stop_url),
        confirm_url=confirm_url,
        unsubscribe_url=stop_url,
        days=CONFIRM_DAYS,
    )


def confirm(subscription: ReaderSubscription) -> None:
    """The address's owner pressed "Confirm" (or "Resume"): reply mails may go to it from now on."""
    if subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
    subscription.unsubscribed_at = None


def unsubscribe_all(subscription: ReaderSubscription) -> None:
    """No more mail of any kind to this address, confirmations included; its waiting replies go too."""
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = utcnow()
    db.session.execute(delete(PendingReplyMail).where(PendingReplyMail.subscription_id == subscription.id))


def mute_thread(subscription: ReaderSubscription, thread_id: int) -> None:
    if not is_muted(subscription.id, thread_id):
        try:
            with db.session.begin_nested():
                db.session.add(ThreadMute(subscription_id=subscription.id, thread_id=thread_id))
        except IntegrityError:
            pass  # muted by a request at the same time
    db.session.execute(
        delete(PendingReplyMail).where(
            PendingReplyMail.subscription_id == subscription.id, PendingReplyMail.thread_id == thread_id
        )
    )


def is_muted(subscription_id: int, thread_id: int) -> bool:
    query = select(ThreadMute.id).where(
        ThreadMute.subscription_id == subscription_id, ThreadMute.thread_id == thread_id
    )
    return db.session.scalar(query) is not None


# --- a reply appears ---------------------------------------------------------------------------------------


def reply_published(reply: Comment) -> None:
    """An approved reply (posted approved, approved by a moderator, or edited into approval) starts its wait.

    It joins the digest already waiting for that reader and thread, or starts one due in
    NOTIFY_DIGEST_MINUTES. Nothing for a held or spam reply, a reply by the reader themselves, an address
    that has not confirmed, has unsubscribed, or muted this thread.
    """
    if reply.parent_id is None or reply.root_id is None or reply.status != Comment.APPROVED:
        return
    parent = db.session.get(Comment, reply.parent_id)
    if parent is None or parent.is_placeholder:
        return
    subscription = db.session.scalar(
        select(ReaderSubscription)
        .join(ReplyWatch, ReplyWatch.subscription_id == ReaderSubscription.id)
        .where(ReplyWatch.comment_id == parent.id)
    )
    if subscription is None or not subscription.is_active or normalise(reply.email) == subscription.email:
        return
    if is_muted(subscription.id, reply.root_id):
        return
    waiting = select(PendingReplyMail).where(
        PendingReplyMail.subscription_id == subscription.id, PendingReplyMail.thread_id == reply.root_id
    )
    if db.session.scalar(waiting.where(PendingReplyMail.reply_id == reply.id)) is not None:
        return
    due = db.session.scalar(select(func.min(waiting.subquery().c.due_at)))
    if due is None:
        due = utcnow() + timedelta(minutes=current_app.config["NOTIFY_DIGEST_MINUTES"])
    db.session.add(
        PendingReplyMail(subscription_id=subscription.id, reply_id=reply.id, thread_id=reply.root_id, due_at=due)
    )


# --- the digest --------------------------------------------------------------------------------------------


@dataclass
class ReplyInMail:
    comment: Comment
    url: str


def queue_due_digests() -> int:
    """Turn every due reader+thread digest into one mail in the outbox; returns how many were queued.

    Each digest is taken by deleting its rows in the transaction that queues its mail: of two senders
    running at once, the second deletes nothing and sends nothing.
    """
    now = utcnow()
    groups = db.session.execute(
        select(PendingReplyMail.subscription_id, PendingReplyMail.thread_id)
        .where(PendingReplyMail.due_at <= now)
        .distinct()
        .order_by(PendingReplyMail.subscription_id, PendingReplyMail.thread_id)
    ).all()
    queued = 0
    with mail_request_context():
        for subscription_id, thread_id in groups:
            if _queue_digest(subscription_id, thread_id):
                queued += 1
    return queued


def _queue_digest(subscription_id: int, thread_id: int) -> bool:
    rows = db.session.execute(
        select(PendingReplyMail.id, PendingReplyMail.reply_id).where(
            PendingReplyMail.subscription_id == subscription_id, PendingReplyMail.thread_id == thread_id
        )
    ).all()
    if not rows:
        db.session.rollback()
        return False
    taken = affected_rows(delete(PendingReplyMail).where(PendingReplyMail.id.in_([row.id for row in rows])))
    if taken != len(rows):
        db.session.rollback()  # another sender has this digest
        return False
    subscription = db.session.get_one(ReaderSubscription, subscription_id)
    replies = shown_replies([row.reply_id for row in rows])
    if not subscription.is_active or is_muted(subscription_id, thread_id) or not replies:
        db.session.commit()
        return False
    post = replies[0].post
    stop_url = unsubscribe_url(subscription, thread_id)
    subject = ngettext(
        "A reply to your comment on “%(title)s”",
        "%(num)d replies to your comment on “%(title)s”",
        len(replies),
        title=post.title,
    )
    queue_from_templates(
        [subscription.email],
        subject,
        "replies",
        headers=unsubscribe_headers(stop_url),
        post=post,
        replies=[ReplyInMail(reply, absolute_url("comments.permalink", comment_id=reply.id)) for reply in replies],
        post_url=absolute_url("posts.article", slug=post.slug),
        unsubscribe_url=stop_url,
    )
    db.session.commit()
    return True


def shown_replies(reply_ids: list[int]) -> list[Comment]:
    """The replies every reader sees now, on a visible post, oldest first: a reply spammed, held again or
    deleted while it waited is left out."""
    thread_root = aliased(Comment)
    return list(
        db.session.scalars(
            select(Comment)
            .join(Post, Post.id == Comment.post_id)
            .outerjoin(thread_root, thread_root.id == Comment.root_id)
            .where(Comment.id.in_(reply_ids), Comment.seen_by_readers(thread_root), Post.is_visible())
            .order_by(Comment.created_at, Comment.id)
        )
    )
