"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from . import views  # noqa: E402,F401
