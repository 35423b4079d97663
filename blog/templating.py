"""Jinja filters and globals shared by every template."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Literal, TypeVar, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, get_date_format, get_time_format, parse_pattern
from flask import Flask, current_app, g, request, url_for
from flask_babel import format_datetime, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import Template

from .extensions import db
from .js_strings import js_strings
from .models import CommentStatus, MailStatus, PostStatus
from .site_settings import site_settings

POST_STATUS_LABELS = {
    PostStatus.DRAFT: _l("Draft"),
    PostStatus.SCHEDULED: _l("Scheduled"),
    PostStatus.PUBLISHED: _l("Published"),
}


# Texts of dates and times already shown, by value, format, language and zone: formatted once per distinct
# value (a page shows the same comment times at every render); bounded, and valid forever (pure functions).
_TEXTS_KEPT = 8192


def remembered(texts: dict, key, make) -> str:
    """texts[key], made by make() the first time; the dict is emptied when it holds _TEXTS_KEPT texts."""
    text = texts.get(key)
    if text is None:
        if len(texts) >= _TEXTS_KEPT:
            texts.clear()
        text = texts[key] = make()
    return text


def _iso_datetime(app: Flask):
    texts: dict = {}

    def iso_datetime(value) -> str:
        """Machine-readable time for <time datetime>, in the site's zone with its offset."""
        zone = _zone(app)
        return remembered(
            texts,
            (value, zone),
            lambda: (
                (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone).isoformat(timespec="minutes")
            ),
        )

    return iso_datetime


NAMED_FORMATS = ("full", "long", "medium", "short")


# What each Babel pattern field reads of a date or time, for the fields whose text that alone decides.
# Fields not listed (time zones, day of year, week numbers, flexible day periods ...) go to Babel each time.
_FIELD_READS = {
    "y": ("year",),
    "M": ("month",),
    "L": ("month",),
    "d": ("day",),
    "E": ("year", "month", "day"),  # the weekday
    "e": ("year", "month", "day"),
    "c": ("year", "month", "day"),
    "a": ("hour",),
    "h": ("hour",),
    "H": ("hour",),
    "K": ("hour",),
    "k": ("hour",),
    "m": ("minute",),
    "s": ("second",),
}
_KNOWN_TEXTS_KEPT = 4096


class CompiledPattern:
    """A parsed Babel pattern whose text is Babel's own, `pattern.apply(value, locale)`, worked out once per
    distinct value of what the pattern shows (a date pattern once per day, "h:mm a" once per minute of the
    day) and looked up after: a page of comments shows a hundred dates and times."""

    def __init__(self, pattern: DateTimePattern, locale: Locale):
        self.pattern, self.locale = pattern, locale
        reads: set[str] = set()
        for name in re.findall(r"%\(([^)]+)\)s", cast(str, pattern.format)):
            if name[0] not in _FIELD_READS:
                self.key = None
                break
            reads.update(_FIELD_READS[name[0]])
        else:
            self.key = attrgetter(*sorted(reads)) if reads else (lambda value: None)
        self.known: dict = {}

    def apply(self, value) -> str:
        if self.key is None:
            return self.pattern.apply(value, self.locale)
        key = self.key(value)
        text = self.known.get(key)
        if text is None:
            if len(self.known) >= _KNOWN_TEXTS_KEPT:
                self.known.clear()
            text = self.known[key] = self.pattern.apply(value, self.locale)
        return text


@lru_cache(maxsize=256)
def _date_pattern(kind: str, fmt: str, locale_name: str) -> CompiledPattern:
    """The parsed Babel pattern of a named or custom format, once per process (not once per date shown)."""
    locale = Locale.parse(locale_name)
    if fmt in NAMED_FORMATS:
        name = cast(Literal["full", "long", "medium", "short"], fmt)
        named = get_date_format(name, locale=locale) if kind == "date" else get_time_format(name, locale=locale)
        return CompiledPattern(parse_pattern(named), locale)
    return CompiledPattern(parse_pattern(fmt), locale)


def _formatter(kind: str, app: Flask):
    """Flask-Babel's format_date/format_time with the pattern, locale and zone looked up once: the same text.

    The site has one language and one zone (no per-request selector), read from the app's settings."""

    texts: dict = {}

    def format_value(value, fmt: str = "long" if kind == "date" else "short") -> str:
        locale, zone = app.config["BABEL_DEFAULT_LOCALE"], _zone(app)
        return remembered(texts, (value, fmt, locale, zone), lambda: formatted(value, fmt, locale, zone))

    def formatted(value, fmt: str, locale: str, zone: ZoneInfo) -> str:
        pattern = _date_pattern(kind, fmt, locale)
        if isinstance(value, datetime):
            local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
            value = local.date() if kind == "date" else local
        return pattern.apply(value)

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


# What every page shows of the whole site (the header's links, the sidebar's tags and months) as it was at a
# content version: valid exactly as long as that version is the database's (any change to what readers see
# bumps it), so a worker keeps only a copy, never the truth.
_at_version: dict[tuple, object] = {}
T = TypeVar("T")


def _read_at_content_version(name: str, read: Callable[[], T]) -> T:
    """`read()` once per request: no query when this request already read the content version and a page of
    this process was made at it; else `read()`'s queries, however many items."""
    if name not in g:
        state = g.get("content_state")
        if state is None:
            setattr(g, name, read())
        else:
            config = current_app.config
            key = (
                name,
                config["SQLALCHEMY_DATABASE_URI"],
                config["BABEL_DEFAULT_LOCALE"],
                request.script_root,
                state.key,
            )
            if key not in _at_version:
                while len(_at_version) >= 32:  # the oldest first: entries of past versions go, not the live ones
                    del _at_version[next(iter(_at_version))]
                _at_version[key] = read()
            setattr(g, name, _at_version[key])
    return cast(T, g.get(name))


def site_navigation() -> list:
    """The header's links from the navigation table (one query when they are read at all)."""
    from .site_nav.queries import header_links

    return _read_at_content_version("site_navigation", header_links)


SIDEBAR_MONTHS = 12


@dataclass(frozen=True)
class SiteTopics:
    """The sidebar's view of the whole blog: its most used tags and its months, with their post counts,
    and their links and month names made once per content version (not per item on every page)."""

    tags: list[tuple[str, str, int]]  # (name, href, posts), the most used first
    months: list[tuple[str, str, int]]  # (month's name, href, posts) of the newest SIDEBAR_MONTHS
    month_count: int
    total: int  # posts in every month
    since: date | None  # the first day of the oldest month


def _read_topics() -> SiteTopics:
    from .posts.queries import archive_months, tag_counts

    month_name = current_app.jinja_env.filters["date"]
    months = archive_months()
    tags = cast(list[tuple[str, str, int]], db.session.execute(tag_counts()).all())
    return SiteTopics(
        tags=[(name, url_for("posts.tag", slug=slug), count) for name, slug, count in tags],
        months=[
            (month_name(first, "MMMM yyyy"), url_for("posts.month", year=first.year, month=first.month), count)
            for first, count in months[:SIDEBAR_MONTHS]
        ],
        month_count=len(months),
        total=sum(count for _, count in months),
        since=months[-1][0] if months else None,
    )


def site_topics() -> SiteTopics:
    """The sidebar's tags and months: two aggregate queries at a new content version, none after."""
    return _read_at_content_version("site_topics", _read_topics)


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


class BlogTemplate(Template):
    """Jinja's Template, with `{% from ... import ... %}` made cheap: the article page imports macros four
    times, and each import compared every global name against the imported template's ChainMap of globals
    in Python (`any()` over its maps, 40-odd names). Here the names are compared as one set operation; the
    result, and so which module is used, is the same as Jinja's."""

    def _get_default_module(self, ctx=None):
        if self.environment.is_async or (ctx is not None and not ctx.globals_keys.issubset(set(self.globals))):
            return super()._get_default_module(ctx)  # names this template lacks: Jinja makes a module of its own
        if self._module is None:
            self._module = self.make_module()
        return self._module


def init_app(app: Flask) -> None:
    app.jinja_env.template_class = BlogTemplate  # before any template is loaded
    app.jinja_env.filters.update(
        date=_formatter("date", app),
        datetime=lambda value, fmt="medium": format_datetime(value, fmt),
        time=_formatter("time", app),
        isodatetime=_iso_datetime(app),
        shorten=shorten,
        rfc3339=rfc3339,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    # The site speaks one language (SITE_LANGUAGE): templates read its catalogue directly, not through
    # Flask-Babel's per-call look-up of the context, the locale and the domain (dozens of calls a page).
    with app.app_context():
        app.jinja_env.install_gettext_translations(get_translations(), newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.globals.update(
        recent_posts=recent_posts,
        post_url=post_url,
        post_endpoint=post_endpoint,
        absolute_post_url=absolute_post_url,
        site_navigation=site_navigation,
        site_topics=site_topics,
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
    def site_context():
        site = site_settings()
        return {
            "site": site,
            "site_language": current_app.config["SITE_LANGUAGE"],
        }
