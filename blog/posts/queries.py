"""Named queries for what readers may see; each returns a select() or a plain value."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.orm import joinedload, load_only, selectinload

from ..extensions import db
from ..models import Media, Post, Redirect, Tag, UTCDateTime, post_tags


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
    """The sidebar's links: only the columns it shows, never the bodies."""
    return (
        select(Post)
        .where(Post.is_listed())
        .options(load_only(Post.slug, Post.title, Post.excerpt))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )


def tag_by_slug(slug: str) -> Select:
    return select(Tag).where(Tag.slug == slug.lower())


def post_by_slug(slug: str) -> Select:
    return published_posts(with_tags=True).where(Post.slug == slug)


def visible_post(post_id: int) -> Select:
    return published_posts().where(Post.id == post_id)


def posts_tagged(tag: Tag) -> Select:
    """A tag's posts read through the join table's (tag_id, post_id) index, not a scan of every post."""
    return published_posts().where(Post.id.in_(select(post_tags.c.post_id).where(post_tags.c.tag_id == tag.id)))


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

    One aggregate over the month each post was published in, in the site's time zone: a key kept on the
    post row on write (Post.published_month) and read from an index, never every date.
    """
    rows = db.session.execute(
        select(Post.published_month, func.count())
        .where(Post.is_listed(), Post.published_month.is_not(None))
        .group_by(Post.published_month)
        .order_by(Post.published_month.desc())
    )
    return [(date(key // 100, key % 100, 1), count) for key, count in rows if key is not None]


def neighbours(post: Post) -> tuple[Post | None, Post | None]:
    """The articles published just before and just after this one (ties broken by id)."""
    key, here = tuple_(Post.published_at, Post.id), tuple_(literal(post.published_at, UTCDateTime), post.id)
    link = load_only(Post.slug, Post.title, Post.published_at)  # a link shows only these, never the body
    older = db.session.scalars(
        select(Post)
        .where(Post.is_listed(), key < here)
        .options(link)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(1)
    ).first()
    newer = db.session.scalars(
        select(Post).where(Post.is_listed(), key > here).options(link).order_by(Post.published_at, Post.id).limit(1)
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
    return url_for("posts.article", slug=post.slug) if post else None
