"""What the header navigation shows, and the list admins reorder."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import NavItem, Post, PostKind, UTCDateTime, utcnow
from ..posts.links import post_url


@dataclass(frozen=True)
class HeaderLink:
    label: str
    href: str


@cache
def shown_items() -> Select:
    """Items readers see, in order: custom links, and pages that are published (one query with the pages,
    only what a link shows of them). Built once per process, for every page: the time is bound (`now`)."""
    page_shown = and_(Post.is_visible(bindparam("now", type_=UTCDateTime)), Post.kind == PostKind.PAGE)
    return (
        select(NavItem)
        .outerjoin(Post, NavItem.post_id == Post.id)
        .options(contains_eager(NavItem.post).load_only(Post.title, Post.slug, Post.kind))
        .where(or_(NavItem.post_id.is_(None), page_shown))
        .order_by(NavItem.position, NavItem.id)
    )


def all_items() -> Select:
    """Every item, shown or not (a draft page keeps its place), in order, with its page."""
    return (
        select(NavItem)
        .outerjoin(Post, NavItem.post_id == Post.id)
        .options(contains_eager(NavItem.post))
        .order_by(NavItem.position, NavItem.id)
    )


def header_links() -> list[HeaderLink]:
    links = []
    for item in db.session.scalars(shown_items(), {"now": utcnow()}):
        if item.post is not None:
            links.append(HeaderLink(item.post.title, post_url(item.post)))
        elif item.url:
            links.append(HeaderLink(item.label, item.url))
    return links


def item_for(post_id: int) -> NavItem | None:
    return db.session.scalar(select(NavItem).where(NavItem.post_id == post_id))


def last_position() -> int:
    return db.session.scalar(select(func.max(NavItem.position))) or 0
