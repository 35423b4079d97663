"""Author pages: request handling only, the queries live in queries.py."""

from flask import Blueprint, render_template

from ..extensions import db
from ..paging import page_number
from ..site_settings import site_settings
from .queries import author_by_slug, posts_by

bp = Blueprint("authors", __name__)


@bp.get("/authors/<slug>")
def author(slug: str):
    author = db.first_or_404(author_by_slug(slug))
    pagination = db.paginate(
        posts_by(author), page=page_number(), per_page=site_settings().posts_per_page, error_out=True
    )
    return render_template("authors/author.html", author=author, pagination=pagination)
