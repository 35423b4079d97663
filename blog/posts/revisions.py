"""Revisions of posts: a copy on every save, the editor's autosave, restoring and pruning; the caller commits."""

import difflib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import joinedload

from ..extensions import affected_rows, db
from ..markdown import render_markdown
from ..models import Post, PostRevision, RevisionKind, utcnow
from . import services


def joined_tags(names) -> str:
    return ", ".join(names)


def post_revisions(post_id: int):
    """The post's revisions, newest first, with who made each."""
    return (
        select(PostRevision)
        .options(joinedload(PostRevision.author))
        .where(PostRevision.post_id == post_id)
        .order_by(PostRevision.created_at.desc(), PostRevision.id.desc())
    )


def revision_count(post_id: int) -> int:
    return db.session.scalar(select(func.count(PostRevision.id)).where(PostRevision.post_id == post_id)) or 0


def record_revision(post: Post, author_id: int | None, kind: RevisionKind = RevisionKind.SAVED) -> PostRevision:
    """Keep a copy of the post's text as it is now (call it after filling the post)."""
    if post.id is None:
        db.session.flush()
    revision = PostRevision(
        post_id=post.id,
        kind=kind,
        author_id=author_id,
        title=post.title,
        body=post.body,
        excerpt=post.excerpt,
        tags=joined_tags(tag.name for tag in post.tags),
        created_at=utcnow(),
    )
    db.session.add(revision)
    db.session.flush()
    prune_revisions(post.id, revision.id)
    return revision


def prune_revisions(post_id: int, newest_id: int) -> None:
    """Keep the newest REVISIONS_KEEP of the post; autosaves go first. The one just written always stays."""
    keep = current_app.config["REVISIONS_KEEP"]
    is_autosave = case((PostRevision.kind == RevisionKind.AUTOSAVE, 0), else_=1)
    ids = db.session.scalars(
        select(PostRevision.id)
        .where(PostRevision.post_id == post_id, PostRevision.id != newest_id)
        .order_by(is_autosave.desc(), PostRevision.created_at.desc(), PostRevision.id.desc())
    ).all()
    surplus = ids[keep - 1 :]
    if surplus:
        db.session.execute(delete(PostRevision).where(PostRevision.id.in_(surplus)))


def own_autosave(post_id: int, author_id: int) -> PostRevision | None:
    return db.session.scalar(
        select(PostRevision).where(
            PostRevision.post_id == post_id,
            PostRevision.author_id == author_id,
            PostRevision.kind == RevisionKind.AUTOSAVE,
        )
    )


def only_autosaved(post_id: int) -> bool:
    """True for a post the editor's autosave created and nobody has saved yet."""
    kinds = set(db.session.scalars(select(PostRevision.kind).where(PostRevision.post_id == post_id).distinct()))
    return kinds == {RevisionKind.AUTOSAVE}


def pending_autosave(post: Post, author_id: int) -> PostRevision | None:
    """This author's autosave of the post when it is newer than the post: text they have not saved yet."""
    autosave = own_autosave(post.id, author_id)
    return autosave if autosave is not None and autosave.created_at > post.updated_at else None


def autosave(
    post: Post | None, author_id: int, *, title: str, body: str, excerpt: str | None, tag_names: list[str]
) -> tuple[Post, PostRevision]:
    """Store the editor's text as the author's autosave of the post, leaving the live post as it is.

    Without a post (a new one), the first autosave creates it as a draft holding that text.
    """
    now = utcnow()
    text = {
        "title": title,
        "body": body,
        "excerpt": excerpt or services.derive_excerpt(render_markdown(body)),
        "tags": joined_tags(tag_names),
    }
    if post is None:
        post = Post(
            author_id=author_id,
            slug=services.unique_slug(title or _("Untitled")),
            is_draft=True,
            created_at=now,
            updated_at=now,
        )
        db.session.add(post)
        services.fill_post(post, title=title or _("Untitled"), body=body, excerpt=excerpt, tag_names=tag_names)
        db.session.flush()
    revision = own_autosave(post.id, author_id)
    if revision is None:
        revision = PostRevision(
            post_id=post.id, kind=RevisionKind.AUTOSAVE, author_id=author_id, created_at=now, **text
        )
        db.session.add(revision)
        db.session.flush()
        prune_revisions(post.id, revision.id)
    else:  # one autosave per post and author, rewritten in place
        for name, value in text.items():
            setattr(revision, name, value)
        revision.created_at = now
    return post, revision


def discard_autosave(post: Post, author_id: int) -> bool:
    return (
        affected_rows(
            delete(PostRevision).where(
                PostRevision.post_id == post.id,
                PostRevision.author_id == author_id,
                PostRevision.kind == RevisionKind.AUTOSAVE,
            )
        )
        > 0
    )


def restore_revision(post: Post, revision: PostRevision, author_id: int) -> PostRevision:
    """Copy the revision back into the live post (its status stays) and record that as a revision."""
    services.fill_post(
        post,
        title=revision.title or post.title,
        body=revision.body or post.body,
        excerpt=revision.excerpt,
        tag_names=revision.tag_names,
    )
    return record_revision(post, author_id, RevisionKind.RESTORED)


def custom_excerpt(revision: PostRevision) -> str:
    """The excerpt as the author typed it: empty when it is the one taken from the body."""
    derived = services.derive_excerpt(render_markdown(revision.body))
    return "" if revision.excerpt == derived else revision.excerpt


@dataclass
class FieldDiff:
    label: str
    lines: list[tuple[str, str]]  # ("del" | "ins" | "same" | "gap", text)


def diff_lines(current: str, revision: str) -> list[tuple[str, str]]:
    lines = []
    for line in difflib.unified_diff(current.splitlines(), revision.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(("gap", "\u2026"))
        else:
            lines.append(({"-": "del", "+": "ins"}.get(line[:1], "same"), line[1:]))
    return lines[1:] if lines and lines[0][0] == "gap" else lines


def diff_against_post(revision: PostRevision, post: Post) -> list[FieldDiff]:
    """What restoring the revision would change in the post's current text, field by field."""
    current_tags = sorted((tag.name for tag in post.tags), key=str.lower)
    revision_tags = sorted(revision.tag_names, key=str.lower)  # the same tags in another order are no change
    fields = [
        (_("Title"), post.title, revision.title),
        (_("Tags"), joined_tags(current_tags), joined_tags(revision_tags)),
        (_("Excerpt"), post.excerpt, revision.excerpt),
        (_("Body"), post.body, revision.body),
    ]
    return [FieldDiff(label, diff_lines(current, old)) for label, current, old in fields if current != old]
