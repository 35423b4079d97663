"""Links to posts and pages: one place that knows a page lives at /<slug> and an article at /posts/<slug>."""

from flask import url_for
from werkzeug.routing import BaseConverter, ValidationError

from ..models import PostKind
from .services import is_reserved_slug


class PageSlugConverter(BaseConverter):
    """A page's slug in /<slug>: never one the site's routes use, so such a path falls through to its route
    (GET /logout stays "405 Method Not Allowed" instead of becoming a missing page)."""

    def to_python(self, value: str) -> str:
        if is_reserved_slug(value):
            raise ValidationError()
        return value


def post_endpoint(kind: str) -> str:
    """The view that shows a post of this kind (models.post_path is the same rule as a plain path)."""
    return "posts.page" if kind == PostKind.PAGE else "posts.article"


def post_url(post, **values) -> str:
    """The address of a post or page on this site; extra values become the query string (cpage=2...)."""
    return url_for(post_endpoint(post.kind), slug=post.slug, **values)
