"""Forms that anonymous visitors post (comments, contact): protected without a session.

Instead of Flask-WTF's session-bound CSRF token (which would set a cookie on every reader page), each form
carries a stateless token: the form's name, what it is for (a post id) and the time the page was made,
signed with SECRET_KEY. It proves the post came from a page we served, not too long ago, and not too fast
after the form was first shown (bots post at once); a form sent back with errors keeps that first time.
Any Origin header must be this site's. A honeypot field, hidden from people and from assistive technology,
catches form-filling bots.
"""

import time

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import HiddenField, StringField

from .forms import wtforms_translations
from .page_cache import form_token_delay
from .security import security_event

TOKEN_SALT = "public-form-token"


def now() -> int:
    """The token clock, whole seconds: pages made in the same second are the same bytes."""
    return int(time.time())


class TokenError(Exception):
    """The post did not come, recently, from a page this site served: answer 400 with the form."""


class TooFast(Exception):
    """Posted sooner after the page was shown than a person could type it."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def site_origin() -> str:
    site_url = current_app.config.get("SITE_URL")
    if site_url:
        parts = site_url.split("/")
        return "/".join(parts[:3])
    return request.host_url.rstrip("/")


def new_token(form_name: str, key: str | int, first_shown: int | None = None, first_cached_for: int = 0) -> str:
    """The signed token of a form for `key` (a post id), shown now or, sent back with errors, first shown then."""
    data: dict = {"f": form_name, "k": str(key)}
    if first_shown is not None:
        data["t"], cached_for = first_shown, first_cached_for
    else:
        data["t"], cached_for = now(), form_token_delay()
    if cached_for:
        # A page that may be cached (page_cache.py): its copies are served for up to this many seconds
        # after it was made, so the minimum time counts from the last of them.
        data["c"] = cached_for
    return _serializer().dumps(data)


class PublicForm(FlaskForm):
    """Base for anonymous forms: subclasses set form_name and declare their own fields."""

    class Meta:
        csrf = False  # replaced by the stateless token below
        get_translations = wtforms_translations

    form_name = "public"
    token = HiddenField()
    website = StringField(_l("Leave this field empty"))  # the honeypot

    # When the form was first shown, from the posted token once check_token has trusted it, and for how
    # many seconds after that copies of its page may have been served from the page cache.
    first_shown: int | None = None
    first_cached_for: int = 0

    def issue_token(self, key: str | int) -> None:
        """A token for the page being made; a form sent back with errors keeps its first time.

        So the minimum time counts from when the visitor first saw the form: fixing a typo and sending
        again at once is not "too fast".
        """
        self.token.data = new_token(self.form_name, key, self.first_shown, self.first_cached_for)

    def check_token(self, key: str | int, *, min_seconds: int, max_hours: float) -> None:
        """Raise TokenError or TooFast; return quietly for a good token."""
        origin = request.headers.get("Origin")
        if origin and origin.rstrip("/") != site_origin():  # another site's, or "null" (opaque)
            raise TokenError("foreign origin")
        try:
            data = _serializer().loads(self.token.data or "")
        except BadSignature:
            raise TokenError("bad signature") from None
        if not isinstance(data, dict) or data.get("f") != self.form_name or data.get("k") != str(key):
            raise TokenError("token for another form")
        age = now() - int(data.get("t", 0))
        if age > max_hours * 3600 or age < -60:
            raise TokenError("expired")
        self.first_shown = int(data["t"])
        self.first_cached_for = max(0, int(data.get("c", 0)))
        if min_seconds > 0 and age - self.first_cached_for < min_seconds:
            raise TooFast()

    def problem(self, key: str | int, *, min_seconds: int, max_hours: float) -> tuple[int, str] | None:
        """(status, message) when the token is bad or the post too fast; None when it may go on."""
        try:
            self.check_token(key, min_seconds=min_seconds, max_hours=max_hours)
        except TokenError as error:
            security_event("form_token_rejected", form=self.form_name, reason=str(error))
            return 400, _(
                "This form has expired or did not come from this site. Your text is kept below: please send it again."
            )
        except TooFast:
            return 400, _("That was quicker than anyone can type. Please wait a few seconds and send it again.")
        return None

    def honeypot_filled(self) -> bool:
        return bool((self.website.data or "").strip())
