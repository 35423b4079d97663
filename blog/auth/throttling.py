"""What the login limits count, shared by the password step (auth/views.py) and the code step
(twofactor/views.py): both use Flask-Limiter's shared limits of these scopes, so a wrong authentication
code counts exactly like a wrong password."""

from flask import current_app
from flask_limiter.util import get_remote_address

ADDRESS_SCOPE = "login-address"
ACCOUNT_SCOPE = "login-account"


def address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def account_key_for(email: str) -> str:
    """The per-account bucket: this client address and this email together."""
    return f"{get_remote_address()}|{email.strip().lower()[:254]}"


def failed_attempt(response) -> bool:
    """Only failed attempts count towards the limits: a successful step redirects."""
    return response.status_code != 302
