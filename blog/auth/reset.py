"""Password reset links: a signed token naming the author, their current reset nonce and their password.

The database keeps the one shared state (users.reset_nonce), so every worker and host agrees on which
link works: a newer link replaces the nonce, using a link clears it (one conditional UPDATE, so two
tabs can't both use it), and a changed password changes the hash fragment the token was made with.
The token also carries when it was made; it works for PASSWORD_RESET_MINUTES.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from ..extensions import affected_rows, db
from ..mail import queue_from_templates
from ..models import OutboxMail, User, utcnow
from ..security import security_event
from ..site_settings import site_settings
from ..templating import absolute_url
from .services import author_by_email
from .sessions import end_all_sessions

TOKEN_SALT = "password-reset"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def password_fragment(user: User) -> str:
    """Changes with the password; a digest, so the (readable) token shows nothing of the hash itself."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User, issued: datetime) -> str:
    return _serializer().dumps(
        {"u": user.id, "n": user.reset_nonce, "p": password_fragment(user), "t": int(issued.timestamp())}
    )


def request_reset(email: str) -> OutboxMail | None:
    """Queue a reset mail when the address is an active author's; None otherwise. The caller commits.

    The page says the same whatever happens here: nobody learns which addresses have accounts.
    """
    user = db.session.scalar(author_by_email(email))
    if user is None or not user.is_active:
        security_event("password_reset_requested", email, outcome="unknown" if user is None else "deactivated")
        return None
    user.reset_nonce = secrets.token_hex(16)  # any earlier link stops working
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    link = absolute_url("auth.open_reset_link", token=reset_token(user, utcnow()))
    security_event("password_reset_requested", user.email, outcome="mailed")
    return queue_from_templates(
        [user.email],
        _("Reset your password on %(site)s", site=site_settings().name),
        "password_reset",
        user=user,
        link=link,
        minutes=minutes,
    )


def user_for_reset_token(token: str) -> User | None:
    """The active author a reset link is for, while it still works; None for any other link."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("t"), int):
        return None
    age = utcnow().timestamp() - data["t"]
    if not -60 <= age <= current_app.config["PASSWORD_RESET_MINUTES"] * 60:
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active or not user.reset_nonce:
        return None
    same_nonce = hmac.compare_digest(str(data.get("n")), user.reset_nonce)
    same_password = hmac.compare_digest(str(data.get("p")), password_fragment(user))
    return user if same_nonce and same_password else None


def reset_password(user: User, nonce: str, password: str) -> bool:
    """Use the link: False when another request used it first. Ends every session of the author.

    The caller commits, then logs the author in on this device.
    """
    used = affected_rows(
        update(User)
        .where(User.id == user.id, User.reset_nonce == nonce)
        .values(reset_nonce=None)
        .execution_options(synchronize_session=False)
    )
    if used != 1:
        return False
    user.reset_nonce = None
    user.set_password(password)
    end_all_sessions(user, reason="password_reset_by_link")
    security_event("password_reset", user.email, by="link")
    return True
