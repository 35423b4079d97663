"""The forms of two-factor authentication."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import MAX_PASSWORD_LENGTH, NoControlCharacters, strip_text


def code_field(description=None) -> StringField:
    return StringField(
        _l("Authentication code"),
        filters=[strip_text],
        description=description,
        validators=[DataRequired(_l("Enter the code.")), Length(max=32), NoControlCharacters()],
    )


class LoginCodeForm(FlaskForm):
    code = code_field(_l("The 6-digit code from your authenticator app, or one of your recovery codes."))
    submit = SubmitField(_l("Verify"))


class SetupForm(FlaskForm):
    code = code_field(_l("The 6-digit code your authenticator app shows after adding this account."))
    submit = SubmitField(_l("Turn on two-factor authentication"))


class DisableForm(FlaskForm):
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD_LENGTH)]
    )
    code = code_field(_l("A code from your authenticator app, or one of your recovery codes."))
    submit = SubmitField(_l("Turn off two-factor authentication"))


class NewRecoveryCodesForm(FlaskForm):
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD_LENGTH)]
    )
    code = code_field(_l("A code from your authenticator app, or one of your recovery codes."))
    submit = SubmitField(_l("Make new recovery codes"))
