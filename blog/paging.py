"""Page numbers from the query string, shared by every paginated list."""

from typing import Any

from flask import abort, request
from flask_sqlalchemy.pagination import SelectPagination


def page_number(name: str = "page") -> int:
    """?page=N as a positive int; anything else is a page that does not exist (404, never a 500)."""
    raw = request.args.get(name, "1")
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        abort(404)
    return int(raw)


class DeferredJoinPagination(SelectPagination):
    """A page of posts found by id first: the page's ids come from the listing index alone (deep pages skip
    index entries, not rows), then only those rows are read with what the page shows."""

    def _query_items(self) -> list[Any]:
        from .models import Post

        select = self._query_args["select"]
        ids = self._query_args.get("ids_select")
        if ids is None:
            ids = select.with_only_columns(Post.id)
        offset = self._query_offset
        seek = self._query_args.get("seek")
        if seek is not None and offset:
            # (ids from a later start, the offset left): a deep page skips whole counted months, not entries
            ids, offset = seek(offset) or (ids, offset)
        ids = ids.limit(self.per_page).offset(offset)
        page = select.where(Post.id.in_(ids.scalar_subquery()))
        return list(self._query_args["session"].execute(page).unique().scalars())

    def _query_count(self) -> int:
        count = self._query_args.get("count_select")
        if count is None:
            return super()._query_count()
        if isinstance(count, int):  # counted already by the view
            return count
        return self._query_args["session"].scalar(count) or 0


def paginate_posts(
    session, select, page: int, per_page: int, count_select=None, ids_select=None, seek=None
) -> SelectPagination:
    """`count_select`, when given, counts the same posts by a cheaper road (a count kept on write), or is
    that count; `ids_select` finds the page's post ids, in page order, by one (a tag's posts from the join
    table); `seek(offset)` may give (ids from a later start, the offset left from there) for a deep page."""
    return DeferredJoinPagination(
        select=select,
        session=session,
        page=page,
        per_page=per_page,
        error_out=True,
        count_select=count_select,
        ids_select=ids_select,
        seek=seek,
    )
