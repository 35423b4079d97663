"""The search page: GET /search?q=..., no form token needed, cacheable like every reader page."""

from flask import Blueprint, render_template, request

from ..paging import page_number
from .queries import SearchResult, search_posts, snippet

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    query = request.args.get("q", "")[:1000]
    result = search_posts(query, page_number()) if query.strip() else SearchResult(None, [])
    return render_template(
        "search/results.html",
        query=query,
        pagination=result.pagination,
        terms=result.terms,
        suggestion=result.suggestion,
        stale=result.stale,
        snippet=snippet,
    )
