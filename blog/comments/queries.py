"""Comment queries: a post's thread page, a comment's page, and the moderation lists."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import cast

from flask import current_app
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db, read_rows
from ..models import Comment, Post
from ..posts.links import post_url


class ThreadComment:
    """What the thread shows of a comment, read as plain values: fifty ORM objects (identity map, change
    tracking, every column) cost more than the rest of the comment section. Nothing on the page changes
    them; a view that changes a comment loads the Comment itself."""

    __slots__ = ("id", "post_id", "parent_id", "root_id", "name", "status", "held_reason", "body_html", "created_at")

    def __init__(self, *values) -> None:
        (
            self.id,
            self.post_id,
            self.parent_id,
            self.root_id,
            self.name,
            self.status,
            self.held_reason,
            self.body_html,
            self.created_at,
        ) = values

    @property
    def is_placeholder(self) -> bool:
        return self.status == Comment.DELETED


THREAD_COLUMNS = ("id", "post_id", "parent_id", "root_id", "name", "status", "held_reason", "body_html", "created_at")


@dataclass
class Node:
    """A comment in a rendered thread; `in_reply_to` is set when it is shown flattened at the last level."""

    comment: ThreadComment
    depth: int
    in_reply_to: ThreadComment | None = None
    children: list["Node"] = field(default_factory=list)


def visible_condition(own_ids: set[int] | BindParameter, moderator: bool, comment=Comment):
    """SQL: the comments this reader sees with their text (placeholders aside); `is_shown` is its twin.

    `own_ids` may be an expanding bind parameter, in a statement built once and bound per request.

    One comment's own part of the rule: the thread part (a spam or held top-level comment hides its
    replies) is the page's shape, top_level_condition and build_tree, and in one condition
    Comment.seen_by_readers, which the count and the feed use.
    """
    if moderator:
        return comment.status.in_([Comment.APPROVED, Comment.PENDING])
    if isinstance(own_ids, BindParameter) or own_ids:  # a commenter's browser sees their own held comments
        return or_(comment.status == Comment.APPROVED, and_(comment.id.in_(own_ids), comment.status != Comment.DELETED))
    return comment.status == Comment.APPROVED


def is_shown(comment: "Comment | ThreadComment", own_ids: set[int], moderator: bool) -> bool:
    """Python twin of visible_condition, for comments already loaded."""
    if moderator:
        return comment.status in (Comment.APPROVED, Comment.PENDING)
    return comment.status == Comment.APPROVED or (comment.id in own_ids and comment.status != Comment.DELETED)


def feed_comments(post: Post, limit: int = 50) -> Select:
    """The newest comments every reader sees on a post: the comment feed lists what the page shows."""
    thread_root = aliased(Comment)
    return (
        select(Comment)
        .outerjoin(thread_root, thread_root.id == Comment.root_id)
        .where(Comment.post_id == post.id, Comment.seen_by_readers(thread_root))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )


def top_level_condition(own_ids: set[int] | BindParameter, moderator: bool):
    """Top-level comments this reader sees: the visible ones, and placeholders with a visible reply."""
    reply = aliased(Comment)
    has_shown_reply = (
        select(reply.id).where(reply.root_id == Comment.id, visible_condition(own_ids, moderator, reply)).exists()
    )
    return or_(visible_condition(own_ids, moderator), and_(Comment.status == Comment.DELETED, has_shown_reply))


@cache
def thread_statement(moderator: bool, with_own_ids: bool) -> CompoundSelect:
    """A page of top-level comments and every reply under them, in one statement built once per process for
    a kind of reader: composing the conditions costs more than running them, so the post, the reader's own
    comment ids and the page are bound per request (`post_id`, `own_ids`, `page_limit`, `page_offset`).

    The page's top-level comments (the visible ones, and placeholders with a visible reply) carry the count
    of them all (COUNT(*) OVER (), no count query) and come first, in page order; then their replies,
    oldest first, of every status: a held or spam reply is not shown, but the approved replies under it are.
    """
    own_ids: set[int] | BindParameter = bindparam("own_ids", expanding=True) if with_own_ids else set()
    columns = [getattr(Comment, name) for name in THREAD_COLUMNS]
    roots = (
        select(*columns, func.count().over().label("total"))
        .where(Comment.post_id == bindparam("post_id"), Comment.parent_id.is_(None))
        .where(top_level_condition(own_ids, moderator))
        .order_by(Comment.created_at, Comment.id)
        .limit(bindparam("page_limit"))
        .offset(bindparam("page_offset"))
        .cte("page_roots")
    )
    page = select(*(roots.c[name] for name in THREAD_COLUMNS), roots.c.total, literal(0).label("is_reply"))
    replies = select(*columns, null().label("total"), literal(1).label("is_reply")).where(
        Comment.root_id.in_(select(roots.c.id))
    )
    thread = union_all(page, replies)
    order = thread.selected_columns
    return thread.order_by(order.is_reply, order.created_at, order.id)


class ThreadPagination(SelectPagination):
    """A page of top-level comments (`items`) read with their replies (`replies`) and the count of all
    top-level comments by thread_statement. Past the last page no row comes back, so the total is unknown
    there; that page is a 404 anyway."""

    replies: list[ThreadComment]
    _counted: int

    def _query_items(self) -> list[ThreadComment]:
        params = {**self._query_args["params"], "page_limit": self.per_page, "page_offset": self._query_offset}
        rows = read_rows(self._query_args["select"], params).all()  # plain values: no ORM objects
        roots = [ThreadComment(*row[:-2]) for row in rows if not row[-1]]
        self.replies = [ThreadComment(*row[:-2]) for row in rows if row[-1]]
        self._counted = rows[0][-2] if roots else 0
        return roots

    def _query_count(self) -> int:
        return self._counted


def comment_thread(post: Post, page: int, own_ids: set[int], moderator: bool):
    """One page of top-level comments with all their replies, and the count: one query."""
    params: dict = {"post_id": post.id}
    if own_ids and not moderator:
        params["own_ids"] = sorted(own_ids)
    pagination = ThreadPagination(
        select=thread_statement(moderator, bool(own_ids) and not moderator),
        session=db.session,
        page=page,
        per_page=current_app.config["COMMENT_PAGE_SIZE"],
        error_out=True,
        params=params,
    )

    def shown(comment: ThreadComment) -> bool:
        return is_shown(comment, own_ids, moderator)

    roots = list(pagination.items)
    return pagination, build_tree(roots, pagination.replies, current_app.config["COMMENT_MAX_DEPTH"], shown)


def build_tree(
    roots: list[ThreadComment], replies: Sequence[ThreadComment], max_depth: int, shown=lambda comment: True
) -> list[Node]:
    """Nest replies under their parents; past max_depth they stay at the last level, oldest first.

    A reply that is not shown hands its place to its own replies: they hang under its nearest shown
    ancestor, so every approved comment under an approved thread is on the page (and in the count).
    A placeholder (a deleted comment) keeps its place only while a shown comment stands under it.
    """
    top = [Node(c, 1) for c in roots]
    nodes, containers = {n.comment.id: n for n in top}, {c.id: top for c in roots}
    parents = {c.id: c.parent_id for c in (*roots, *replies)}
    keep: set[int] = set()  # placeholders with a shown comment under them
    for reply in replies:  # oldest first, so a parent is always placed before its replies
        parent = nodes.get(reply.parent_id) if reply.parent_id is not None else None
        if parent is None:
            continue  # under a thread this page does not show
        # A placeholder past the last level would only be an empty line among its flattened replies.
        placeholder = reply.is_placeholder and parent.depth < max_depth
        if not (placeholder or shown(reply)):
            nodes[reply.id] = parent
            continue
        if parent.depth < max_depth:
            node, container = Node(reply, parent.depth + 1), parent.children
        else:
            node, container = Node(reply, max_depth, in_reply_to=parent.comment), containers[parent.comment.id]
        container.append(node)
        nodes[reply.id], containers[reply.id] = node, container
        if not placeholder:
            ancestor = reply.parent_id
            while ancestor is not None and ancestor not in keep:
                keep.add(ancestor)
                ancestor = parents.get(ancestor)

    def prune(level: list[Node]) -> list[Node]:
        kept = [n for n in level if not n.comment.is_placeholder or n.comment.id in keep]
        for n in kept:
            n.children = prune(n.children)
        return kept

    return prune(top)


def comment_page(comment: Comment) -> int:
    """The thread page on which a comment's top-level comment stands."""
    root = comment if comment.root_id is None else db.session.get_one(Comment, comment.root_id)
    before = db.session.scalar(
        select(func.count(Comment.id)).where(
            Comment.post_id == root.post_id,
            Comment.parent_id.is_(None),
            top_level_condition(set(), False),
            tuple_(Comment.created_at, Comment.id) < tuple_(root.created_at, root.id),
        )
    )
    return (before or 0) // current_app.config["COMMENT_PAGE_SIZE"] + 1


def comment_url(comment: Comment, post: Post) -> str:
    page = comment_page(comment)
    return post_url(post, cpage=page if page > 1 else None) + f"#comment-{comment.id}"


def moderation_queue(user, status: str) -> Select:
    query = (
        select(Comment)
        .join(Post, Comment.post_id == Post.id)
        .where(Comment.status == status)
        .options(joinedload(Comment.post), joinedload(Comment.parent))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return query.where(Post.owned_by(user))


def parents_with_replies(comment_ids: list[int]) -> Select:
    """Which of these comments have a reply (the queue offers "Delete thread" on those)."""
    return select(Comment.parent_id).distinct().where(Comment.parent_id.in_(comment_ids))


def comments_with_posts(comment_ids: set[int]) -> Select:
    return select(Comment).where(Comment.id.in_(comment_ids)).options(joinedload(Comment.post))


def moderation_counts(user) -> dict[str, int]:
    def count(status: str):
        return func.coalesce(func.sum(case((Comment.status == status, 1), else_=0)), 0)

    query = (
        select(count(Comment.PENDING), count(Comment.APPROVED), count(Comment.SPAM))
        .select_from(Comment)
        .join(Post, Comment.post_id == Post.id)
        .where(Post.owned_by(user))
    )
    pending, approved, spam = cast(tuple[int, int, int], db.session.execute(query).one())
    return {Comment.PENDING: pending, Comment.APPROVED: approved, Comment.SPAM: spam}
