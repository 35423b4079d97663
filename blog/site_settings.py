"""The site's settings as readers and mails see them: the one accessor, `site_settings()` (`site` in templates).

Each setting is what the owner chose on /admin/settings when there is a value for it in site_state's
`settings` column, else its environment variable (blog/config.py). The column is read in the same query as
the content version (content_version.py), so a change shows on every worker and host on their next
request, and pages cached at the old version are never served again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError

from . import content_version

COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
MODERATION_MODES = ("first-time", "all", "none")
POSTS_PER_PAGE_RANGE = (1, 100)


@dataclass(frozen=True)
class Picture:
    """A library picture chosen as the logo or the favicon: what a page needs to show it, kept with the
    setting so that no page reads the media tables for it."""

    media_id: int
    src: str
    width: int
    height: int
    mime_type: str

    @classmethod
    def from_stored(cls, value: Any) -> Picture | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                media_id=int(value["media_id"]),
                src=str(value["src"]),
                width=int(value["width"]),
                height=int(value["height"]),
                mime_type=str(value["mime_type"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def stored(self) -> dict:
        return {
            "media_id": self.media_id,
            "src": self.src,
            "width": self.width,
            "height": self.height,
            "mime_type": self.mime_type,
        }


@dataclass(frozen=True)
class SiteSettings:
    """Every setting the dashboard can change, with the value in force now."""

    name: str
    tagline: str
    description: str
    accent: str
    footer_text: str
    posts_per_page: int
    comment_moderation: str
    comment_max_links: int
    comment_close_after_days: int
    contact_recipients: tuple[str, ...]
    logo: Picture | None = None
    favicon: Picture | None = None
    # The names of the settings set on the dashboard (the others follow the environment).
    overridden: frozenset[str] = field(default=frozenset())

    @property
    def meta_description(self) -> str:
        """What search engines and link previews show for the site: the description, else the tagline."""
        return self.description or self.tagline

    @property
    def theme_version(self) -> str:
        """The theme stylesheet's URL carries this: it changes when the accent colour does, and only then."""
        return hashlib.sha256(self.accent.encode()).hexdigest()[:10]


# Settings whose stored value is a plain str or int; the pictures and the recipients are converted.
_TEXT = ("name", "tagline", "description", "accent", "footer_text", "comment_moderation")
_NUMBERS = ("posts_per_page", "comment_max_links", "comment_close_after_days")
EDITABLE = (*_TEXT, *_NUMBERS, "contact_recipients", "logo", "favicon")


def split_addresses(value: str | None) -> tuple[str, ...]:
    """Addresses written one per line or separated by commas."""
    return tuple(part.strip() for part in re.split(r"[,\n]", value or "") if part.strip())


def normal_colour(value: str) -> str:
    """#abc and #AABBCC as #aabbcc."""
    value = value.strip().lower()
    if len(value) == 4:
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value


def default_tagline() -> str:
    """The tagline when SITE_TAGLINE is unset: the demo's, in the site's language."""
    return gettext("Stories on migration, writing and everyday life")


def environment_settings() -> SiteSettings:
    """The settings as the environment (blog/config.py, and a test's overrides) gives them."""
    config = current_app.config
    return SiteSettings(
        name=config["SITE_NAME"] or "",
        tagline=config["SITE_TAGLINE"] or default_tagline(),
        description=config["SITE_DESCRIPTION"] or "",
        accent=normal_colour(config["SITE_ACCENT"]),
        footer_text=config["SITE_FOOTER_TEXT"] or "",
        posts_per_page=config["POSTS_PER_PAGE"],
        comment_moderation=config["COMMENT_MODERATION"],
        comment_max_links=config["COMMENT_MAX_LINKS"],
        comment_close_after_days=config["COMMENT_CLOSE_AFTER_DAYS"],
        contact_recipients=split_addresses(config["CONTACT_RECIPIENT"]),
    )


def with_stored(defaults: SiteSettings, stored: dict | None) -> SiteSettings:
    """The environment's settings with the dashboard's on top; a stored value of the wrong kind is ignored."""
    if not stored:
        return defaults
    values: dict[str, Any] = {}
    for name in _TEXT:
        if isinstance(stored.get(name), str):
            values[name] = stored[name]
    for name in _NUMBERS:
        if isinstance(stored.get(name), int) and not isinstance(stored.get(name), bool):
            values[name] = stored[name]
    if isinstance(stored.get("contact_recipients"), list):
        values["contact_recipients"] = tuple(str(address) for address in stored["contact_recipients"])
    for name in ("logo", "favicon"):
        if name in stored:
            values[name] = Picture.from_stored(stored[name])
    if values.get("comment_moderation", defaults.comment_moderation) not in MODERATION_MODES:
        values.pop("comment_moderation")
    if "accent" in values:
        if COLOUR.fullmatch(values["accent"]):
            values["accent"] = normal_colour(values["accent"])
        else:
            values.pop("accent")
    return replace(defaults, **values, overridden=frozenset(values))


def stored_value(value: Any) -> Any:
    """A setting's value as the settings column keeps it (JSON)."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Picture):
        return value.stored()
    return value


def site_settings() -> SiteSettings:
    """The settings in force for this request (read at most once per request, with the content version).

    Outside a request (the mail sender, the CLI) each call reads them afresh: a long-running sender sees
    a change on its next mail.
    """
    if has_request_context() and "site_settings" in g:
        return g.site_settings
    defaults = environment_settings()
    if g.get("settings_without_database"):
        return defaults
    state = g.get("content_state") if has_request_context() else None
    if state is None:
        try:
            state = content_version.read_state()
        except SQLAlchemyError:
            if has_request_context():
                # The session is left usable (the pool has replaced a dead connection), and the page is the
                # database error's (503), never one made with the wrong settings or a second error.
                from .extensions import db

                db.session.rollback()
                raise
            current_app.logger.warning("site settings unreadable: the environment's are used", exc_info=True)
            return defaults
        if has_request_context() and state is not None and "content_state" not in g:
            # The header's navigation, read once per content version, keys on this too.
            g.content_state = state
    settings = with_stored(defaults, state.settings if state is not None else None)
    if has_request_context():
        g.site_settings = settings
    return settings


def without_database() -> None:
    """This request's pages use the settings already read, else the environment's: for error pages
    that must render when the database is the fault."""
    g.settings_without_database = True


def field_names() -> list[str]:
    return [f.name for f in fields(SiteSettings) if f.name != "overridden"]
