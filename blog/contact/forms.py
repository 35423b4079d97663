"""The contact form (anonymous, stateless token) and the inbox's action form."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..forms import INVALID_EMAIL, NoControlCharacters, NoEncodedWords, strip_text
from ..public_forms import PublicForm


class ContactForm(PublicForm):
    form_name = "contact"

    name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[Optional(), Length(max=100), NoControlCharacters(), NoEncodedWords()],
    )
    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter your email so the owner can answer.")),
            Length(max=254),
            Email(INVALID_EMAIL, allow_smtputf8=False),
            NoControlCharacters(),
            NoEncodedWords(),
        ],
    )
    message = TextAreaField(
        _l("Message"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Write your message.")),
            Length(min=10, max=5000, message=_l("Write between %(min)d and %(max)d characters.", min=10, max=5000)),
            NoControlCharacters(multiline=True),
        ],
    )
    submit = SubmitField(_l("Send"))
