"""Flask extensions, created unbound here and bound to the app in create_app."""

from typing import cast

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

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


def affected_rows(statement) -> int:
    """Run an UPDATE or DELETE in the request's session and say how many rows it changed."""
    result = db.session.execute(statement)
    return cast(CursorResult, result).rowcount


migrate = Migrate()
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
