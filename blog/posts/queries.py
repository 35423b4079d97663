"""Named queries for what readers may see; each returns a select() or a plain value."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, literal, select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Media, Post, PostKind, Redirect, Tag, UTCDateTime
from .links import post_url


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SITE_TIMEZONE"])


def listing_loads(with_tags: bool = False) -> tuple:
    """What a page shows of each post, loaded with the posts: the author and the featured picture with its
    versions (and the tags, for the pages that show them: the article and the feed; listing cards do not).

    The versions come in one more query for the whole page, and only when a post on it has a picture.
    """
    loads = [joinedload(Post.author), joinedload(Post.featured_media).selectinload(Media.variants)]
    if with_tags:
        loads.append(selectinload(Post.tags))
    return tuple(loads)


def published_posts(with_tags: bool = False) -> Select:
    """Visible posts, newest first, with what the page shows loaded up front (see listing_loads)."""
    return (
        select(Post)
        .where(Post.is_listed())
        .options(*listing_loads(with_tags))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def recent_posts(limit: int = 5) -> Select:
    return select(Post).where(Post.is_listed()).order_by(Post.published_at.desc(), Post.id.desc()).limit(limit)


def tag_by_slug(slug: str) -> Select:
    return select(Tag).where(Tag.slug == slug.lower())


def post_by_slug(slug: str) -> Select:
    """A listed article (not a page) by its slug."""
    return published_posts(with_tags=True).where(Post.slug == slug)


def visible_post_by_slug(slug: str) -> Select:
    """An article or a page readers may see, by its slug: what /posts/<slug>, /<slug> and the comment
    routes look up (a page's comments are posted and fed like an article's)."""
    return select(Post).where(Post.is_visible(), Post.slug == slug).options(*listing_loads(with_tags=True))


def visible_post(post_id: int) -> Select:
    """An article or a page readers may see, by id (comment permalinks and the commenter's own edits)."""
    return select(Post).where(Post.is_visible(), Post.id == post_id).options(*listing_loads())


def posts_tagged(tag: Tag) -> Select:
    return published_posts().where(Post.tags.any(Tag.id == tag.id))


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next, in the site's time zone."""
    zone = site_zone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def posts_in_month(year: int, month: int) -> Select:
    start, end = month_bounds(year, month)
    return published_posts().where(Post.published_at >= start, Post.published_at < end)


def archive_months() -> list[tuple[date, int]]:
    """(first day of the month, count) for every month with visible posts, newest first.

    Grouped in Python so months follow the site's time zone on every database; one
    narrow query over a single indexed column.
    """
    zone = site_zone()
    counts: dict[tuple[int, int], int] = {}
    for published_at in db.session.scalars(select(Post.published_at).where(Post.is_listed())):
        assert published_at is not None  # a visible post has been published
        local = published_at.astimezone(zone)
        counts[(local.year, local.month)] = counts.get((local.year, local.month), 0) + 1
    return [(date(y, m, 1), n) for (y, m), n in sorted(counts.items(), reverse=True)]


def neighbours(post: Post) -> tuple[Post | None, Post | None]:
    """The articles published just before and just after this one (ties broken by id); a page has none."""
    if post.kind == PostKind.PAGE:
        return None, None
    key, here = tuple_(Post.published_at, Post.id), tuple_(literal(post.published_at, UTCDateTime), post.id)
    older = db.session.scalars(
        select(Post).where(Post.is_listed(), key < here).order_by(Post.published_at.desc(), Post.id.desc()).limit(1)
    ).first()
    newer = db.session.scalars(
        select(Post).where(Post.is_listed(), key > here).order_by(Post.published_at, Post.id).limit(1)
    ).first()
    return older, newer


def redirect_for_path(path: str) -> str | None:
    """Where an old path now lives, if it is in the redirect table and its post is visible."""
    if "\x00" in path:  # PostgreSQL refuses NUL in text, and no stored path has one
        return None
    post = db.session.scalars(
        select(Post)
        .join(Redirect, Redirect.post_id == Post.id)
        .where(Redirect.old_path == path[:500], Post.is_visible())
    ).first()
    return post_url(post) if post else None
