"""Login and logout: request handling only."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, logout_user
from werkzeug.security import check_password_hash

from ..extensions import db, limiter
from ..navigation import is_safe_next
from ..ratelimit import rerender_on_breach
from ..security import security_event
from .forms import LoginForm
from .services import author_by_email
from .sessions import AUTHOR_KEY, complete_login, end_this_session

bp = Blueprint("auth", __name__)

# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltvalue00$" + "0" * 128


def render_login(form: LoginForm, error: str | None = None) -> str:
    return render_template("auth/login.html", form=form, error=error, next=request.args.get("next", ""))


def login_throttled_page(message: str) -> str:
    form = LoginForm()  # keeps the email typed; the password is never echoed back
    return render_login(form, error=message)


def failed_attempt(response) -> bool:
    """Only failed attempts count towards the limits: a successful login redirects."""
    return response.status_code != 302


def account_key() -> str:
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{get_remote_address()}|{email}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    scope="login-address",
    deduct_when=failed_attempt,
    on_breach=rerender_on_breach(login_throttled_page, email_field="email"),
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    methods=["POST"],
    scope="login-account",
    key_func=account_key,
    deduct_when=failed_attempt,
    on_breach=rerender_on_breach(login_throttled_page, email_field="email"),
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(author_by_email(form.email.data))
        password_ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is not None and password_ok and user.is_active:
            complete_login(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.name))
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("admin.dashboard"))
        reason = "unknown_email" if user is None else "bad_password" if not password_ok else "deactivated"
        security_event("login_failed", form.email.data, reason=reason)
        error = _("The email or password is incorrect.")
    return render_login(form, error)


@bp.post("/logout")
@login_required
def logout():
    # CSRFProtect has checked the token. Only this device's session ends; the author's others go on.
    end_this_session(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.pop(AUTHOR_KEY, None)
    flash(_("You have logged out."))
    return redirect(url_for("posts.home"))
