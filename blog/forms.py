"""Pieces shared by every form: validators for text people type, and the CSRF-only button form."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

# Tabs and newlines are text; every other control character (NUL above all, which PostgreSQL
# refuses in text) is a mistake or an attack.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")


class NoControlCharacters:
    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field):
        value = field.data or ""
        if _CONTROL.search(value) or (not self.multiline and _LINE_BREAK.search(value)):
            raise ValidationError(_l("Remove the control characters from this field."))


# Visitors' addresses must be ASCII before the @ (allow_smtputf8=False): not every mail server can answer
# the others. This is the message for the Email validator on the public forms.
INVALID_EMAIL = _l("Enter a valid email address, like name@example.com.")


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


class ButtonForm(FlaskForm):
    """No fields of its own: the CSRF token behind a state-changing button (log out, delete, ...)."""
