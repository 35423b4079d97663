"""The commenter's cookie: signed ids of the comments posted from this browser, no account needed.

It lets a commenter see their own held comments and edit or delete them during services.EDIT_WINDOW.
"""

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "commenter"
COOKIE_DAYS = 30
MAX_REMEMBERED = 50


def _cookie_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="commenter-cookie")


def own_comment_ids() -> set[int]:
    """Comments posted from this browser, from its signed cookie (empty when there is none)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return set()
    try:
        ids = _cookie_serializer().loads(raw)
    except BadSignature:
        return set()
    return {i for i in ids if isinstance(i, int)} if isinstance(ids, list) else set()


def remember_comment(response, comment_id: int):
    ids = sorted(own_comment_ids() | {comment_id})[-MAX_REMEMBERED:]
    response.set_cookie(
        COOKIE,
        _cookie_serializer().dumps(ids),
        max_age=COOKIE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
