"""Jinja filters and globals shared by every template."""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, get_date_format, get_time_format, parse_pattern
from flask import Flask, current_app, g, request, url_for
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l

from .extensions import db
from .js_strings import js_strings
from .models import CommentStatus, MailStatus, PostStatus

POST_STATUS_LABELS = {
    PostStatus.DRAFT: _l("Draft"),
    PostStatus.SCHEDULED: _l("Scheduled"),
    PostStatus.PUBLISHED: _l("Published"),
}


def site_tagline() -> str:
    """SITE_TAGLINE, or the default one in the site's language."""
    return current_app.config["SITE_TAGLINE"] or gettext("Stories on migration, writing and everyday life")


def _iso_datetime(app: Flask):
    def iso_datetime(value) -> str:
        """Machine-readable time for <time datetime>, in the site's zone with its offset."""
        return (
            (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(_zone(app)).isoformat(timespec="minutes")
        )

    return iso_datetime


NAMED_FORMATS = ("full", "long", "medium", "short")


@lru_cache(maxsize=256)
def _date_pattern(kind: str, fmt: str, locale_name: str) -> tuple[Locale, DateTimePattern]:
    """The parsed Babel pattern of a named or custom format, once per process (not once per date shown)."""
    locale = Locale.parse(locale_name)
    if fmt in NAMED_FORMATS:
        name = cast(Literal["full", "long", "medium", "short"], fmt)
        named = get_date_format(name, locale=locale) if kind == "date" else get_time_format(name, locale=locale)
        return locale, parse_pattern(named)
    return locale, parse_pattern(fmt)


def _formatter(kind: str, app: Flask):
    """Flask-Babel's format_date/format_time with the pattern, locale and zone looked up once: the same text.

    The site has one language and one zone (no per-request selector), read from the app's settings."""

    def format_value(value, fmt: str = "long" if kind == "date" else "short") -> str:
        locale, pattern = _date_pattern(kind, fmt, app.config["BABEL_DEFAULT_LOCALE"])
        if isinstance(value, datetime):
            local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(_zone(app))
            value = local.date() if kind == "date" else local
        return pattern.apply(value, locale)

    return format_value


def _zone(app: Flask) -> ZoneInfo:
    return ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])  # ZoneInfo keeps one instance per name


def recent_posts(limit: int = 5):
    from .posts.queries import RECENT_LINKS
    from .posts.queries import recent_posts as recent_posts_query

    if limit == RECENT_LINKS and g.get("recent_posts") is not None:
        return g.recent_posts  # read by the view with other links in one query (the article page)
    return db.session.scalars(recent_posts_query(limit)).all()


def post_url(post, **values) -> str:
    from .posts.links import post_url as post_url_of

    return post_url_of(post, **values)


def post_endpoint(kind: str) -> str:
    from .posts.links import post_endpoint as endpoint_of

    return endpoint_of(kind)


def absolute_post_url(post, **values) -> str:
    return absolute_url(post_endpoint(post.kind), slug=post.slug, **values)


# The header's links as they were at a content version: valid exactly as long as that version is the
# database's (any change to pages or the navigation bumps it), so a worker keeps only a copy, never the truth.
_navigation_at_version: dict[tuple, list] = {}


def site_navigation() -> list:
    """The header's links from the navigation table: no query when this request already read the content
    version and a page of this process was made at it; else one query, however many items."""
    if "site_navigation" not in g:
        from .site_nav.queries import header_links

        state = g.get("content_state")
        if state is None:
            g.site_navigation = header_links()
        else:
            key = (current_app.config["SQLALCHEMY_DATABASE_URI"], request.script_root, state.key)
            if key not in _navigation_at_version:
                if len(_navigation_at_version) > 16:
                    _navigation_at_version.clear()
                _navigation_at_version[key] = header_links()
            g.site_navigation = _navigation_at_version[key]
    return g.site_navigation


def shorten(text: str, length: int = 90) -> str:
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "\u2026"


def absolute_url(endpoint: str, **values) -> str:
    """A full URL, on SITE_URL when it is set (behind a proxy the request's host may be internal)."""
    site_url = current_app.config.get("SITE_URL")
    if site_url:
        return site_url + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


CANONICAL_ARGS = ("page", "cpage", "q")


def canonical_url() -> str:
    """This page's address without tracking or other stray query parameters."""
    if request.endpoint is None:
        return absolute_url("posts.home")
    args = {k: v for k, v in request.args.items() if k in CANONICAL_ARGS and v not in ("", "1")}
    return absolute_url(request.endpoint, **(request.view_args or {}), **args)


def rfc3339(value) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def tag_uri(post) -> str:
    """A stable Atom id for a post (RFC 4151): it survives a changed slug or domain move of the path."""
    host = urlsplit(absolute_url("posts.home")).hostname or "localhost"
    return f"tag:{host},{post.created_at:%Y-%m-%d}:post-{post.id}"


def picture_of(media):
    """The <picture> sources of a library picture whose versions are loaded."""
    from .media.services import responsive_image

    return responsive_image(media.variants)


def share_image(post):
    from .media.services import share_image as share_image_of

    return share_image_of(post)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=_formatter("date", app),
        datetime=lambda value, fmt="medium": format_datetime(value, fmt),
        time=_formatter("time", app),
        isodatetime=_iso_datetime(app),
        shorten=shorten,
        rfc3339=rfc3339,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        recent_posts=recent_posts,
        post_url=post_url,
        post_endpoint=post_endpoint,
        absolute_post_url=absolute_post_url,
        site_navigation=site_navigation,
        absolute_url=absolute_url,
        canonical_url=canonical_url,
        tag_uri=tag_uri,
        picture_of=picture_of,
        share_image=share_image,
        js_strings=js_strings,
        post_status_label=POST_STATUS_LABELS.__getitem__,
        PostStatus=PostStatus,
        CommentStatus=CommentStatus,
        MailStatus=MailStatus,
    )

    @app.context_processor
    def site_settings():
        config = current_app.config
        return {
            "site_name": config["SITE_NAME"],
            "site_tagline": site_tagline(),
            "site_language": config["SITE_LANGUAGE"],
        }
