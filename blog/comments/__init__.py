"""Reader comments: posting, threads, the commenter's edit window, and moderation."""

from flask import Blueprint

bp = Blueprint("comments", __name__)

from . import moderation, views  # noqa: E402,F401
