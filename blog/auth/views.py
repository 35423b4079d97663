"""Login and logout: request handling only."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.security import check_password_hash

from ..extensions import db, limiter
from ..navigation import is_safe_next
from ..ratelimit import rerender_on_breach
from ..security import security_event
from .forms import LoginForm
from .pending import start_pending_login
from .services import author_by_email
from .sessions import AUTHOR_KEY, complete_login, end_this_session
from .throttling import ACCOUNT_SCOPE, ADDRESS_SCOPE, account_key_for, account_limit, address_limit, failed_attempt

bp = Blueprint("auth", __name__)

# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltvalue00$" + "0" * 128


def render_login(form: LoginForm, error: str | None = None) -> str:
    return render_template("auth/login.html", form=form, error=error, next=request.args.get("next", ""))


def login_throttled_page(message: str) -> str:
    form = LoginForm()  # keeps the email typed; the password is never echoed back
    return render_login(form, error=message)


def account_key() -> str:
    return account_key_for(request.form.get("email") or "")


# Shared limits: the second factor's code page (twofactor/views.py) counts in the same buckets.
@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(
    address_limit,
    methods=["POST"],
    scope=ADDRESS_SCOPE,
    deduct_when=failed_attempt,
    on_breach=rerender_on_breach(login_throttled_page, email_field="email"),
)
@limiter.shared_limit(
    account_limit,
    methods=["POST"],
    scope=ACCOUNT_SCOPE,
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
            target = request.args.get("next")
            if user.two_factor_enabled:
                # Not logged in yet: the code page completes the login (and only then makes a device session).
                start_pending_login(user, form.remember.data, target if is_safe_next(target) else None)
                return redirect(url_for("twofactor.login_code"))
            complete_login(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.name))
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
