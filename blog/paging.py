"""Page numbers from the query string, shared by every paginated list."""

from flask import abort, request


def page_number(name: str = "page") -> int:
    """?page=N as a positive int; anything else is a page that does not exist (404, never a 500)."""
    raw = request.args.get(name, "1")
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        abort(404)
    return int(raw)
