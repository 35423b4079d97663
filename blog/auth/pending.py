"""Half a login: the password was right and the second factor is still to come.

The browser's session holds only a signed, short-lived note of who is half logged in (no Flask-Login login,
no device session), which twofactor/views.py reads back and completes with sessions.complete_login.
"""

import hashlib

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..models import User

PENDING_KEY = "second_factor_pending"
# How long the code page accepts a code after the password was right.
PENDING_SECONDS = 5 * 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="second-factor-pending")


def _password_mark(user: User) -> str:
    """Changes with the password: a pending login made before a password change is void."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def start_pending_login(user: User, remember: bool, next_url: str | None) -> None:
    session[PENDING_KEY] = _serializer().dumps(
        {"user": user.id, "remember": bool(remember), "next": next_url or "", "mark": _password_mark(user)}
    )


def pending_login() -> tuple[User, bool, str | None] | None:
    """The author half logged in on this browser, whether to remember them, and where to go; None if none
    (never started, expired, tampered with, or the author has since been deactivated or changed password)."""
    raw = session.get(PENDING_KEY)
    if not isinstance(raw, str):
        return None
    try:
        data = _serializer().loads(raw, max_age=PENDING_SECONDS)
    except BadSignature:  # SignatureExpired is one
        return None
    user = db.session.get(User, data.get("user")) if isinstance(data.get("user"), int) else None
    if user is None or not user.is_active or data.get("mark") != _password_mark(user):
        return None
    return user, bool(data.get("remember")), data.get("next") or None


def end_pending_login() -> None:
    session.pop(PENDING_KEY, None)
