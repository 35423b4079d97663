"""Feed and sitemap queries: what readers may see, as the feeds list it."""

from sqlalchemy import Select, select

from ..authors.queries import posts_by
from ..models import Post, Tag, User, post_tags
from ..posts.queries import published_posts

FEED_SIZE = 20


def feed_posts() -> Select:
    """The newest posts with their tags (the feed lists them as categories)."""
    return published_posts(with_tags=True).limit(FEED_SIZE)


def feed_posts_by(author: User) -> Select:
    return posts_by(author, with_tags=True).limit(FEED_SIZE)


def feed_posts_tagged(tag: Tag) -> Select:
    return published_posts(with_tags=True).where(Post.tags.any(Tag.id == tag.id)).limit(FEED_SIZE)


def sitemap_posts() -> Select:
    """Every article and page readers may see (pages are in the sitemap, not in the listings)."""
    return select(Post.slug, Post.updated_at, Post.kind).where(Post.is_visible()).order_by(Post.published_at.desc())


def sitemap_tags() -> Select:
    """Tags that have at least one visible post (a tag of drafts only is not a page yet)."""
    return (
        select(Tag.slug)
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.is_listed())
        .distinct()
        .order_by(Tag.slug)
    )
