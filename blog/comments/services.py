"""Comment rules: when comments are open, what gets held and why, and moderation; the caller commits."""

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from ..extensions import affected_rows, db
from ..markdown import render_comment
from ..models import Comment, Post, utcnow
from ..site_settings import site_settings

if TYPE_CHECKING:
    from .queries import ThreadComment

EDIT_WINDOW = timedelta(minutes=15)
EDIT_WINDOW_MINUTES = int(EDIT_WINDOW.total_seconds() // 60)  # what the pages tell commenters
DUPLICATE_WINDOW = timedelta(minutes=10)
# Each link once: a Markdown link [text](url), or a bare address not inside one.
_LINK = re.compile(r"\]\([^)]*\)|(?:https?://|www\.)[^\s)\]]+", re.IGNORECASE)


def comments_open(post: Post) -> bool:
    if not post.comments_open:
        return False
    days = site_settings().comment_close_after_days
    return not days or post.published_at is None or post.published_at > utcnow() - timedelta(days=days)


def can_moderate(user, post: Post) -> bool:
    """Who may edit a post moderates its comments: User.can_edit, for a visitor who may not be logged in."""
    return bool(user.is_authenticated and user.can_edit(post))


def link_count(body: str, body_html: str) -> int:
    return max(len(_LINK.findall(body)), body_html.count("<a "))


def hold_reason(email: str, body: str, body_html: str, exclude_id: int | None = None) -> str | None:
    """Why a comment must wait for a moderator, or None to publish it at once."""
    links, max_links = link_count(body, body_html), site_settings().comment_max_links
    if links > max_links:
        return _("%(num)d links (more than %(max)d)", num=links, max=max_links)
    mode = site_settings().comment_moderation
    if mode == "all":
        return _("every comment is moderated")
    if mode == "first-time":
        query = select(Comment.id).where(func.lower(Comment.email) == email.lower(), Comment.status == Comment.APPROVED)
        if exclude_id is not None:
            query = query.where(Comment.id != exclude_id)
        if db.session.scalar(query.limit(1)) is None:
            return _("first comment from this email address")
    return None


def is_duplicate(post: Post, body: str, exclude_id: int | None = None) -> bool:
    query = select(Comment.id).where(
        Comment.post_id == post.id, Comment.body == body, Comment.created_at > utcnow() - DUPLICATE_WINDOW
    )
    if exclude_id is not None:
        query = query.where(Comment.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def create_comment(
    post: Post, parent: Comment | None, *, name: str, email: str, body: str, client_address: str | None, honeypot: bool
) -> Comment:
    comment = Comment(
        post_id=post.id, name=name, email=email, body=body, client_address=(client_address or "")[:45] or None
    )
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
    """A new body runs the hold rules again: an approved comment can't be edited into spam.

    Raises AlreadyDeleted when a moderator deleted the comment meanwhile: an edit never brings it back.
    """
    body_html = render_comment(body)
    values: dict[str, str | None] = {"body": body, "body_html": body_html}
    if comment.status != Comment.SPAM:
        reason = hold_reason(comment.email, body, body_html, exclude_id=comment.id)
        values.update(status=Comment.PENDING if reason else Comment.APPROVED, held_reason=reason)
    _change(comment, **values)


def within_edit_window(comment: "Comment | ThreadComment") -> bool:
    return utcnow() - comment.created_at < EDIT_WINDOW


class AlreadyDeleted(Exception):
    """The comment was deleted (by another moderator, or its poster) before this action reached it."""


# The moderation verbs (approve_comment, mark_spam, delete_comment) raise AlreadyDeleted when someone
# deleted the comment first. Each change is one statement conditional on the row still being a live
# comment, so of two moderators acting at once the second finds nothing to change instead of bringing a
# placeholder back to life.


def approve_comment(comment: Comment) -> None:
    if comment.is_placeholder:
        raise AlreadyDeleted()
    _change(comment, status=Comment.APPROVED, held_reason=None)


def mark_spam(comment: Comment) -> None:
    if comment.is_placeholder:
        raise AlreadyDeleted()
    _change(
        comment, status=Comment.SPAM, held_reason=func.coalesce(Comment.held_reason, _("marked as spam by a moderator"))
    )


def _change(comment: Comment, **values) -> None:
    changed = affected_rows(
        update(Comment)
        .where(Comment.id == comment.id, Comment.status != Comment.DELETED)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session="fetch")
    )
    if changed != 1:
        raise AlreadyDeleted()


def has_replies(comment_id: int) -> bool:
    return db.session.scalar(select(Comment.id).where(Comment.parent_id == comment_id).limit(1)) is not None


def delete_comment(comment: Comment) -> None:
    """Delete one comment and never its replies.

    With replies it stays as a placeholder whose name, address and text are blanked (the words are really
    gone, the thread keeps its shape); without, the row goes, and so does any placeholder above it that
    has no reply left.
    """
    if comment.is_placeholder:
        raise AlreadyDeleted()
    if has_replies(comment.id):
        _change(
            comment,
            status=Comment.DELETED,
            name="",
            email="",
            body="",
            body_html="",
            held_reason=None,
            client_address=None,
        )
        return
    parent_id = comment.parent_id
    _remove(comment.id)
    remove_empty_placeholders(parent_id)


def remove_empty_placeholders(comment_id: int | None) -> None:
    """Remove placeholders that no longer have a reply, from comment_id upward."""
    while comment_id is not None:
        placeholder = db.session.get(Comment, comment_id)
        if placeholder is None or not placeholder.is_placeholder or has_replies(comment_id):
            return
        comment_id = placeholder.parent_id
        db.session.execute(delete(Comment).where(Comment.id == placeholder.id))


def _remove(comment_id: int) -> None:
    if affected_rows(delete(Comment).where(Comment.id == comment_id)) != 1:
        raise AlreadyDeleted()


def thread_ids(comment: Comment) -> list[int]:
    """The comment and every reply under it, at any depth."""
    rows = db.session.execute(
        select(Comment.id, Comment.parent_id).where(Comment.root_id == comment.thread_root_id)
    ).all()
    children: dict[int | None, list[int]] = {}
    for reply_id, parent_id in rows:
        children.setdefault(parent_id, []).append(reply_id)
    found, todo = [], [comment.id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def delete_thread(comment: Comment) -> int:
    """Delete a comment with every reply under it (a spam thread); returns how many replies went."""
    ids = thread_ids(comment)
    parent_id = comment.parent_id
    if affected_rows(delete(Comment).where(Comment.id.in_(ids))) == 0:
        raise AlreadyDeleted()
    remove_empty_placeholders(parent_id)
    return len(ids) - 1
