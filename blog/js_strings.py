"""The words blog/static/js/ shows, translated on the server and served in the page as JSON.

A page that loads a script carries `<script type="application/json" id="i18n">` (not executed, so the CSP
allows it) with the groups that script needs; the script reads it instead of hard-coding English.
"""

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l

from .forms import plural_message

GROUPS = {
    "comments": {
        "reply_to": _l("Reply to %(name)s"),
        "leave_comment": _l("Leave a comment"),
        "cancel_reply": _l("Cancel reply"),
    },
    "autosave": {
        "kept_at": _l("Unsaved changes kept at %(time)s."),
        "not_kept": _l("Could not keep a copy of your changes just now; they are still here in the editor."),
    },
    "editor": {
        "formatting": _l("Formatting"),
        "bold": _l("Bold (Ctrl+B)"),
        "bold_button": _l("B"),
        "bold_text": _l("bold text"),
        "italic": _l("Italic (Ctrl+I)"),
        "italic_button": _l("I"),
        "italic_text": _l("italic text"),
        "heading": _l("Heading"),
        "heading_button": _l("H"),
        "link": _l("Link (Ctrl+K)"),
        "link_button": _l("Link"),
        "link_text": _l("link text"),
        "list": _l("Bulleted list"),
        "list_button": _l("List"),
        "quote": _l("Quote"),
        "code": _l("Code"),
        "code_text": _l("code"),
        "image": _l("Image: upload a picture and insert it"),
        "image_button": _l("Image"),
        "words": plural_message("%(num)d word", "%(num)d words"),
        "minutes": plural_message("%(num)d min read", "%(num)d min read"),
        "live_preview": _l("Live preview"),
        "no_preview": _l("The preview is not available just now."),
        "describe_image": _l("Describe the image"),
        "alt_text": _l("Alt text for the image"),
        "alt_help": _l("What the picture shows, for people who can't see it."),
        "decorative": _l("Decorative image"),
        "insert_image": _l("Insert image"),
        "cancel": _l("Cancel"),
        "describe_or_decorative": _l("Describe the picture, or mark it as decorative."),
        "pasted_image": _l("Pasted image"),
        "uploading": _l("Uploading %(name)s…"),
        "the_image": _l("the image"),
        "upload_failed": _l("The upload failed."),
        "inserted": _l("The image is inserted. The post is not saved yet."),
    },
}


def js_strings(*groups: str) -> dict:
    """The named groups, translated; a plural is [form for 1, form for 2] with %(num)d left for the script."""
    translations = get_translations()
    strings: dict = {}
    for group in groups:
        for key, text in GROUPS[group].items():
            if isinstance(text, tuple):
                strings[key] = [translations.ungettext(*text, n) for n in (1, 2)]
            else:
                strings[key] = str(text)
    return strings
