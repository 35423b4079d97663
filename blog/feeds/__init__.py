"""Being found: Atom feeds, the sitemap and robots.txt."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from . import views  # noqa: E402,F401
