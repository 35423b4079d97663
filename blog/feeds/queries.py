"""Feed and sitemap queries: what readers may see, as the feeds list it."""

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ..authors.queries import posts_by
from ..models import Post, Tag, User, post_tags
from ..posts.queries import posts_tagged, published_posts

FEED_SIZE = 20


def feed_posts() -> Select:
    """The newest posts with their tags (the feed lists them as categories)."""
    return published_posts(with_tags=True).limit(FEED_SIZE)


def feed_posts_by(author: User) -> Select:
    return posts_by(author, with_tags=True).limit(FEED_SIZE)


def feed_posts_tagged(tag: Tag) -> Select:
    return posts_tagged(tag, FEED_SIZE).options(selectinload(Post.tags))


def sitemap_posts(first_id: int, last_id: int) -> Select:
    """Visible posts and pages whose id is in [first_id, last_id]: one sitemap file, read by primary key."""
    return (
        select(Post.slug, Post.updated_at, Post.kind)
        .where(Post.id >= first_id, Post.id <= last_id, Post.is_visible())
        .order_by(Post.id)
    )


def sitemap_tags(limit: int) -> Select:
    """Tags that have at least one listed post (a tag of drafts only is not a page yet), each found through
    the join table's index, so the cost grows with the tags, not the posts."""
    listed = (
        select(post_tags.c.post_id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(post_tags.c.tag_id == Tag.id, Post.is_listed())
        .exists()
    )
    return select(Tag.slug).where(listed).order_by(Tag.slug).limit(limit)


def newest_listed() -> Select:
    return select(Post.updated_at).where(Post.is_listed()).order_by(Post.published_at.desc(), Post.id.desc()).limit(1)


def highest_post_id() -> Select:
    return select(func.max(Post.id))
