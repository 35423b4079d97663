"""The login form and the forgotten-password forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import MAX_PASSWORD_LENGTH, NoControlCharacters, new_password_validators, strip_text


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter your email.")), Length(max=254), NoControlCharacters()],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD_LENGTH)]
    )
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter your email.")), Length(max=254), NoControlCharacters()],
    )
    submit = SubmitField(_l("Send reset link"))


class NewPasswordForm(FlaskForm):
    """The reset link's form: the same rules as the account page's password change."""

    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Set a new password."))] + new_password_validators()
    )
    confirm_password = PasswordField(
        _l("Repeat new password"), validators=[EqualTo("new_password", _l("The new passwords do not match."))]
    )
    submit = SubmitField(_l("Set new password"))
