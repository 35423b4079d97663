"""Two-factor pages: the code step of login, set-up and turning off on the account, an admin's reset."""

import click
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..auth.access import admin_required
from ..auth.pending import end_pending_login, pending_login
from ..auth.services import author_by_email
from ..auth.sessions import complete_login, end_all_sessions
from ..auth.throttling import (
    ACCOUNT_SCOPE,
    ADDRESS_SCOPE,
    account_key_for,
    account_limit,
    address_limit,
    failed_attempt,
)
from ..extensions import db, limiter
from ..forms import ButtonForm
from ..models import User
from ..navigation import is_safe_next
from ..ratelimit import rerender_on_breach
from ..security import security_event
from ..site_settings import site_settings
from . import services
from .forms import DisableForm, LoginCodeForm, NewRecoveryCodesForm, SetupForm

bp = Blueprint("twofactor", __name__, cli_group="two-factor")

SETUP_ENDPOINTS = {"twofactor.setup", "twofactor.confirm_setup"}


@bp.before_app_request
def require_admin_second_factor():
    """REQUIRE_2FA_FOR_ADMINS: an admin without a second factor sees only its set-up under /admin/."""
    if not current_app.config["REQUIRE_2FA_FOR_ADMINS"] or not request.path.startswith("/admin"):
        return None
    if request.endpoint in SETUP_ENDPOINTS or not current_user.is_authenticated:
        return None
    if current_user.is_admin and not current_user.two_factor_enabled:
        return redirect(url_for("twofactor.setup"))
    return None


def no_store(body, status: int = 200):
    """Pages with a secret, recovery codes or a half-finished login are never kept by any cache."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the code step of login ----------------------------------------------------------------------------


def pending():
    """The pending login of this request, looked up once (the limits' key and the view both need it)."""
    if "second_factor_pending" not in g:
        g.second_factor_pending = pending_login()
    return g.second_factor_pending


def pending_account_key() -> str:
    found = pending()
    return account_key_for(found[0].email if found else "")


def pending_user_key() -> str:
    found = pending()
    return f"user:{found[0].id}" if found else "user:-"


def render_login_code(form: LoginCodeForm, error: str | None = None, status: int = 200):
    return no_store(render_template("twofactor/login_code.html", form=form, error=error), status)


def code_throttled_page(message: str) -> str:
    return render_template("twofactor/login_code.html", form=LoginCodeForm(), error=message)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.shared_limit(
    address_limit,
    methods=["POST"],
    scope=ADDRESS_SCOPE,
    deduct_when=failed_attempt,
    on_breach=rerender_on_breach(code_throttled_page),
)
@limiter.shared_limit(
    account_limit,
    methods=["POST"],
    scope=ACCOUNT_SCOPE,
    key_func=pending_account_key,
    deduct_when=failed_attempt,
    on_breach=rerender_on_breach(code_throttled_page),
)
# Whatever the client address: someone who has the password can't spread guesses over many addresses.
@limiter.limit(
    account_limit,
    methods=["POST"],
    scope="second-factor-user",
    key_func=pending_user_key,
    deduct_when=failed_attempt,
    on_breach=rerender_on_breach(code_throttled_page),
)
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    found = pending()
    if found is None:
        end_pending_login()
        flash(_("Please log in again."))
        return redirect(url_for("auth.login"))
    user, remember, target = found
    form = LoginCodeForm()
    error = None
    if form.validate_on_submit():
        used = services.check_second_factor(user, form.code.data)
        if used is not None:
            if used == "recovery_code":
                security_event("recovery_code_used", user.email, left=services.unused_recovery_codes(user))
            complete_login(user, remember=remember)  # commits the used step or code with the new session
            flash(_("Welcome back, %(name)s.", name=user.name))
            return redirect(target if is_safe_next(target) else url_for("admin.dashboard"))
        db.session.rollback()
        security_event("two_factor_failed", user.email)
        error = _("That code is not right, or it has been used already.")
    return render_login_code(form, error)


# --- set-up and turning off, on the author's account ------------------------------------------------------


def render_setup(form: FlaskForm):
    user = current_user._get_current_object()
    secret = services.start_setup(user)
    db.session.commit()
    uri = services.provisioning_uri(user, secret, site_settings().name)
    return no_store(
        render_template(
            "twofactor/setup.html",
            form=form,
            qr_code=services.qr_code_data_uri(uri),
            secret=services.grouped_secret(secret),
            required=current_app.config["REQUIRE_2FA_FOR_ADMINS"] and user.is_admin,
        )
    )


def render_status(form: DisableForm):
    user = current_user._get_current_object()
    return no_store(
        render_template("twofactor/status.html", form=form, codes_left=services.unused_recovery_codes(user))
    )


@bp.get("/admin/account/two-factor")
@login_required
def setup():
    if current_user.two_factor_enabled:
        return render_status(DisableForm())
    return render_setup(SetupForm())


@bp.post("/admin/account/two-factor")
@login_required
def confirm_setup():
    user = current_user._get_current_object()
    if user.two_factor_enabled:
        return redirect(url_for("twofactor.setup"))
    form = SetupForm()
    if form.validate_on_submit():
        codes = services.enable_two_factor(user, form.code.data)
        if codes is not None:
            db.session.commit()
            security_event("two_factor_enabled", user.email)
            # The one POST that renders: the recovery codes are shown this once and never travel in a cookie.
            return no_store(render_template("twofactor/recovery_codes.html", codes=codes))
        db.session.rollback()
        form.code.errors.append(_("That code is not right. Check your app's clock and try the newest code."))
    return render_setup(form)


def confirmed_with_password_and_code(user: User, form: FlaskForm, *, reason: str) -> bool:
    """Turning the second factor off or replacing its codes asks for both factors again; errors go on the form."""
    if not user.check_password(form.password.data):
        form.password.errors.append(_("That is not your current password."))
        return False
    if services.check_second_factor(user, form.code.data) is None:
        db.session.rollback()
        security_event("two_factor_failed", user.email, reason=reason)
        form.code.errors.append(_("That code is not right, or it has been used already."))
        return False
    return True


@bp.post("/admin/account/two-factor/disable")
@login_required
def disable():
    user = current_user._get_current_object()
    if not user.two_factor_enabled:
        return redirect(url_for("twofactor.setup"))
    form = DisableForm()
    if form.validate_on_submit() and confirmed_with_password_and_code(user, form, reason="disable"):
        services.disable_two_factor(user)
        db.session.commit()
        security_event("two_factor_disabled", user.email)
        flash(_("Two-factor authentication is off."))
        return redirect(url_for("admin.account"))
    return render_status(form)


@bp.route("/admin/account/two-factor/recovery-codes", methods=["GET", "POST"])
@login_required
def new_recovery_codes():
    """Ten new recovery codes in place of the old ones (all of which stop working)."""
    user = current_user._get_current_object()
    if not user.two_factor_enabled:
        return redirect(url_for("twofactor.setup"))
    form = NewRecoveryCodesForm()
    if form.validate_on_submit() and confirmed_with_password_and_code(user, form, reason="recovery_codes"):
        codes = services.replace_recovery_codes(user)
        db.session.commit()
        security_event("recovery_codes_replaced", user.email)
        # Rendered, not redirected, as after set-up: the codes are shown once and never stored in a cookie.
        return no_store(render_template("twofactor/recovery_codes.html", codes=codes, replaced=True))
    return no_store(render_template("twofactor/new_recovery_codes.html", form=form))


# --- an admin resets another author's second factor ---------------------------------------------------------


@bp.post("/admin/authors/<int(max=2147483647):user_id>/two-factor/reset")
@admin_required
def reset(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        return redirect(url_for("twofactor.setup"))  # one's own is turned off with password and code
    if ButtonForm().validate_on_submit():
        services.disable_two_factor(user)
        # Whoever holds the account's sessions got past the factor being reset: they sign in again.
        end_all_sessions(user, reason="two_factor_reset")
        db.session.commit()
        security_event("two_factor_reset", user.email, by=current_user.email)
        flash(_("Two-factor authentication is off for %(name)s; they can set it up again.", name=user.name))
    return redirect(url_for("admin.authors"))


@bp.cli.command("off")
@click.argument("email")
def turn_off_command(email: str) -> None:
    """Turn off an author's second factor (e.g. the only admin lost their phone and recovery codes)."""
    user = db.session.scalar(author_by_email(email.strip()))
    if user is None:
        raise click.ClickException(f"No author has the email {email.strip()}.")
    if not user.two_factor_enabled:
        click.echo(f"Two-factor authentication is already off for {user.email}.")
        return
    services.disable_two_factor(user)
    db.session.commit()
    security_event("two_factor_reset", user.email, by="command line")
    click.echo(f"Two-factor authentication is off for {user.email}; they log in with their password alone.")
