"""The settings form and the navigation's custom link form."""

from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..forms import NoControlCharacters, NoEncodedWords, strip_text
from ..site_settings import COLOUR, POSTS_PER_PAGE_RANGE, split_addresses

MODERATION_CHOICES = [
    SelectChoice("first-time", _l("Hold a commenter's first comment; later ones appear at once")),
    SelectChoice("all", _l("Hold every comment until it is approved")),
    SelectChoice("none", _l("Publish every comment at once")),
]
MAX_RECIPIENTS = 10


class Colour:
    def __call__(self, form, field):
        if not COLOUR.fullmatch((field.data or "").strip()):
            raise ValidationError(_l("Enter a colour as # and 6 (or 3) hexadecimal digits, like #0b5cad."))


class Recipients:
    """Each address valid (its domain is not looked up: the site may run offline)."""

    def __call__(self, form, field):
        addresses = split_addresses(field.data)
        if len(addresses) > MAX_RECIPIENTS:
            raise ValidationError(_l("Give at most %(num)d addresses.", num=MAX_RECIPIENTS))
        for address in addresses:
            try:
                validate_email(address, check_deliverability=False)
            except EmailNotValidError:
                raise ValidationError(
                    _l("“%(address)s” is not an email address: write one like name@example.com.", address=address)
                ) from None


class SettingsForm(FlaskForm):
    name = StringField(
        _l("Site name"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Give the site a name.")),
            Length(max=100),
            NoControlCharacters(),
            NoEncodedWords(),
        ],
    )
    tagline = StringField(
        _l("Tagline"),
        description=_l("A short line under the site's name."),
        filters=[strip_text],
        validators=[Length(max=200), NoControlCharacters()],
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("What search engines and link previews show for the site; the tagline when empty."),
        filters=[strip_text],
        validators=[Length(max=300), NoControlCharacters(multiline=True)],
    )
    accent = StringField(
        _l("Accent colour"),
        description=_l(
            "Links, buttons and focus rings, like #0b5cad. Made darker or lighter where needed so text stays readable."
        ),
        filters=[strip_text],
        validators=[InputRequired(_l("Choose an accent colour.")), Colour()],
    )
    logo = SelectField(_l("Logo"), description=_l("A picture from the media library, shown before the site's name."))
    favicon = SelectField(
        _l("Favicon"), description=_l("The small picture in browser tabs: a square picture from the media library.")
    )
    footer_text = TextAreaField(
        _l("Footer text"),
        description=_l("Plain text at the bottom of every page, such as a licence or a line about you."),
        filters=[strip_text],
        validators=[Length(max=500), NoControlCharacters(multiline=True)],
    )
    posts_per_page = IntegerField(
        _l("Posts per page"),
        description=_l("On the home page, the archive, tag, author and search pages, and the feeds."),
        validators=[
            InputRequired(_l("Give a number of posts per page.")),
            NumberRange(
                *POSTS_PER_PAGE_RANGE,
                message=_l("Give a number from %(min)d to %(max)d.", min=POSTS_PER_PAGE_RANGE[0], max=100),
            ),
        ],
    )
    comment_moderation = SelectField(_l("Comment moderation"), choices=MODERATION_CHOICES)
    comment_max_links = IntegerField(
        _l("Links allowed in a comment"),
        description=_l("A comment with more links waits for a moderator."),
        validators=[
            InputRequired(_l("Give a number of links.")),
            NumberRange(0, 50, message=_l("Give a number from %(min)d to %(max)d.", min=0, max=50)),
        ],
    )
    comment_close_after_days = IntegerField(
        _l("Close comments after (days)"),
        description=_l("Days after a post is published; 0 keeps comments open."),
        validators=[
            InputRequired(_l("Give a number of days.")),
            NumberRange(0, 36500, message=_l("Give a number from %(min)d to %(max)d.", min=0, max=36500)),
        ],
    )
    contact_recipients = TextAreaField(
        _l("Contact form recipients"),
        description=_l("Email addresses, one per line or separated by commas; when empty, every active admin."),
        filters=[strip_text],
        validators=[Length(max=2000), NoControlCharacters(multiline=True), NoEncodedWords(), Recipients()],
    )


def is_link_target(url: str) -> bool:
    """An http(s) address with a host, or a path on this site: never javascript:, data: or another scheme."""
    if url.startswith("/"):
        return not url.startswith(("//", "/\\")) and "\\" not in url
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "\\" not in url


class LinkTarget:
    def __call__(self, form, field):
        url = field.data or ""
        if any(ord(ch) < 33 or ord(ch) == 127 for ch in url) or not is_link_target(url):
            raise ValidationError(
                _l("Give an address starting with https://, http:// or / (a page of this site), without spaces.")
            )


class CustomLinkForm(FlaskForm):
    label = StringField(
        _l("Link text"),
        filters=[strip_text],
        validators=[DataRequired(_l("Give the link a text.")), Length(max=200), NoControlCharacters()],
    )
    url = StringField(
        _l("Address"),
        description=_l("https://… for another site, or a path of this site such as /tags/travel."),
        filters=[strip_text],
        validators=[DataRequired(_l("Give the link an address.")), Length(max=500), LinkTarget()],
    )
