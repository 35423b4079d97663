"""The author's bio form on the account page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from ..forms import NoControlCharacters
from ..models import BIO_MAX_LENGTH
from .services import normalise_bio


class BioForm(FlaskForm):
    bio = TextAreaField(
        _l("Bio"),
        description=_l(
            "A few sentences about you for your author page, up to %(max)d characters. "
            "Plain text; line breaks are kept.",
            max=BIO_MAX_LENGTH,
        ),
        filters=[normalise_bio],
        validators=[
            Length(max=BIO_MAX_LENGTH, message=_l("Keep your bio to %(max)d characters.", max=BIO_MAX_LENGTH)),
            NoControlCharacters(multiline=True),
        ],
    )
    save_bio = SubmitField(_l("Save bio"))
