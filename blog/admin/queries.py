"""Dashboard queries: the author's posts and their counts by status, the authors list, the panels' figures."""

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import MailStatus, OutboxMail, Post, PostKind, PostStatus, User


def editable_posts(user: User, kind: PostKind | None = None, status: PostStatus | None = None) -> Select:
    """The posts and pages (or one kind, or one status) this user may edit, last changed first, with their author."""
    query = (
        select(Post)
        .options(joinedload(Post.author))
        .where(Post.owned_by(user))
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )
    if kind is not None:
        query = query.where(Post.kind == kind)
    return query if status is None else query.where(Post.has_status(status))


def post_counts(user: User) -> dict[str, int]:
    """How many of the posts (articles, not pages) this user may edit are drafts, scheduled and published,
    and how many pages they may edit: one query."""
    article = Post.kind == PostKind.POST
    draft = Post.has_status(PostStatus.DRAFT)
    scheduled = Post.has_status(PostStatus.SCHEDULED)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(count(article & draft), count(article & scheduled), count(article), count(~article)).where(
            Post.owned_by(user)
        )
    ).one()
    return {
        PostStatus.DRAFT: row[0],
        PostStatus.SCHEDULED: row[1],
        PostStatus.PUBLISHED: row[2] - row[0] - row[1],
        "pages": row[3],
    }


def failed_mail_count() -> int:
    return db.session.scalar(select(func.count(OutboxMail.id)).where(OutboxMail.status == MailStatus.FAILED)) or 0


def failed_mails() -> Select:
    """The mails the outbox gave up on, newest first: what the dashboard's "failed mails" count links to."""
    return (
        select(OutboxMail)
        .where(OutboxMail.status == MailStatus.FAILED)
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
    )


def active_author_count() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))) or 0


def authors_with_post_counts() -> Select:
    post_count = func.count(Post.id).label("post_count")
    return select(User, post_count).outerjoin(Post, Post.author_id == User.id).group_by(User.id).order_by(User.name)
