"""The login form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import MAX_PASSWORD_LENGTH, NoControlCharacters, strip_text


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
