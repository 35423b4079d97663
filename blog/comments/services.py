"""Comment rules: when comments are open, what gets held and why, and moderation; the caller commits."""

import re
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..markdown import render_comment
from ..models import Comment, Post, utcnow

EDIT_WINDOW = timedelta(minutes=15)
DUPLICATE_WINDOW = timedelta(minutes=10)
# Each link once: a Markdown link [text](url), or a bare address not inside one.
_LINK = re.compile(r"\]\([^)]*\)|(?:https?://|www\.)[^\s)\]]+", re.IGNORECASE)


def comments_open(post: Post) -> bool:
    if not post.comments_open:
        return False
    days = current_app.config["COMMENT_CLOSE_AFTER_DAYS"]
    return not days or post.published_at is None or post.published_at > utcnow() - timedelta(days=days)


def can_moderate(user, post: Post) -> bool:
    return bool(user.is_authenticated and (user.is_admin or post.author_id == user.id))


def link_count(body: str, body_html: str) -> int:
    return max(len(_LINK.findall(body)), body_html.count("<a "))


def hold_reason(email: str, body: str, body_html: str, exclude_id: int | None = None) -> str | None:
    """Why a comment must wait for a moderator, or None to publish it at once."""
    links, max_links = link_count(body, body_html), current_app.config["COMMENT_MAX_LINKS"]
    if links > max_links:
        return _("%(num)d links (more than %(max)d)", num=links, max=max_links)
    mode = current_app.config["COMMENT_MODERATION"]
    if mode == "all":
        return _("every comment is moderated")
    if mode == "first-time":
        query = select(Comment.id).where(func.lower(Comment.email) == email.lower(),
                                         Comment.status == Comment.APPROVED)
        if exclude_id is not None:
            query = query.where(Comment.id != exclude_id)
        if db.session.scalar(query.limit(1)) is None:
            return _("first comment from this email address")
    return None


def is_duplicate(post: Post, body: str, exclude_id: int | None = None) -> bool:
    query = select(Comment.id).where(Comment.post_id == post.id, Comment.body == body,
                                     Comment.created_at > utcnow() - DUPLICATE_WINDOW)
    if exclude_id is not None:
        query = query.where(Comment.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def create_comment(post: Post, parent: Comment | None, *, name: str, email: str, body: str,
                   client_address: str | None, honeypot: bool) -> Comment:
    comment = Comment(post_id=post.id, name=name, email=email, body=body,
                      client_address=(client_address or "")[:45] or None)
    if parent is not None:
        comment.parent_id = parent.id
        comment.root_id = parent.thread_root_id
        comment.depth = parent.depth + 1
    comment.body_html = render_comment(body)
    if honeypot:
        comment.status, comment.held_reason = Comment.SPAM, _("honeypot field filled in")
    else:
        reason = hold_reason(email, body, comment.body_html)
        comment.status = Comment.PENDING if reason else Comment.APPROVED
        comment.held_reason = reason
    db.session.add(comment)
    return comment


def edit_comment(comment: Comment, body: str) -> None:
    """A new body runs the hold rules again: an approved comment can't be edited into spam."""
    comment.body = body
    comment.body_html = render_comment(body)
    if comment.status != Comment.SPAM:
        reason = hold_reason(comment.email, body, comment.body_html, exclude_id=comment.id)
        comment.status = Comment.PENDING if reason else Comment.APPROVED
        comment.held_reason = reason


def within_edit_window(comment: Comment) -> bool:
    return utcnow() - comment.created_at < EDIT_WINDOW


def moderate(comment: Comment, action: str) -> None:
    if action == "approve":
        comment.status, comment.held_reason = Comment.APPROVED, None
    elif action == "spam":
        comment.status = Comment.SPAM
        comment.held_reason = comment.held_reason or _("marked as spam by a moderator")
    elif action == "delete":
        db.session.delete(comment)
    else:
        raise ValueError(action)
