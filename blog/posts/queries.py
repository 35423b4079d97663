"""Named queries for what readers may see; each returns a select() or a plain value."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Integer, Select, case, cast, exists, func, literal, select, tuple_, union_all
from sqlalchemy.orm import joinedload, load_only, selectinload

from ..extensions import db
from ..models import Media, Post, PostKind, Redirect, Tag, UTCDateTime, post_tags, utcnow
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
    """The sidebar's links: only the columns it shows, never the bodies."""
    return (
        select(Post)
        .where(Post.is_listed())
        .options(load_only(Post.slug, Post.kind, Post.title, Post.excerpt))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )


def tag_by_slug(slug: str) -> Select:
    return select(Tag).where(Tag.slug == slug.lower())


def post_by_slug(slug: str) -> Select:
    """A listed article (not a page) by its slug."""
    return published_posts(with_tags=True).where(Post.slug == slug)


def visible_post_by_slug(slug: str) -> Select:
    """An article or a page readers may see, by its slug: what /posts/<slug>, /<slug> and the comment
    routes look up (a page's comments are posted and fed like an article's)."""
    # One post: its tags come in the same query (a join), not in a query of their own.
    return select(Post).where(Post.is_visible(), Post.slug == slug).options(*listing_loads(), joinedload(Post.tags))


def visible_post(post_id: int) -> Select:
    """An article or a page readers may see, by id (comment permalinks and the commenter's own edits)."""
    return select(Post).where(Post.is_visible(), Post.id == post_id).options(*listing_loads())


def posts_tagged(tag: Tag) -> Select:
    """A tag's posts, newest first: the listing index gives the order and the join table's key says which
    are tagged, so a page reads only the posts up to it, never every post of the tag (nor every post)."""
    tagged = exists().where(post_tags.c.post_id == Post.id, post_tags.c.tag_id == tag.id)
    return published_posts().where(tagged)


def tagged_count(tag: Tag) -> Select:
    """How many listed posts carry the tag, counted from the join table's (tag_id, post_id) index."""
    return (
        select(func.count())
        .select_from(post_tags)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(post_tags.c.tag_id == tag.id, Post.is_listed())
    )


SIDEBAR_TAGS = 20  # the most used tags the sidebar lists


def tag_counts(limit: int = SIDEBAR_TAGS) -> Select:
    """(name, slug, listed posts) of the most used tags, most first: one aggregate over the join table,
    however many tags and posts (a tag whose posts are all drafts or scheduled is left out)."""
    posts = func.count(post_tags.c.post_id)
    return (
        select(Tag.name, Tag.slug, posts)
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.is_listed())
        .group_by(Tag.id, Tag.name, Tag.slug)
        .order_by(posts.desc(), Tag.name)
        .limit(limit)
    )


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
    post row on write (Post.published_month), read from the index that holds it with published_at. The
    "published by now" part of Post.is_listed() is counted inside the sum so that this index alone answers.
    """
    now = utcnow()
    published = func.sum(case((Post.published_at <= now, 1), else_=0))
    rows = db.session.execute(
        select(Post.published_month, cast(published, Integer))
        .where(Post.kind == PostKind.POST, Post.is_draft.is_(False), Post.published_month.is_not(None))
        .group_by(Post.published_month)
        .having(published > 0)
        .order_by(Post.published_month.desc())
    )
    return [(date(key // 100, key % 100, 1), count) for key, count in rows if key is not None]


def neighbours(post: Post) -> tuple[Post | None, Post | None]:
    """The articles published just before and just after this one (ties broken by id), in one query."""
    if post.kind == PostKind.PAGE:
        return None, None
    key, here = tuple_(Post.published_at, Post.id), tuple_(literal(post.published_at, UTCDateTime), post.id)
    older = select(Post.id).where(Post.is_listed(), key < here).order_by(Post.published_at.desc(), Post.id.desc())
    newer = select(Post.id).where(Post.is_listed(), key > here).order_by(Post.published_at, Post.id)
    either = union_all(older.limit(1).subquery().select(), newer.limit(1).subquery().select())
    found = db.session.scalars(
        # A link shows only these, never the body.
        select(Post).where(Post.id.in_(either)).options(load_only(Post.slug, Post.kind, Post.title, Post.published_at))
    ).all()
    assert post.published_at is not None  # a listed post has been published
    mine = (post.published_at, post.id)
    before = [p for p in found if (p.published_at, p.id) < mine]
    after = [p for p in found if (p.published_at, p.id) > mine]
    return (before[0] if before else None), (after[0] if after else None)


def cast_rows(rows) -> list[tuple[Post, int]]:
    return list(rows)


RECENT_LINKS = 5  # "Recent Posts" on every page


def article_links(post: Post) -> tuple[Post | None, Post | None, list[Post]]:
    """The article page's links in one query: its older and newer neighbours and the recent posts.

    Each list is the one neighbours() and recent_posts() give, read with only the columns a link shows.
    """
    key, here = tuple_(Post.published_at, Post.id), tuple_(literal(post.published_at, UTCDateTime), post.id)
    newest_first = (Post.published_at.desc(), Post.id.desc())
    arms = [
        select(Post.id, literal(1).label("which")).where(Post.is_listed(), key < here).order_by(*newest_first),
        select(Post.id, literal(2).label("which"))
        .where(Post.is_listed(), key > here)
        .order_by(Post.published_at, Post.id),
        select(Post.id, literal(3).label("which")).where(Post.is_listed()).order_by(*newest_first),
    ]
    links = union_all(
        *(arm.limit(n).subquery().select() for arm, n in zip(arms, (1, 1, RECENT_LINKS), strict=True))
    ).subquery("links")
    rows = db.session.execute(
        select(Post, links.c.which)
        .join(links, links.c.id == Post.id)
        .options(load_only(Post.slug, Post.kind, Post.title, Post.excerpt, Post.published_at))
    ).all()
    found: dict[int, list[Post]] = {1: [], 2: [], 3: []}
    for linked, which in cast_rows(rows):
        found[which].append(linked)
    recent = sorted(found[3], key=lambda p: (p.published_at, p.id), reverse=True)
    older = found[1][0] if found[1] else None
    newer = found[2][0] if found[2] else None
    return older, newer, recent


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
