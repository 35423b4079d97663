"""Changing the site's settings and navigation, each change logged; the caller commits."""

from typing import Any

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload

from .. import content_version
from ..extensions import db
from ..models import Media, NavItem, SettingsChange, SiteState, User
from ..site_nav import queries as nav_queries
from ..site_settings import (
    EDITABLE,
    Picture,
    environment_settings,
    normal_colour,
    stored_value,
    with_stored,
)

# How the log names each setting (and the navigation, changed on its own page).
SETTING_LABELS = {
    "name": _l("Site name"),
    "tagline": _l("Tagline"),
    "description": _l("Description"),
    "accent": _l("Accent colour"),
    "logo": _l("Logo"),
    "favicon": _l("Favicon"),
    "footer_text": _l("Footer text"),
    "posts_per_page": _l("Posts per page"),
    "comment_moderation": _l("Comment moderation"),
    "comment_max_links": _l("Links allowed in a comment"),
    "comment_close_after_days": _l("Close comments after (days)"),
    "contact_recipients": _l("Contact form recipients"),
    "navigation": _l("Navigation"),
}
VALUE_LENGTH = 1000


def picture_for(media_id: int | None) -> Picture | None:
    """The library picture as a logo or favicon: its largest version in its own format, up to 960 px wide
    (a header logo and a tab icon need no more)."""
    if media_id is None:
        return None
    media = db.session.get(Media, media_id)
    if media is None or not media.variants:
        return None
    own = [v for v in media.variants if v.format == media.format] or list(media.variants)
    fitting = [v for v in own if v.width <= 960] or [min(own, key=lambda v: v.width)]
    chosen = max(fitting, key=lambda v: v.width)
    return Picture(media.id, f"/media/{chosen.name}", chosen.width, chosen.height, chosen.mime_type)


def shown_value(name: str, value: Any) -> str:
    """A setting's value as the log shows it."""
    if isinstance(value, Picture):
        media = db.session.get(Media, value.media_id)
        text = media.original_filename if media is not None else value.src
    elif value is None:
        text = ""
    elif isinstance(value, tuple | list):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    return text[:VALUE_LENGTH]


def log_change(user: User | None, setting: str, old: str, new: str) -> None:
    db.session.add(
        SettingsChange(
            user_id=user.id if user else None,
            setting=setting,
            old_value=old[:VALUE_LENGTH],
            new_value=new[:VALUE_LENGTH],
        )
    )


def stored_settings(lock: bool = True) -> dict:
    """The settings column as it is now; locked: the row is kept until the transaction ends (two admins
    saving at once: the second waits and starts from the first's values)."""
    query = select(SiteState.settings).where(SiteState.id == 1)
    stored = db.session.scalar(query.with_for_update() if lock else query)
    return dict(stored or {})


def save_settings(values: dict[str, Any], user: User | None) -> list[str]:
    """Apply the form's values: each that differs from the one in force is stored (or, when it equals the
    environment's, forgotten, so the site follows the environment again) and logged. The names changed."""
    defaults = environment_settings()
    stored = stored_settings()
    current = with_stored(defaults, stored)
    if "accent" in values:
        values = {**values, "accent": normal_colour(values["accent"])}
    if "logo" in values:
        values = {**values, "logo": picture_for(values["logo"])}
    if "favicon" in values:
        values = {**values, "favicon": picture_for(values["favicon"])}
    if "contact_recipients" in values:
        values = {**values, "contact_recipients": tuple(values["contact_recipients"])}
    changed = []
    for name in EDITABLE:
        if name not in values:
            continue
        new = values[name]
        old = getattr(current, name)
        if _same(old, new):
            continue
        changed.append(name)
        log_change(user, name, shown_value(name, old), shown_value(name, new))
        if _same(getattr(defaults, name), new):
            stored.pop(name, None)
        else:
            stored[name] = stored_value(new)
    if changed:
        content_version.write_settings(db.session.connection(), stored)
        content_version.changed(db.session)
    return changed


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Picture) or isinstance(b, Picture):
        return getattr(a, "media_id", None) == getattr(b, "media_id", None)
    return a == b


def forget_media(media_id: int, user: User | None) -> None:
    """A picture leaves the library: no longer the logo or the favicon (logged)."""
    if not _uses(stored_settings(lock=False), media_id):
        return  # the usual case: nothing locked
    stored = stored_settings()
    gone = [
        name
        for name in ("logo", "favicon")
        if isinstance(stored.get(name), dict) and stored[name].get("media_id") == media_id
    ]
    if not gone:
        return
    for name in gone:
        log_change(user, name, shown_value(name, Picture.from_stored(stored[name])), "")
        stored.pop(name)
    content_version.write_settings(db.session.connection(), stored)
    content_version.changed(db.session)


def _uses(stored: dict, media_id: int) -> bool:
    return any((stored.get(name) or {}).get("media_id") == media_id for name in ("logo", "favicon"))


def _forget_deleted_pictures(session: Session, flush_context, instances) -> None:
    deleted = [obj.id for obj in session.deleted if isinstance(obj, Media)]
    if not deleted or session is not db.session():
        return
    user = current_user if has_request_context() and current_user.is_authenticated else None
    for media_id in deleted:
        forget_media(media_id, user)


def register_media_hook() -> None:
    """Whoever deletes a library picture (the library, a command), a logo or favicon it was stops being one
    in the same transaction (idempotent: create_app runs once per app)."""
    if not event.contains(Session, "before_flush", _forget_deleted_pictures):
        event.listen(Session, "before_flush", _forget_deleted_pictures)


def navigation_labels() -> str:
    """The navigation as the log shows it: the links' texts in order."""
    labels = []
    for item in db.session.scalars(nav_queries.all_items()):
        labels.append(item.post.title if item.post is not None else item.label)
    return ", ".join(labels)


def add_custom_link(label: str, url: str) -> NavItem:
    item = NavItem(label=label, url=url, position=nav_queries.last_position() + 1)
    db.session.add(item)
    return item


def recent_changes(limit: int = 20) -> list[SettingsChange]:
    return list(
        db.session.scalars(
            select(SettingsChange)
            .options(joinedload(SettingsChange.user))
            .order_by(SettingsChange.changed_at.desc(), SettingsChange.id.desc())
            .limit(limit)
        )
    )
