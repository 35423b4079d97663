"""Pieces shared by every form: validators for text people type, and the CSRF-only button form."""

import re

from flask import current_app
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Length, ValidationError

# Tabs and newlines are text; every other control character (NUL above all, which PostgreSQL
# refuses in text) is a mistake or an attack.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")
# Bidirectional overrides and isolates let a name display as something else ("moc.elpmaxe"...).
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def wtforms_translations(meta, form):
    """A form Meta's get_translations (the public forms' own Meta): WTForms' messages from the site's catalogue."""
    if not current_app.config.get("WTF_I18N_ENABLED", True):
        return None
    return SITE_TRANSLATIONS


class NoControlCharacters:
    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field):
        value = field.data or ""
        one_line_only = not self.multiline and (_LINE_BREAK.search(value) or _BIDI_CONTROL.search(value))
        if _CONTROL.search(value) or one_line_only:
            raise ValidationError(_l("Remove the control characters from this field."))


# Password rules for every place a password is set: the dashboard's forms and `create-author`.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


# An RFC 2047 encoded word ("=?utf-8?q?...?="): Python's email package decodes it inside a header value, so
# in a name that reaches a mail's Subject it could become a line break and a header of its own.
_ENCODED_WORD = re.compile(r"=\?.*\?=", re.S)


class NoEncodedWords:
    """For one-line fields that may end up in a mail header (names, addresses)."""

    def __call__(self, form, field):
        if _ENCODED_WORD.search(field.data or ""):
            raise ValidationError(
                _l("Remove \u201c=?\u201d and \u201c?=\u201d from this field: mail programs read them as code.")
            )


# Visitors' addresses must be ASCII before the @ (allow_smtputf8=False): not every mail server can answer
# the others. This is the message for the Email validator on the public forms.
INVALID_EMAIL = _l("Enter a valid email address, like name@example.com.")


def parse_id(raw: str | None) -> int | None:
    """A database id from a form or query string; None for anything else (even "²", which isdigit() likes)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


class ButtonForm(FlaskForm):
    """No fields of its own: the CSRF token behind a state-changing button (log out, delete, ...)."""


def new_password_validators():
    """The rules for a new password wherever one is set: the account page, an admin's reset, a reset link."""
    return [
        Length(
            min=MIN_PASSWORD_LENGTH,
            max=MAX_PASSWORD_LENGTH,
            message=_l("Use %(min)d to %(max)d characters.", min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH),
        )
    ]


def plural_message(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural message for extraction only (`make translations` passes -k plural_message:1,2)."""
    return singular, plural


# WTForms' own messages for the validators and fields we use without a message of ours. WTForms ships no
# Indonesian, so they go through the site's catalogue: listed here, `make translations` extracts them.
WTFORMS_MESSAGES = (
    _l("Invalid email address."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid datetime value."),
    plural_message("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
)


class SiteTranslations:
    """What WTForms asks for its own messages: the site's catalogue, in the site's language."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


SITE_TRANSLATIONS = SiteTranslations()


def use_site_translations() -> None:
    """Flask-WTF would look for WTForms' messages in WTForms' own catalogues (none for Indonesian)."""

    def get_site_translations(meta, form) -> SiteTranslations:
        return SITE_TRANSLATIONS

    FlaskForm.Meta.get_translations = get_site_translations
