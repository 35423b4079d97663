"""The comment form (anonymous, stateless token) and the moderation forms (behind login)."""

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import Field, Label
from wtforms.validators import DataRequired, Email, Length

from ..forms import INVALID_EMAIL, NoControlCharacters, NoEncodedWords, parse_id, strip_text
from ..public_forms import PublicForm, new_token

MAX_COMMENT_LENGTH = 5000


class CommentForm(PublicForm):
    form_name = "comment"

    name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter your name.")), Length(max=80), NoControlCharacters(), NoEncodedWords()],
    )
    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        description=_l("Never shown publicly."),
        validators=[
            DataRequired(_l("Enter your email.")),
            Length(max=254),
            Email(INVALID_EMAIL, allow_smtputf8=False),
            NoEncodedWords(),
        ],
    )
    body = TextAreaField(
        _l("Comment"),
        filters=[strip_text],
        description=_l(
            "Plain text with a little Markdown: *emphasis*, `code`, > quotes, lists and [links](https://example.com)."
        ),
        validators=[
            DataRequired(_l("Write a comment.")),
            Length(max=MAX_COMMENT_LENGTH, message=_l("Keep it under %(max)d characters.", max=MAX_COMMENT_LENGTH)),
            NoControlCharacters(multiline=True),
        ],
    )
    notify = BooleanField(
        _l("Email me when someone replies"),
        description=_l("First we send you a link to confirm. Every mail has a link to stop them."),
    )
    parent_id = HiddenField()
    submit = SubmitField(_l("Post comment"))

    def parent_id_value(self) -> int | None:
        return parse_id(self.parent_id.data)


class ShownField:
    """What comments/_section.html reads of a field of the comment form that nobody has filled in yet."""

    __slots__ = ("id", "label", "flags", "description", "errors", "data")
    id: str
    label: Label
    description: str
    flags: Any

    def __init__(self, field: "Field | ShownField", data=None) -> None:
        self.id = field.id
        self.label = Label(field.id, str(field.label.text))  # in the site's one language
        self.flags = field.flags
        self.description = str(field.description)
        self.errors: tuple = ()
        self.data = data

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class BlankCommentForm:
    """The comment form under an article before anyone types, for the article's GET: the same fields,
    labels and limits as CommentForm, read from one CommentForm per process and language (building the
    WTForms form, eight field objects, was a fortieth of a cold article). A form sent back is a
    CommentForm, with what was typed and its errors."""

    form_name = CommentForm.form_name

    def __init__(self) -> None:
        known = current_app.extensions.setdefault("blog.blank_comment_form", {})
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
        fields = known.get(language)
        if fields is None:
            form = CommentForm(formdata=None)
            fields = known[language] = {field.name: ShownField(field, field.data) for field in form}
        for name, field in fields.items():
            setattr(self, name, field)
        # What differs per page: the token and the comment replied to.
        self.token = ShownField(fields["token"])
        self.parent_id = ShownField(fields["parent_id"])

    def issue_token(self, key: str | int) -> None:
        self.token.data = new_token(self.form_name, key)


class CommentEditForm(PublicForm):
    form_name = "comment-edit"

    body = TextAreaField(
        _l("Comment"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Write a comment.")),
            Length(max=MAX_COMMENT_LENGTH),
            NoControlCharacters(multiline=True),
        ],
    )
    submit = SubmitField(_l("Save"))


class CommentDeleteForm(PublicForm):
    form_name = "comment-delete"
    submit = SubmitField(_l("Delete"))


class BulkModerationForm(FlaskForm):
    action = SelectField(
        _l("With the selected comments"),
        choices=[
            SelectChoice("approve", _l("Approve")),
            SelectChoice("spam", _l("Spam")),
            SelectChoice("delete", _l("Delete")),
        ],
    )
    status = HiddenField()
    submit = SubmitField(_l("Apply"))


class ConfirmRepliesForm(PublicForm):
    """The button behind a confirmation link: mail scanners open links, only a person presses it."""

    form_name = "confirm-replies"
    submit = SubmitField(_l("Confirm"))


class UnsubscribeForm(PublicForm):
    form_name = "unsubscribe"
    thread = SubmitField(_l("Unsubscribe from this conversation"))
    everything = SubmitField(_l("Unsubscribe from everything"))
    resume = SubmitField(_l("Send me reply mails again"))
