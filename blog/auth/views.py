"""Login and logout: request handling only."""

from flask import (
    Blueprint,
    after_this_request,
    copy_current_request_context,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.security import check_password_hash

from ..extensions import db, limiter
from ..mail import send_soon
from ..models import TESTING_PASSWORD_HASH_METHOD, OutboxMail
from ..navigation import is_safe_next
from ..ratelimit import rerender_on_breach
from ..security import security_event
from . import reset
from .forms import ForgotPasswordForm, LoginForm, NewPasswordForm
from .pending import start_pending_login
from .services import author_by_email
from .sessions import AUTHOR_KEY, complete_login, end_this_session
from .throttling import ACCOUNT_SCOPE, ADDRESS_SCOPE, account_key_for, account_limit, address_limit, failed_attempt

bp = Blueprint("auth", __name__)

# Checked against when the email is unknown, so both failures take the same time (as cheap as a real hash
# in a TESTING app, see password_hash_method).
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltvalue00$" + "0" * 128
_TESTING_DUMMY_HASH = f"{TESTING_PASSWORD_HASH_METHOD}$dummysaltvalue00$" + "0" * 128


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
        dummy_hash = _TESTING_DUMMY_HASH if current_app.testing else _DUMMY_HASH
        password_ok = check_password_hash(user.password_hash if user else dummy_hash, form.password.data)
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


# --- a forgotten password --------------------------------------------------------------------------------


def no_referrer(response):
    """The reset link's pages: its token must never reach another site, nor any cache."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def render_forgot(form: ForgotPasswordForm, error: str | None = None) -> str:
    return render_template("auth/forgot_password.html", form=form, error=error)


def reset_email_key() -> str:
    return "email|" + (request.form.get("email") or "").strip().lower()[:254]


def send_after_response(mail: OutboxMail | None) -> None:
    """Mail once the answer has gone out, so how long it takes never tells whether the address has an account."""
    mail_id = mail.id if mail is not None else None

    @after_this_request
    def later(response):
        @copy_current_request_context
        def send():
            if mail_id is not None:
                found = db.session.get(OutboxMail, mail_id)
                if found is not None:
                    send_soon(found)

        response.call_on_close(send)
        return response


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"],
    methods=["POST"],
    scope="reset-address",
    on_breach=rerender_on_breach(lambda message: render_forgot(ForgotPasswordForm(), message), email_field="email"),
)
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_EMAIL_RATE_LIMIT"],
    methods=["POST"],
    scope="reset-email",
    key_func=reset_email_key,
    on_breach=rerender_on_breach(lambda message: render_forgot(ForgotPasswordForm(), message), email_field="email"),
)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        mail = reset.request_reset(form.email.data)
        db.session.commit()
        send_after_response(mail)
        return redirect(url_for("auth.reset_link_sent"))
    return render_forgot(form)


@bp.get("/reset-password/sent")
def reset_link_sent():
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    return render_template("auth/reset_link_sent.html", minutes=minutes)


# The link's token moves from the address into the session at once, as Django does: the form's page has no
# secret in its address, so its Referer (which Flask-WTF's CSRF check wants over HTTPS) can't leak one.
RESET_TOKEN_KEY = "reset_token"


def invalid_link_page():
    page = render_template("auth/reset_link_invalid.html")
    return no_referrer(current_app.make_response((page, 410)))


@bp.get("/reset-password/<token>")
def open_reset_link(token: str):
    """The link in the mail: opening it (a mail scanner may) changes nothing; the form comes next."""
    if len(token) > 500 or reset.user_for_reset_token(token) is None:
        return invalid_link_page()
    session[RESET_TOKEN_KEY] = token
    return no_referrer(redirect(url_for("auth.reset_password")))


@bp.route("/reset-password/new", methods=["GET", "POST"])
def reset_password():
    token = session.get(RESET_TOKEN_KEY)
    user = reset.user_for_reset_token(token) if isinstance(token, str) and len(token) <= 500 else None
    if user is None:
        session.pop(RESET_TOKEN_KEY, None)
        return invalid_link_page()
    form = NewPasswordForm()
    if form.validate_on_submit():
        if reset.reset_password(user, user.reset_nonce or "", form.new_password.data):
            db.session.commit()
            if user.two_factor_enabled:
                # A reset link proves the mailbox, not the phone: the second factor is still asked for.
                session.pop(RESET_TOKEN_KEY, None)
                start_pending_login(user, False, None)
                flash(_("Your new password is set. Enter your authentication code to log in."))
                return redirect(url_for("twofactor.login_code"))
            complete_login(user, remember=False)  # clears the session, the token with it
            flash(_("Your new password is set, and you are logged in. Every other session has ended."))
            return redirect(url_for("admin.dashboard"))
        db.session.rollback()
        return invalid_link_page()
    response = current_app.make_response(render_template("auth/reset_password.html", form=form))
    response.headers["Cache-Control"] = "no-store"
    return response
