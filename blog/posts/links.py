"""Links to posts and pages: one place that knows a page lives at /<slug> and an article at /posts/<slug>."""

from flask import url_for

from ..models import PostKind


def post_endpoint(kind: str) -> str:
    """The view that shows a post of this kind (models.post_path is the same rule as a plain path)."""
    return "posts.page" if kind == PostKind.PAGE else "posts.article"


def post_url(post, **values) -> str:
    """The address of a post or page on this site; extra values become the query string (cpage=2...)."""
    return url_for(post_endpoint(post.kind), slug=post.slug, **values)
