"""Dashboard forms: the post editor, the account page and author management."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..forms import MAX_PASSWORD_LENGTH, NoControlCharacters, new_password_validators, strip_text
from ..models import CommentMail, PostKind, Role

KIND_CHOICES = [
    SelectChoice(PostKind.POST, _l("Post")),
    SelectChoice(PostKind.PAGE, _l("Page")),
]

ROLE_CHOICES = [
    SelectChoice(Role.AUTHOR, _l("Author: writes and edits their own posts")),
    SelectChoice(Role.ADMIN, _l("Admin: everything, including managing authors")),
]


def split_tag_names(text: str | None) -> list[str]:
    seen, names = set(), []
    for name in (text or "").split(","):
        name = " ".join(name.split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


class PostForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip_text],
        validators=[DataRequired(_l("Give the post a title.")), Length(max=200), NoControlCharacters()],
    )
    body = TextAreaField(
        _l("Body"),
        description=_l("Markdown: headings, lists, links, emphasis, quotes, code."),
        validators=[
            DataRequired(_l("Write the post's body.")),
            Length(max=200_000),
            NoControlCharacters(multiline=True),
        ],
    )
    excerpt = TextAreaField(
        _l("Excerpt"),
        filters=[strip_text],
        description=_l("Optional: taken from the start of the body when left empty."),
        validators=[Optional(), Length(max=300), NoControlCharacters(multiline=True)],
    )
    tags = StringField(
        _l("Tags"),
        filters=[strip_text],
        description=_l("Comma separated, e.g. Travel, Diary"),
        validators=[Optional(), Length(max=500), NoControlCharacters()],
    )
    slug = StringField(
        _l("Slug"),
        filters=[strip_text],
        description=_l("Optional: the address of the post, taken from the title when empty."),
        validators=[Optional(), Length(max=200), NoControlCharacters()],
    )
    kind = RadioField(
        _l("Type"),
        choices=KIND_CHOICES,
        default=PostKind.POST,
        description=_l(
            "A post is dated and listed on the home page, in the archive, tags and feeds. A page (such as "
            "\u201cAbout\u201d) lives at its own address, /slug, and is found by search, never listed."
        ),
    )
    in_navigation = BooleanField(
        _l("Show in navigation"),
        description=_l("Pages only: a link to the page in the header of every page, while the page is live."),
    )
    # Choices are the library's pictures, set by the view (admin/views.py featured_choices).
    featured_media = SelectField(
        _l("Featured image"),
        choices=[],
        default="",
        description=_l("Shown above the title, on the home page and in link previews."),
    )
    featured_alt = StringField(
        _l("Featured image alt text"),
        filters=[strip_text],
        description=_l(
            "Optional: describes the picture for people who can't see it; "
            "the alt text from the media library is used when empty."
        ),
        validators=[Optional(), Length(max=500), NoControlCharacters()],
    )
    publish_at = DateTimeLocalField(
        _l("Publish at"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
        description=_l("Optional: a future time schedules the post."),
    )
    save_draft = SubmitField(_l("Save draft"))
    preview = SubmitField(_l("Preview"))
    publish = SubmitField(_l("Publish"))
    update = SubmitField(_l("Update"))
    unpublish = SubmitField(_l("Unpublish"))
    # "Upload image": the picture goes to the media library and its Markdown to the end of the body.
    image = FileField(_l("Image"), description=_l("JPEG, PNG, WebP or GIF. Location and camera data are removed."))
    image_alt = StringField(
        _l("Alt text for the image"),
        filters=[strip_text],
        description=_l("What the picture shows, for people who can't see it."),
        validators=[Length(max=500), NoControlCharacters()],
    )
    image_decorative = BooleanField(
        _l("Decorative image"),
        description=_l("Only for a picture that adds nothing to the text: it needs no alt text."),
    )
    upload = SubmitField(_l("Upload image"))

    def upload_is_valid(self) -> bool:
        """Checks the upload's own fields only: a picture may go in before the post has a title."""
        fields = [self.image, self.image_alt, self.image_decorative]
        if self.meta.csrf:
            fields.insert(0, self["csrf_token"])
        valid = all([field.validate(self) for field in fields])
        if not self.image.data:
            self.image.errors.append(_l("Choose a picture to upload."))
            valid = False
        if not self.image_alt.data and not self.image_decorative.data:
            self.image_alt.errors.append(_l("Describe the picture, or mark it as decorative."))
            valid = False
        return valid

    def validate_tags(self, field):
        if any(len(name.strip()) > 50 for name in (field.data or "").split(",")):
            raise ValidationError(_l("Each tag can have at most 50 characters."))

    def validate_publish_at(self, field):
        if field.data is not None and not 1970 <= field.data.year <= 2999:
            raise ValidationError(_l("Choose a year between 1970 and 2999."))

    def tag_names(self) -> list[str]:
        return split_tag_names(self.tags.data)

    def featured_media_id(self) -> int | None:
        return int(self.featured_media.data) if (self.featured_media.data or "").isdigit() else None

    def publish_at_utc(self) -> datetime | None:
        """The "Publish at" time, typed in the site's time zone, as an aware datetime."""
        if self.publish_at.data is None:
            return None
        zone = ZoneInfo(current_app.config["SITE_TIMEZONE"])
        return self.publish_at.data.replace(tzinfo=zone)

    def action(self) -> str:
        for name in ("preview", "publish", "update", "unpublish", "save_draft"):
            if getattr(self, name).data:
                return name
        return "save_draft"


class AutosaveForm(FlaskForm):
    """The editor's text as the autosave sends it: like PostForm, but half-written (no title yet) is fine."""

    title = StringField(filters=[strip_text], validators=[Length(max=200), NoControlCharacters()])
    body = TextAreaField(validators=[Length(max=200_000), NoControlCharacters(multiline=True)])
    excerpt = TextAreaField(filters=[strip_text], validators=[Length(max=300), NoControlCharacters(multiline=True)])
    tags = StringField(filters=[strip_text], validators=[Length(max=500), NoControlCharacters()])

    def validate_body(self, field):
        if not (field.data or "").strip() and not self.title.data:
            raise ValidationError(_l("Nothing to save yet."))

    def validate_tags(self, field):
        PostForm.validate_tags(self, field)

    def tag_names(self) -> list[str]:
        return split_tag_names(self.tags.data)


class AccountForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter your name.")), Length(max=100), NoControlCharacters()],
    )
    email = EmailField(
        _l("Email"), filters=[strip_text], validators=[DataRequired(_l("Enter your email.")), Length(max=254), Email()]
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("Leave empty to keep your password."),
        validators=[Optional()] + new_password_validators(),
    )
    confirm_password = PasswordField(
        _l("Repeat new password"), validators=[EqualTo("new_password", _l("The new passwords do not match."))]
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password to save changes.")), Length(max=MAX_PASSWORD_LENGTH)],
    )
    submit = SubmitField(_l("Save changes"))


class AuthorForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter a name.")), Length(max=100), NoControlCharacters()],
    )
    email = EmailField(
        _l("Email"), filters=[strip_text], validators=[DataRequired(_l("Enter an email.")), Length(max=254), Email()]
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.AUTHOR)
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(_l("Set an initial password."))] + new_password_validators()
    )
    submit = SubmitField(_l("Add author"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Set a new password."))] + new_password_validators()
    )
    submit = SubmitField(_l("Reset password"))


class LivePreviewForm(FlaskForm):
    """The editor's body as its script sends it for the live preview (the CSRF token in X-CSRFToken)."""

    body = TextAreaField(validators=[Length(max=200_000), NoControlCharacters(multiline=True)])


COMMENT_MAIL_CHOICES = [
    SelectChoice(CommentMail.EVERY, _l("Every new comment on my posts")),
    SelectChoice(CommentMail.PENDING, _l("Comments waiting for moderation")),
    SelectChoice(CommentMail.NONE, _l("None")),
]


class CommentMailForm(FlaskForm):
    """The account page's own small form: which new comments on the author's posts come by mail."""

    comment_mail = RadioField(
        _l("Email me about comments"),
        choices=COMMENT_MAIL_CHOICES,
        default=CommentMail.PENDING,
        validators=[DataRequired(_l("Choose which comments to hear about."))],
    )
    save_notifications = SubmitField(_l("Save notification choice"))
