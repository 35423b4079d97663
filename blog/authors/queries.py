"""Named queries for author pages: the author by slug and the posts the page lists."""

from sqlalchemy import Select, select

from ..models import Post, User
from ..posts.queries import published_posts


def author_by_slug(slug: str) -> Select:
    """Any author, deactivated ones too: readers' links to their page and posts keep working."""
    return select(User).where(User.slug == slug.lower())


def posts_by(author: User, with_tags: bool = False) -> Select:
    """The author's listed posts, newest first, loaded as every listing loads them."""
    return published_posts(with_tags=with_tags).where(Post.author_id == author.id)


def authors_with_listed_posts() -> Select:
    """Slugs of the authors who have at least one listed post (an author page with nothing on it is left out)."""
    return (
        select(User.slug)
        .where(select(Post.id).where(Post.author_id == User.id, Post.is_listed()).exists())
        .order_by(User.slug)
    )
