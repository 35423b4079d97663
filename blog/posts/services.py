"""Writing posts: slugs, tags, excerpts and the editor's actions, each committed by the caller."""

import re
import unicodedata
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import delete, func, select

from ..extensions import db
from ..markdown import plain_text, reading_minutes, render_markdown
from ..models import Post, PostKind, PostStatus, Redirect, Tag, post_path, utcnow

EXCERPT_LENGTH = 200


def slugify(text: str, max_length: int = 200) -> str:
    """Lower-case words joined by hyphens; letters of every script are kept (URLs carry them fine)."""
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", text).lower()).strip("-")
    return slug[:max_length].strip("-")


def tag_named(name: str) -> Tag:
    """The tag with this name, whatever its case, created if new with a slug of its own."""
    name = " ".join(name.split())[:50]
    tag = db.session.scalar(select(Tag).where(func.lower(Tag.name) == name.lower()))
    if tag is None:
        base = slugify(name, 55) or "tag"
        slug, n = base, 2
        while db.session.scalar(select(Tag.id).where(Tag.slug == slug)) is not None:
            slug, n = f"{base}-{n}", n + 1  # "C++" and "C#" are different tags
        tag = Tag(name=name, slug=slug)
        db.session.add(tag)
        db.session.flush()
    return tag


# First path segments the site's routes use, today's and those planned: a page at /<slug> must never
# shadow one of them (or be shadowed by it), so no post or page may take these slugs.
RESERVED_SLUGS = frozenset(
    """
    account accounts admin api archive assets author authors blog category comments confirm contact
    dashboard export feed feed.atom feeds favicon.ico import login logout media notifications page pages
    password posts preview reset-password robots.txt rss search settings sitemap sitemap.xml static
    subscribe tag tags theme theme.css two-factor unsubscribe uploads well-known wp-admin wp-content wp-login.php
    """.split()
)


def is_reserved_slug(slug: str) -> bool:
    return slug.lower() in RESERVED_SLUGS


def slug_taken(slug: str, post_id: int | None) -> bool:
    """True when another post or page has this slug, or a route of the site needs it."""
    if is_reserved_slug(slug):
        return True
    query = select(Post.id).where(Post.slug == slug)
    if post_id is not None:
        query = query.where(Post.id != post_id)
    return db.session.scalar(query) is not None


def unique_slug(title: str, post_id: int | None = None) -> str:
    base = slugify(title, 190) or "post"
    slug, n = base, 2
    while slug_taken(slug, post_id):
        slug, n = f"{base}-{n}", n + 1
    return slug


def derive_excerpt(body_html: str) -> str:
    text = plain_text(body_html)
    if len(text) <= EXCERPT_LENGTH:
        return text
    return text[:EXCERPT_LENGTH].rsplit(" ", 1)[0].rstrip(",.;:") + "\u2026"


def change_slug(post: Post, new_slug: str) -> None:
    """Give the post a new slug; a published post's old address keeps answering with a 301."""
    move_post(post, slug=new_slug, kind=post.kind)


def move_post(post: Post, *, slug: str, kind: str) -> None:
    """Give the post a new slug or kind (a post becoming a page moves to /<slug>); a published post's old
    address keeps answering with a 301 to the new one."""
    kind = PostKind(kind)
    if post.slug is not None and post.kind is not None:
        old_path, new_path = post.path, post_path(kind, slug)
        if old_path != new_path:
            # The new address is live now: no redirect may shadow it.
            db.session.execute(delete(Redirect).where(Redirect.old_path == new_path))
            if post.id is not None and post.status == PostStatus.PUBLISHED:
                db.session.execute(delete(Redirect).where(Redirect.old_path == old_path))
                db.session.add(Redirect(old_path=old_path, post_id=post.id))
    post.slug, post.kind = slug, kind


def fill_post(post: Post, *, title: str, body: str, excerpt: str | None, tag_names: list[str]) -> None:
    post.title = title
    post.set_body(body)
    post.excerpt = excerpt or derive_excerpt(post.body_html)
    tags = [tag_named(name) for name in tag_names]
    post.tags = list(dict.fromkeys(tags))  # two spellings of one tag ("Python", "python ") once


def publish(post: Post, at: datetime | None) -> None:
    """Live now, or at `at`: a time in the future makes the post scheduled."""
    post.is_draft = False
    post.published_at = at or utcnow()


def unpublish(post: Post) -> None:
    post.is_draft = True
    post.published_at = None


# The publishing state machine, whole: the editor's buttons a post's state offers, and what each does.
# A draft offers Save draft and Publish; a scheduled or published post offers Update and Unpublish.
DRAFT_ACTIONS = ("preview", "publish", "save_draft")
LIVE_ACTIONS = ("preview", "update", "unpublish")


def offered_action(post: Post | None, pressed: str | None) -> str:
    """The button pressed, limited to the ones this post's state offers (a stale form falls back to saving)."""
    if post is not None and post.status != PostStatus.DRAFT:
        return pressed if pressed in LIVE_ACTIONS else "update"
    return pressed if pressed in DRAFT_ACTIONS else "save_draft"


def apply_editor_action(post: Post, action: str, publish_at: datetime | None) -> None:
    """Save draft, publish (now or at `publish_at`: scheduled), update or unpublish; the caller commits."""
    if action == "publish":
        publish(post, publish_at)
    elif action == "update":  # a live post keeps its time unless a new one is chosen
        post.published_at = publish_at or post.published_at
    elif action == "unpublish":
        unpublish(post)
    elif action == "save_draft":  # keeps a chosen "Publish at" for when it is published
        post.is_draft = True
        post.published_at = publish_at
    else:
        raise ValueError(action)


def preview_of(
    *,
    title: str,
    body: str,
    excerpt: str | None,
    tag_names: list[str],
    author,
    published_at,
    featured_media=None,
    featured_alt: str | None = None,
    kind: str = PostKind.POST,
):
    """What readers would see, built without touching the session (nothing is saved)."""
    body_html = render_markdown(body)
    return SimpleNamespace(
        kind=kind,
        is_page=kind == PostKind.PAGE,
        title=title,
        body_html=body_html,
        excerpt=excerpt or derive_excerpt(body_html),
        reading_minutes=reading_minutes(body),
        author=author,
        published_at=published_at or utcnow(),
        tags=[SimpleNamespace(name=name, slug=slugify(name, 60) or "tag") for name in tag_names],
        featured_media=featured_media,
        featured_image_alt=(featured_alt or featured_media.alt_text) if featured_media is not None else "",
    )
