"""The content version: bumped in the same transaction as any write a reader could see, read once per request.

Cached pages (page_cache.py) are valid while the version they were made at is the current one. A hook on
every session does the bump, so no view or service has to remember it:

- flushes: any new, changed or deleted object of a reader-visible model (READER_VISIBLE_TABLES; for
  users only the columns in READER_VISIBLE_COLUMNS: a password or a login is no change to a page);
- bulk `update()`/`delete()`/`insert()` statements run through the session on those tables (they bypass
  the flush);
  the bump itself is the transaction's last write, just before COMMIT (`_before_commit`);
- a scheduled post's time coming: `next_publish_at` holds the earliest one still to appear, and the
  first request after it bumps the version once (`current_state`).

A new model or column readers see joins the lists below. Writes through a bare engine connection bypass
the session: call `bump(connection)` there.
"""

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import cast

from flask import g, request
from sqlalchemy import Connection, Engine, Table, event, func, insert, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from . import models
from .extensions import db, read_rows
from .models import Post, SiteState

READER_VISIBLE_TABLES = {
    "posts",
    "comments",
    "tags",
    "post_tags",
    "users",
    "media",
    "media_variants",
    "nav_items",
    "archive_months",
}
# Tables of which only some columns show on reader pages; any other listed table counts whole.
READER_VISIBLE_COLUMNS = {"users": {"name", "slug", "bio"}}

_site_state = cast(Table, SiteState.__table__)
_engines_with_table: "weakref.WeakSet" = weakref.WeakSet()


def _has_site_state(connection: Connection) -> bool:
    """Whether this database has the table yet (today's code also runs on older schemas, e.g. in tests)."""
    engine = connection.engine
    if engine in _engines_with_table:
        return True
    if inspect(connection).has_table("site_state"):
        _engines_with_table.add(engine)
        return True
    return False


def _next_publish_at(now: datetime):
    """SQL: the earliest time a post that is not a draft still has to appear (NULL: none)."""
    return (
        select(func.min(Post.published_at)).where(Post.is_draft.is_(False), Post.published_at > now).scalar_subquery()
    )


def bump(connection: Connection, *, only_if_due: bool = False) -> bool:
    """Count one more change to what readers see, in the transaction `connection` is in.

    only_if_due: only when a scheduled post's time has come (several workers noticing it bump once).
    """
    if not _has_site_state(connection):
        return False
    now = models.utcnow()
    statement = (
        update(_site_state)
        .where(_site_state.c.id == 1)
        .values(
            content_version=_site_state.c.content_version + 1,
            changed_at=now,
            next_publish_at=_next_publish_at(now),
        )
    )
    if only_if_due:
        statement = statement.where(_site_state.c.next_publish_at <= now)
    if connection.execute(statement).rowcount:
        return True
    if only_if_due:
        return False
    # The row is gone (a truncated table): make it again, at a version no cached page was made at.
    connection.execute(
        insert(_site_state).values(id=1, content_version=1, changed_at=now, next_publish_at=_next_publish_at(now))
    )
    return True


def _table_name(instance) -> str | None:
    return getattr(type(instance), "__tablename__", None)


def shows_to_readers(session: Session, instance) -> bool:
    """Whether writing this object (new, changed or deleted in `session`) changes a page readers see."""
    table = _table_name(instance)
    if table not in READER_VISIBLE_TABLES:
        return False
    if instance in session.new or instance in session.deleted:
        return True
    columns = READER_VISIBLE_COLUMNS.get(table)
    if columns is None:
        return session.is_modified(instance)
    attrs = inspect(instance).attrs
    return any(attrs[name].history.has_changes() for name in columns if name in attrs)


def _before_flush(session: Session, flush_context, instances) -> None:
    if any(shows_to_readers(session, obj) for obj in chain(session.new, session.dirty, session.deleted)):
        session.info["content_changed"] = True


def _after_flush(session: Session, flush_context) -> None:
    if session.info.pop("content_changed", False):
        session.info["bump_pending"] = True


def _statement_table(state: ORMExecuteState) -> str | None:
    table = getattr(state.statement, "table", None)
    return getattr(table, "name", None)


def _do_orm_execute(state: ORMExecuteState) -> None:
    """Bulk UPDATE, DELETE and INSERT statements through the session skip the flush: note them here."""
    if (state.is_update or state.is_delete or state.is_insert) and _statement_table(state) in READER_VISIBLE_TABLES:
        state.session.info["bump_pending"] = True


def _before_commit(session: Session) -> None:
    """The bump, once per transaction and as its last write: the site_state row is locked only for the
    moment before COMMIT, and always last, so two writers never wait on each other in a cycle."""
    session.flush()
    if session.info.pop("bump_pending", False):
        bump(session.connection())


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if not session.in_transaction():  # the whole transaction is gone (a savepoint's rollback keeps the rest)
        session.info.pop("content_changed", None)
        session.info.pop("bump_pending", None)


def install() -> None:
    """Listen on every session the app makes (idempotent: create_app runs once per app, tests make many)."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _do_orm_execute),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


@dataclass(frozen=True)
class ContentState:
    """What site_state says now: the version pages are made at, when it last changed, and the settings
    the owner set on the dashboard (blog/site_settings.py), read in the same query."""

    version: int
    changed_at: datetime
    next_publish_at: datetime | None
    settings: dict | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        # The time makes the key unique across databases: a database made again starts at version 1.
        return f"{self.version}.{int(self.changed_at.timestamp() * 1_000_000)}"


_STATE = select(SiteState.content_version, SiteState.changed_at, SiteState.next_publish_at, SiteState.settings).where(
    SiteState.id == 1
)


def _read() -> ContentState | None:
    row = read_rows(_STATE).first()
    return None if row is None else ContentState(*cast(tuple, row))


def read_outside_session(engine: Engine) -> ContentState | None:
    """The state read on a connection of its own, outside any transaction: what a page-cache hit costs.

    The session's way would open a transaction (PostgreSQL: BEGIN, then ROLLBACK at the end of the request,
    two more round trips) and cost more Python than the query; a request that goes on to make its page
    reads the rest in its session afterwards, so what it shows is never older than the version it is
    stored under.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not _has_site_state(connection):
            return None
        row = connection.execute(_STATE).first()
    return None if row is None else ContentState(*cast(tuple, row))


def read_state() -> ContentState | None:
    """What site_state says now, without bumping anything (for the settings outside reader pages)."""
    return _read() if _has_site_state(db.session.connection()) else None


def write_settings(connection: Connection, settings: dict) -> None:
    """Store the dashboard's settings; the caller's transaction bumps the version (`changed`) as it commits."""
    if not connection.execute(update(_site_state).where(_site_state.c.id == 1).values(settings=settings)).rowcount:
        bump(connection)  # the row is gone (a truncated table): made again, then written
        connection.execute(update(_site_state).where(_site_state.c.id == 1).values(settings=settings))


def changed(session) -> None:
    """Count the session's transaction as a change readers see, whatever it wrote (settings live outside
    the reader-visible tables)."""
    session.info["bump_pending"] = True


def current_state() -> ContentState | None:
    """The site's state for this request, read once (the one query a cached page costs); None without the table.

    When a scheduled post's time has come, the first request to notice bumps the version and commits:
    its pages (and every worker's and host's) are made again with the post in them.
    """
    if "content_state" in g:
        return g.content_state
    # Read by the page cache's middleware (page_cache.CachedPages) when it found no stored page.
    state = request.environ.get("blog.content_state") or read_outside_session(db.engine)
    if state is not None and state.next_publish_at is not None and state.next_publish_at <= models.utcnow():
        bump(db.session.connection(), only_if_due=True)
        db.session.commit()
        state = _read()
    g.content_state = state
    return state
