"""Flask extensions, created unbound here and bound to the app in create_app."""

import time
from typing import cast

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

# Named constraints let Alembic's SQLite batch migrations find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def read_rows(statement, params: dict | None = None) -> CursorResult:
    """Run a SELECT of plain columns on the session's connection, in its transaction, as Core: rows, no ORM.

    For reads that build no ORM objects (the content version, an article's links, the comment thread):
    the session's own execute costs about 150 µs more per statement in its ORM layer, four times per cold
    article. The session's pending changes are flushed first, as its autoflush would.
    """
    session = db.session
    if session.autoflush:
        session.flush()  # returns at once when nothing is pending
    return session.connection().execute(statement, params)


def affected_rows(statement) -> int:
    """Run an UPDATE or DELETE in the request's session and say how many rows it changed."""
    result = db.session.execute(statement)
    return cast(CursorResult, result).rowcount


login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Client address from the socket, or from X-Forwarded-For once ProxyFix trusts TRUSTED_PROXIES hops.
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def configure_sqlite_connection(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys, and so ON DELETE CASCADE, unless each connection asks for them.

    Write-ahead logging lets readers and one writer work at once: without it a long read blocks every
    write until the busy timeout runs out ("database is locked").
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


# A pooled connection left unused this long is tested before it is handed out: one that died while idle (the
# database restarted) is replaced before any reader sees an error, and a busy worker pays nothing. (The pool's
# own pre_ping tests every checkout: a round trip more on each PostgreSQL request, a cached page included.)
IDLE_PING_SECONDS = 5.0


@event.listens_for(Pool, "checkin")
def note_checkin(dbapi_connection, connection_record) -> None:
    if connection_record is not None:
        connection_record.info["checked_in_at"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
    last = connection_record.info.get("checked_in_at")
    if last is None or time.monotonic() - last < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # whatever the driver raises for a dead connection
        raise DisconnectionError() from error  # the pool replaces it and tries again
