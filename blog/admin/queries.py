"""Dashboard queries: the author's posts and their counts by status, the authors list, the panels' figures."""

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import MailStatus, OutboxMail, Post, PostStatus, User, utcnow


def editable_posts(user: User) -> Select:
    """The posts this user may edit, last changed first, with their author (the admin's list shows it)."""
    return (
        select(Post)
        .options(joinedload(Post.author))
        .where(Post.owned_by(user))
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )


def post_counts(user: User) -> dict[str, int]:
    """How many of the posts this user may edit are drafts, scheduled and published: one query."""
    now = utcnow()
    draft = Post.is_draft.is_(True) | Post.published_at.is_(None)
    scheduled = ~draft & (Post.published_at > now)
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((draft, 1), else_=0)), 0),
            func.coalesce(func.sum(case((scheduled, 1), else_=0)), 0),
            func.count(Post.id),
        ).where(Post.owned_by(user))
    ).one()
    return {PostStatus.DRAFT: row[0], PostStatus.SCHEDULED: row[1], PostStatus.PUBLISHED: row[2] - row[0] - row[1]}


def failed_mail_count() -> int:
    return db.session.scalar(select(func.count(OutboxMail.id)).where(OutboxMail.status == MailStatus.FAILED)) or 0


def active_author_count() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))) or 0


def authors_with_post_counts() -> Select:
    post_count = func.count(Post.id).label("post_count")
    return select(User, post_count).outerjoin(Post, Post.author_id == User.id).group_by(User.id).order_by(User.name)
