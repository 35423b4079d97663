"""Export queries: rows (not ORM objects) in keyset pages, so an export of any size keeps memory flat."""

from collections.abc import Sequence

from sqlalchemy import Select, select

from ..models import Comment, ContactMessage, OutboxMail, Post, Redirect, Tag, User, post_tags


def authors() -> Select:
    """Every account as the export names it; the password hash is deliberately never selected."""
    return select(User.id, User.email, User.name).order_by(User.id)


def tags() -> Select:
    return select(Tag.id, Tag.slug, Tag.name).order_by(Tag.id)


def posts_after(after_id: int, limit: int) -> Select:
    """The next page of posts and pages by id, with their author's login (the email)."""
    return (
        select(
            Post.id,
            Post.title,
            Post.slug,
            Post.body,
            Post.body_html,
            Post.excerpt,
            Post.is_draft,
            Post.published_at,
            Post.created_at,
            Post.updated_at,
            Post.kind,
            Post.comments_open,
            User.email.label("author_email"),
        )
        .join(User, User.id == Post.author_id)
        .where(Post.id > after_id)
        .order_by(Post.id)
        .limit(limit)
    )


def tags_of(post_ids: Sequence[int]) -> Select:
    return (
        select(post_tags.c.post_id, Tag.slug, Tag.name)
        .join(Tag, Tag.id == post_tags.c.tag_id)
        .where(post_tags.c.post_id.in_(post_ids))
        .order_by(post_tags.c.post_id, Tag.name)
    )


def comments_of(post_ids: Sequence[int]) -> Select:
    """Every comment of these posts whatever its status, parents before their replies (ids grow)."""
    return (
        select(
            Comment.id,
            Comment.post_id,
            Comment.parent_id,
            Comment.name,
            Comment.email,
            Comment.body,
            Comment.status,
            Comment.client_address,
            Comment.created_at,
        )
        .where(Comment.post_id.in_(post_ids))
        .order_by(Comment.post_id, Comment.id)
    )


def redirects_to(post_ids: Sequence[int]) -> Select:
    return (
        select(Redirect.post_id, Redirect.old_path)
        .where(Redirect.post_id.in_(post_ids))
        .order_by(Redirect.post_id, Redirect.id)
    )


def messages_after(after_id: int, limit: int) -> Select:
    """The next page of contact messages, oldest first."""
    return (
        select(
            ContactMessage.id,
            ContactMessage.created_at,
            ContactMessage.name,
            ContactMessage.email,
            ContactMessage.message,
            ContactMessage.is_read,
            ContactMessage.is_archived,
        )
        .where(ContactMessage.id > after_id)
        .order_by(ContactMessage.id)
        .limit(limit)
    )


def mails_of(message_ids: Sequence[int]) -> Select:
    return (
        select(
            OutboxMail.contact_message_id,
            OutboxMail.status,
            OutboxMail.attempts,
            OutboxMail.last_error,
            OutboxMail.sent_at,
        )
        .where(OutboxMail.contact_message_id.in_(message_ids))
        .order_by(OutboxMail.contact_message_id, OutboxMail.id)
    )
