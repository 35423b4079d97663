"""Listing counts kept on write: how many articles each tag and the whole archive list, so no page counts them.

What is stored counts articles listed now *or scheduled to be* (Post.will_be_listed): a scheduled post going
live by its time needs no write, and a page subtracts the scheduled ones, which are few, with a query over
only them (posts/queries.py). Kept by hooks on every session, like the comment counts in models.py:

- `post_tags.listed_at`: the post's published_at while it will be listed, else NULL. Rewritten after every
  flush for the posts whose kind, draft state, time or tags changed (their rows only), so a tag page reads
  its posts in order from the (tag_id, listed_at, post_id) index.
- `tags.post_count`, `archive_months.post_count` and `site_state.post_count`: recounted just before COMMIT
  for the tags, months and archive the transaction touched. The rows are locked first (tags by id, months
  by month, then site_state, which content_version bumps last), and the count runs as a statement of its
  own after the lock: on PostgreSQL it then sees what a concurrent writer committed while we waited, so
  two authors publishing at once both count.
- bulk `update()`/`delete()` of posts and any bulk statement on post_tags through the session are noted
  too; writes through a bare connection are not: `flask recount` puts everything right.
"""

from __future__ import annotations

import weakref
from typing import Any, cast

from sqlalchemy import Connection, Table, event, func, inspect, select, true, update
from sqlalchemy.orm import ORMExecuteState, Session

from .models import ArchiveMonth, Post, SiteState, Tag, post_tags

_site_state = cast(Table, SiteState.__table__)
_tags = cast(Table, Tag.__table__)
_months = cast(Table, ArchiveMonth.__table__)
# The columns whose change moves a post in or out of the listings.
_LISTING_COLUMNS = ("kind", "is_draft", "published_at")
CHUNK = 500


def listed_at_of_post():
    """SQL for post_tags.listed_at, correlated to the post_tags row being written."""
    return select(Post.published_at).where(Post.id == post_tags.c.post_id, Post.will_be_listed()).scalar_subquery()


def sync_listed_at(connection: Connection, post_ids=None) -> None:
    """Write post_tags.listed_at for these posts' rows (all rows when post_ids is None)."""
    if post_ids is None:
        connection.execute(update(post_tags).values(listed_at=listed_at_of_post()))
        return
    ids = sorted(post_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        connection.execute(
            update(post_tags).where(post_tags.c.post_id.in_(chunk)).values(listed_at=listed_at_of_post())
        )


def tag_count_of_tag():
    """SQL: the tag's articles listed or scheduled, counted from the join table's index, correlated to tags."""
    return (
        select(func.count())
        .select_from(post_tags)
        .where(post_tags.c.tag_id == _tags.c.id, post_tags.c.listed_at.is_not(None))
        .scalar_subquery()
    )


def archive_count():
    """SQL: every article listed or scheduled (what site_state.post_count keeps)."""
    return select(func.count()).select_from(Post).where(Post.will_be_listed()).scalar_subquery()


def recount_tags(connection: Connection, tag_ids=None) -> None:
    """Store these tags' counts (every tag's when tag_ids is None), locking their rows first, by id."""
    if tag_ids is None:
        locked = select(_tags.c.id).order_by(_tags.c.id).with_for_update()
        connection.execute(locked).all()
        connection.execute(update(_tags).values(post_count=tag_count_of_tag()))
        return
    ids = sorted(tag_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        connection.execute(select(_tags.c.id).where(_tags.c.id.in_(chunk)).order_by(_tags.c.id).with_for_update()).all()
        connection.execute(update(_tags).where(_tags.c.id.in_(chunk)).values(post_count=tag_count_of_tag()))


def month_count_of_month():
    """SQL: a month's articles listed or scheduled, from the month index, correlated to archive_months."""
    return (
        select(func.count())
        .select_from(Post)
        .where(Post.will_be_listed(), Post.published_month == _months.c.month)
        .scalar_subquery()
    )


_engines_with_months: weakref.WeakSet = weakref.WeakSet()


def _has_archive_months(connection: Connection) -> bool:
    """Whether this database has the table yet (today's code also runs on older schemas, e.g. in tests)."""
    if connection.engine in _engines_with_months:
        return True
    if inspect(connection).has_table("archive_months"):
        _engines_with_months.add(connection.engine)
        return True
    return False


def recount_months(connection: Connection, months=None) -> None:
    """Store these months' counts (every month's when months is None): rows made if missing, locked, counted."""
    if not _has_archive_months(connection):
        return
    if months is None:
        months = set(
            connection.execute(
                select(Post.published_month).where(Post.will_be_listed(), Post.published_month.is_not(None)).distinct()
            ).scalars()
        )
        connection.execute(_months.delete().where(_months.c.month.not_in(sorted(months)) if months else true()))
    keys = sorted(m for m in months if m is not None)
    if not keys:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        missing = insert(_months).on_conflict_do_nothing()  # another writer may make the same month at once
        connection.execute(missing, [{"month": m, "post_count": 0} for m in chunk])
        locked = select(_months.c.month).where(_months.c.month.in_(chunk)).order_by(_months.c.month)
        connection.execute(locked.with_for_update()).all()
        connection.execute(update(_months).where(_months.c.month.in_(chunk)).values(post_count=month_count_of_month()))


def recount_archive(connection: Connection) -> None:
    """Store the archive's count in site_state (made again first if the row is gone)."""
    from .content_version import _has_site_state, bump

    if not _has_site_state(connection):
        return
    if connection.execute(select(_site_state.c.id).where(_site_state.c.id == 1).with_for_update()).first() is None:
        bump(connection)  # the row is gone (a truncated table): made again, then counted below
    connection.execute(update(_site_state).where(_site_state.c.id == 1).values(post_count=archive_count()))


def _notes(session: Session) -> dict[str, Any]:
    return session.info.setdefault(
        "listing_counts",
        {"posts": [], "tags": [], "months": set(), "all_tags": False, "archive": False, "resync_all": False},
    )


def _before_flush(session: Session, flush_context, instances) -> None:
    """Note the posts and tags this flush changes (a new one knows its id only after the flush)."""
    notes = _notes(session)
    for obj in session.new:
        if isinstance(obj, Post):
            notes["posts"].append(obj)
            notes["archive"] = True
            notes["months"].add(obj.published_month)
    for obj in session.dirty:
        if isinstance(obj, Post):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in (*_LISTING_COLUMNS, "published_month")):
                notes["posts"].append(obj)
                notes["archive"] = True
                # Its month now and before (models.keep_published_month has already set the new one).
                notes["months"].add(obj.published_month)
                notes["months"].update(attrs.published_month.history.deleted or ())
            tags = attrs.tags.history
            if tags.added or tags.deleted:
                notes["posts"].append(obj)
                notes["tags"].extend(tags.deleted or ())
        elif isinstance(obj, Tag):
            linked = inspect(obj).attrs.posts.history
            if linked.added or linked.deleted:
                notes["tags"].append(obj)
                notes["posts"].extend(linked.added or ())
    deleted = [obj.id for obj in session.deleted if isinstance(obj, Post) and obj.id is not None]
    notes["months"].update(obj.published_month for obj in session.deleted if isinstance(obj, Post))
    if deleted:
        notes["archive"] = True
        # Their post_tags rows go with them: note their tags now.
        notes["tags"].extend(
            session.connection().execute(select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(deleted))).scalars()
        )


def _after_flush_postexec(session: Session, flush_context) -> None:
    """Write listed_at on the changed posts' tag rows, and note their tags for the count at commit."""
    notes = _notes(session)
    posts = notes["posts"]
    if not posts:
        return
    notes["posts"] = []
    post_ids = {p.id for p in posts if p.id is not None and inspect(p).persistent}
    if not post_ids:
        return
    connection = session.connection()
    sync_listed_at(connection, post_ids)
    notes["tags"].extend(
        connection.execute(select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(sorted(post_ids)))).scalars()
    )


def _do_orm_execute(state: ORMExecuteState) -> None:
    """Bulk statements skip the flush: one on posts or post_tags (rare: tests and one-off fixes) rewrites
    every tag row's listed_at and recounts every tag and the archive at commit. Returns nothing, so the
    statement runs as usual and the other hooks (content_version's bump) still see it."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if getattr(getattr(state.statement, "table", None), "name", None) in ("posts", "post_tags"):
        notes = _notes(state.session)
        notes["resync_all"] = notes["all_tags"] = notes["archive"] = True


def _before_commit(session: Session) -> None:
    session.flush()
    notes = session.info.pop("listing_counts", None)
    if not notes:
        return
    connection = session.connection()
    if notes["resync_all"]:
        sync_listed_at(connection)
    tag_ids = {t.id if isinstance(t, Tag) else t for t in notes["tags"]}
    tag_ids.discard(None)
    if notes["all_tags"]:
        recount_tags(connection)
    elif tag_ids:
        recount_tags(connection, tag_ids)
    if notes["resync_all"]:
        recount_months(connection)
    elif notes["months"] - {None}:
        recount_months(connection, notes["months"])
    if notes["archive"]:
        recount_archive(connection)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Tag) and (notes["all_tags"] or obj.id in tag_ids):
            session.expire(obj, ["post_count"])


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop("listing_counts", None)


def install() -> None:
    """Listen on every session once (create_app may run many times in one process). Call it before
    content_version.install(): its bump of site_state must stay the transaction's last write."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush_postexec", _after_flush_postexec),
        ("do_orm_execute", _do_orm_execute),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
