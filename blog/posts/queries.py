"""Named queries for what readers may see; each returns a select() or a plain value."""

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnClause, Row, Select, bindparam, func, literal, literal_column, select, tuple_, union_all
from sqlalchemy.orm import contains_eager, joinedload, load_only, selectinload

from ..extensions import db, read_rows
from ..models import ArchiveMonth, Media, Post, PostKind, Redirect, SiteState, Tag, UTCDateTime, post_tags, utcnow
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


def find_visible_post(slug: str) -> Post | None:
    """An article or a page readers may see, by its slug: what /posts/<slug>, /<slug> and the comment
    routes look up (a page's comments are posted and fed like an article's). The statement built once is
    run with the slug and the time as parameters: a copy bound with .params() would be cloned and given a
    new cache key on every request."""
    return db.session.scalars(visible_post_by_slug_select(), {"slug": slug, "now": utcnow()}).unique().first()


@cache
def visible_post_by_slug_select() -> Select:
    """find_visible_post's statement, built once per process (`slug` and `now` are bound per request)."""
    # One post: its tags come in the same query (a join), not in a query of their own. Two plain outer joins
    # (not joinedload's nested "LEFT JOIN (post_tags JOIN tags)", which SQLite builds whole for every tag link
    # of the blog): the post's own links by the join table's key, then each tag by its id.
    visible = Post.is_visible(bindparam("now", type_=UTCDateTime))
    return (
        select(Post)
        .outerjoin(post_tags, post_tags.c.post_id == Post.id)
        .outerjoin(Tag, Tag.id == post_tags.c.tag_id)
        .where(visible, Post.slug == bindparam("slug"))
        .options(*listing_loads(), contains_eager(Post.tags))
        .order_by(Tag.name)
    )


def visible_post(post_id: int) -> Select:
    """An article or a page readers may see, by id (comment permalinks and the commenter's own edits)."""
    return select(Post).where(Post.is_visible(), Post.id == post_id).options(*listing_loads())


def posts_tagged(tag: Tag, limit: int) -> Select:
    """A tag's newest posts, found through tagged_post_ids (the tag page pages through those ids itself)."""
    return published_posts().where(Post.id.in_(tagged_post_ids(tag).limit(limit).scalar_subquery()))


def tagged_post_ids(tag: Tag) -> Select:
    """The ids of a tag's listed posts, newest first, from the join table's (tag_id, listed_at, post_id) index
    alone: a page skips that tag's entries up to it, never reads every post of the tag or of the blog."""
    return (
        select(post_tags.c.post_id)
        .where(post_tags.c.tag_id == tag.id, post_tags.c.listed_at <= utcnow())
        .order_by(post_tags.c.listed_at.desc(), post_tags.c.post_id.desc())
    )


def tagged_count(tag: Tag) -> Select:
    """How many listed posts carry the tag: the count kept on the tag less its scheduled posts (few)."""
    scheduled = (
        select(func.count())
        .select_from(post_tags)
        .where(post_tags.c.tag_id == tag.id, post_tags.c.listed_at > utcnow())
        .scalar_subquery()
    )
    return select(Tag.post_count - scheduled).where(Tag.id == tag.id)


def listed_count() -> Select:
    """How many posts the archive lists: the count kept in site_state less the scheduled posts (few, read
    from the listing index); counted the long way only when the kept count is not known."""
    now = utcnow()
    scheduled = select(func.count()).select_from(Post).where(Post.will_be_listed(), Post.published_at > now)
    kept = select(SiteState.post_count).where(SiteState.id == 1)
    every = select(func.count()).select_from(Post).where(Post.is_listed())
    return select(func.coalesce(kept.scalar_subquery() - scheduled.scalar_subquery(), every.scalar_subquery()))


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

    Read from the counts kept on write per month in the site's time zone (ArchiveMonth), less each month's
    scheduled posts: one query whose work grows with the months and the scheduled posts, not the posts.
    """
    # The scheduled posts found by time on the listing index (by month, SQLite would read the whole month index).
    scheduled_ids = select(Post.id).where(Post.will_be_listed(), Post.published_at > utcnow())
    scheduled = (
        select(Post.published_month.label("month"), func.count().label("n"))
        .where(Post.id.in_(scheduled_ids))
        .group_by(Post.published_month)
        .subquery()
    )
    listed = ArchiveMonth.post_count - func.coalesce(scheduled.c.n, 0)
    rows = db.session.execute(
        select(ArchiveMonth.month, listed)
        .outerjoin(scheduled, scheduled.c.month == ArchiveMonth.month)
        .where(listed > 0)
        .order_by(ArchiveMonth.month.desc())
    )
    return [(date(key // 100, key % 100, 1), count) for key, count in rows]


def month_seek(months: list[tuple[date, int]], listed: int):
    """For the archive's deep pages: `seek(offset)` gives the listed posts' ids from the start of the month
    holding that position (newest first) and the offset left inside it, so a page skips at most one month's
    index entries, not every newer post (page 5,000 of 100,000 posts read 50,000 entries on PostgreSQL).

    The months' counts are the ones kept on write (archive_months); when they do not add up to the listed
    count (say, before `flask recount`), there is no seek and the page counts every entry as before. A bulk
    change of times outside the app that moves posts between months leaves the total right and the months
    wrong: until `flask recount`, deep pages may then start a few posts early or late (the month list is off
    the same way).
    """
    if sum(count for _, count in months) != listed:
        return None

    def seek(offset: int) -> tuple[Select, int] | None:
        skipped = 0
        for first, count in months:
            if skipped + count > offset:
                if not skipped:
                    return None  # in the newest month: nothing to skip
                _, end = month_bounds(first.year, first.month)
                ids = (
                    select(Post.id)
                    .where(Post.is_listed(), Post.published_at < end)
                    .order_by(Post.published_at.desc(), Post.id.desc())
                )
                return ids, offset - skipped
            skipped += count
        return None  # past the last post: the page is empty either way

    return seek


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


RECENT_LINKS = 5  # "Recent Posts" on every page


def article_links(post: Post) -> tuple[Row | None, Row | None, list[Row]]:
    """The article page's links in one query: its older and newer neighbours and the recent posts.

    Each is a row of only the columns a link shows (id, title, slug, excerpt, published_at, kind), read as
    plain values, not Post objects: a template reads them the same way (`older.title`, post_url(older)).
    """
    params = {"published_at": post.published_at, "post_id": post.id, "now": utcnow()}
    found: dict[int, list[Row]] = {1: [], 2: [], 3: []}
    for row in read_rows(article_links_select(), params):
        found[row.which].append(row)
    recent = sorted(found[3], key=lambda p: (p.published_at, p.id), reverse=True)
    older = found[1][0] if found[1] else None
    newer = found[2][0] if found[2] else None
    return older, newer, recent


@cache
def article_links_select() -> Select:
    """article_links' statement, built once per process: the post and the time are bound per request."""
    now = bindparam("now", type_=UTCDateTime)
    key = tuple_(Post.published_at, Post.id)
    here = tuple_(bindparam("published_at", type_=UTCDateTime), bindparam("post_id"))
    newest_first = (Post.published_at.desc(), Post.id.desc())
    arms = [
        select(Post.id, literal(1).label("which")).where(Post.is_listed(now), key < here).order_by(*newest_first),
        select(Post.id, literal(2).label("which"))
        .where(Post.is_listed(now), key > here)
        .order_by(Post.published_at, Post.id),
        select(Post.id, literal(3).label("which")).where(Post.is_listed(now)).order_by(*newest_first),
    ]
    # The limits are written into the SQL, not bound: PostgreSQL plans a prepared statement once for every
    # request (a generic plan) only when its cost is known, and a bound LIMIT counts as a tenth of the table.
    limits: list[ColumnClause] = [literal_column(str(n)) for n in (1, 1, RECENT_LINKS)]
    links = union_all(*(arm.limit(n).subquery().select() for arm, n in zip(arms, limits, strict=True))).subquery(
        "links"
    )
    return select(Post.id, Post.title, Post.slug, Post.excerpt, Post.published_at, Post.kind, links.c.which).join(
        links, links.c.id == Post.id
    )


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
