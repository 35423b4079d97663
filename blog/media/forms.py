"""Media forms: the upload (a file and its alt text) and the delete confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import Length, ValidationError

from ..forms import NoControlCharacters, strip_text


class UploadForm(FlaskForm):
    image = FileField(
        _l("Image"),
        description=_l("JPEG, PNG, WebP or GIF. Location and camera data are removed."),
        validators=[FileRequired(_l("Choose a picture to upload."))],
    )
    alt = StringField(
        _l("Alt text"),
        filters=[strip_text],
        description=_l("What the picture shows, for people who can't see it."),
        validators=[Length(max=500), NoControlCharacters()],
    )
    decorative = BooleanField(
        _l("Decorative image"),
        description=_l("Only for a picture that adds nothing to the text: it needs no alt text."),
    )

    def validate_alt(self, field):
        if not field.data and not self.decorative.data:
            raise ValidationError(_l("Describe the picture, or mark it as decorative."))


class DeleteMediaForm(FlaskForm):
    confirm = BooleanField(_l("Delete it even though posts use it"))
