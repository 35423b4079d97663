"""Importing an export: authors, posts, pages, comments with their threads, tags and old URLs, in one transaction.

The readers (wordpress.py, blogger.py) stream plain records; this writes them through the same rules as
written content (sanitised bodies, excerpts, reading time, the search index on flush, comment rendering).
One transaction: an import that fails half way (a truncated file, a database error) leaves nothing behind.
The session is flushed and emptied every few posts, so memory stays flat however large the export.
Every written item is keyed in `imported_items` by its source and source id: a second run adds nothing.
A dry run reads everything, decides everything (slugs, authors, tags, redirects) and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..markdown import plain_text, reading_minutes, render_markdown
from ..models import (
    Comment,
    CommentStatus,
    ImportedItem,
    Post,
    PostKind,
    PostRevision,
    Redirect,
    RevisionKind,
    Role,
    Tag,
    User,
    post_path,
    utcnow,
)
from ..posts.services import derive_excerpt, is_reserved_slug, slug_taken, slugify, tag_named
from . import blogger, wordpress
from .html import clean_body, comment_html, comment_markdown, strip_shortcodes, to_markdown
from .items import ImportedAuthor, ImportedComment, ImportedPost, ImportedSource, ImportFailed, Skipped
from .xmlsource import ExportParser, opened_export

BATCH = 100  # posts between flushes that empty the session
NO_PASSWORD = "!"  # matches no password: an imported author can't log in until someone sets one
COMMENT_STATUS = {
    "approved": CommentStatus.APPROVED,
    "pending": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "deleted": CommentStatus.DELETED,
}


@dataclass
class ImportReport:
    label: str = ""
    posts: int = 0
    pages: int = 0
    comments: int = 0
    threads: int = 0
    authors: set[int] = field(default_factory=set)
    new_authors: int = 0
    tags: set[str] = field(default_factory=set)
    new_tags: set[str] = field(default_factory=set)
    redirects: int = 0
    already: Counter = field(default_factory=Counter)
    pingbacks: int = 0
    skipped: list[str] = field(default_factory=list)
    skipped_groups: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def summary(self, dry_run: bool) -> str:
        verb = "Would import" if dry_run else "Imported"
        line = (
            f"{verb} {self.posts} post(s), {self.pages} page(s), {self.comments} comment(s) in {self.threads} "
            f"thread(s), {len(self.authors)} author(s) ({self.new_authors} new), {len(self.tags)} tag(s) "
            f"({len(self.new_tags)} new), {self.redirects} redirect(s)"
        )
        if self.already:
            line += "; already imported: " + ", ".join(f"{n} {kind}(s)" for kind, n in sorted(self.already.items()))
        skipped = len(self.skipped) + sum(self.skipped_groups.values())
        line += f"; {skipped} skipped"
        if dry_run:
            line += " (dry run: nothing written)"
        elif not (self.posts or self.pages or self.comments):
            line += " (nothing new)"
        return line + "."

    def lines(self, dry_run: bool) -> Iterator[str]:
        yield f"Read a {self.label}."
        if self.skipped or self.skipped_groups:
            yield "Skipped:"
            for what in self.skipped_groups:
                yield f"  - {what}"
            yield from (f"  - {line}" for line in self.skipped)
        if self.notes:
            yield "Notes:"
            yield from (f"  - {line}" for line in self.notes)
        yield self.summary(dry_run)


class Importer:
    def __init__(self, source: ImportedSource, *, dry_run: bool, author: User | None):
        self.source, self.dry_run = ImportedSource(key=source.key[:300], label=source.label), dry_run
        self.wordpress = source.key.startswith("wordpress:")
        self.given_author_id = author.id if author is not None else None
        self.report = ImportReport(label=source.label)
        self.max_depth = current_app.config["COMMENT_MAX_DEPTH"]
        self.author_records: dict[str, ImportedAuthor] = {}
        self.author_ids: dict[str, int] = {}
        self.post_ids: dict[str, int] = {}
        # A written comment's (id, thread root id, depth), for its replies.
        self.comment_nodes: dict[str, tuple[int, int | None, int]] = {}
        self.waiting_for_post: dict[str, list[ImportedComment]] = {}
        self.waiting_for_parent: dict[str, list[ImportedComment]] = {}
        self.planned_slugs: set[str] = set()
        self.planned_paths: set[str] = set()
        self.planned_emails: dict[str, int] = {}
        self.deep_replies = 0
        self.since_flush = 0
        self._fake_id = 0

    # --- the records, as the reader hands them over ---------------------------------------------------

    def take(self, item: object) -> None:
        if isinstance(item, ImportedAuthor):
            self.author_records.setdefault(item.source_id, item)
        elif isinstance(item, ImportedPost):
            self.add_post(item)
        elif isinstance(item, ImportedComment):
            self.add_comment(item)
        elif isinstance(item, Skipped):
            if item.line is None:
                self.report.skipped_groups[f"{item.what}: {item.why}"] += 1
            else:
                self.report.skipped.append(f"{item.what} (line {item.line}): {item.why}")

    def finish(self, problems: list[str]) -> ImportReport:
        # Replies whose parent never came: kept, as top-level comments of their post.
        while self.waiting_for_parent:
            parent_id = next(iter(self.waiting_for_parent))
            for comment in self.waiting_for_parent.pop(parent_id):
                self.report.notes.append(
                    f"comment {comment.source_id} replies to comment {parent_id}, which is not in the export: "
                    "imported as a top-level comment"
                )
                comment.parent_source_id = None
                self.add_comment(comment)
        for post_id, comments in self.waiting_for_post.items():
            for comment in comments:
                self.report.skipped.append(f"comment {comment.source_id}: its post {post_id} is not in the export")
        if self.deep_replies:
            self.report.notes.append(
                f"{self.deep_replies} repl(ies) deeper than COMMENT_MAX_DEPTH ({self.max_depth}): each keeps its "
                "parent and is shown at the deepest level"
            )
        for problem in problems:
            self.report.notes.append(f"the file is not well-formed at {problem}")
        self.report.skipped_groups = Counter(
            {f"{n} {what}" if n > 1 else what: n for what, n in self.report.skipped_groups.items()}
        )
        if not self.dry_run:
            db.session.flush()
        return self.report

    # --- keys of what was imported before -----------------------------------------------------------------

    def imported(self, kind: str, source_id: str) -> int | None:
        return db.session.scalar(
            select(ImportedItem.target_id).where(
                ImportedItem.source == self.source.key,
                ImportedItem.kind == kind,
                ImportedItem.source_id == source_id[:200],
            )
        )

    def remember(self, kind: str, source_id: str, target_id: int) -> None:
        if not self.dry_run:
            db.session.add(
                ImportedItem(source=self.source.key, kind=kind, source_id=source_id[:200], target_id=target_id)
            )

    def fake_id(self) -> int:
        self._fake_id -= 1
        return self._fake_id

    # --- authors -------------------------------------------------------------------------------------------

    def author_for(self, post: ImportedPost) -> int:
        if self.given_author_id is not None:
            self.report.authors.add(self.given_author_id)
            return self.given_author_id
        ref = post.author_ref or ""
        if ref not in self.author_ids:
            self.author_ids[ref] = self._resolve_author(ref, post.author_name)
        self.report.authors.add(self.author_ids[ref])
        return self.author_ids[ref]

    def _resolve_author(self, ref: str, name: str) -> int:
        record = self.author_records.get(ref)
        email = (record.email if record else ref if "@" in ref else "").strip()
        name = " ".join((record.name if record else name or ref or "Imported author").split())[:100]
        if not email:  # no address in the export: one of our own, the same on every run
            email = f"{slugify(ref or name, 60) or 'author'}@imported.invalid"
        user_id = db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
        if user_id is None:
            user_id = self.imported("author", ref) if ref else None
        if user_id is None:
            user_id = self.planned_emails.get(email.lower())
        if user_id is not None:
            return user_id
        self.report.new_authors += 1
        self.report.notes.append(f"author {name} <{email}> created, deactivated and without a password")
        if self.dry_run:
            user_id = self.fake_id()
        else:
            user = User(email=email[:254], name=name or "Imported author", role=Role.AUTHOR, active=False)
            user.password_hash = NO_PASSWORD
            db.session.add(user)
            db.session.flush()
            user_id = user.id
            self.remember("author", ref or email, user_id)
        self.planned_emails[email.lower()] = user_id
        return user_id

    # --- posts and pages -----------------------------------------------------------------------------------

    def free_slug(self, wanted: str, title: str, kind: str) -> str:
        base = slugify(wanted, 190) or slugify(title, 190) or kind
        slug, n = base, 2
        while slug in self.planned_slugs or slug_taken(slug, None):
            slug, n = f"{base}-{n}", n + 1
        if slug != base:
            why = "a reserved address of the site" if is_reserved_slug(base) else "already taken"
            self.report.notes.append(f"{kind} {base!r} became {slug!r} ({why})")
        self.planned_slugs.add(slug)
        return slug

    def tags_for(self, names: list[str]) -> list[Tag]:
        unique = list({name.lower(): name[:50] for name in names if name.strip()}.values())
        tags = []
        for name in unique:
            self.report.tags.add(name.lower())
            exists = db.session.scalar(select(Tag.id).where(func.lower(Tag.name) == name.lower())) is not None
            if not exists:
                self.report.new_tags.add(name.lower())
            if not self.dry_run:
                tags.append(tag_named(name))
        return tags

    def add_post(self, item: ImportedPost) -> None:
        label = f"{item.kind} {item.title or item.source_id!r}"
        existing = self.imported("post", item.source_id)
        if existing is not None:
            self.report.already[item.kind] += 1
            self.post_ids[item.source_id] = existing
        else:
            self.post_ids[item.source_id] = self.write_post(item, label)
        for comment in item.comments:
            self.add_comment(comment)
        self.retry(self.waiting_for_post.pop(item.source_id, []))
        self.since_flush += 1
        if self.since_flush >= BATCH and not self.dry_run:
            db.session.flush()
            db.session.expunge_all()
            self.since_flush = 0

    def write_post(self, item: ImportedPost, label: str) -> int:
        title = " ".join(item.title.split())[:200] or "(untitled)"
        kind = PostKind.PAGE if item.kind == "page" else PostKind.POST
        for note in item.notes:
            self.report.notes.append(f"{label}: {note}")
        status = item.status
        if status in ("private", "trash"):
            self.report.notes.append(
                f"{label}: {'private' if status == 'private' else 'in the trash'}, imported as a draft"
            )
        if status == "scheduled" and item.published_at is None:
            status = "draft"
        slug = self.free_slug(item.slug, title, item.kind)
        author_id = self.author_for(item)
        tags = self.tags_for(item.tags)
        if kind == PostKind.PAGE:
            self.report.pages += 1
        else:
            self.report.posts += 1
        post_id = self.fake_id() if self.dry_run else None
        if self.dry_run:
            if self.wordpress and item.markdown is None:
                self.report_shortcodes(label, strip_shortcodes(item.body_html)[1])
        else:
            if item.markdown is not None:
                body, body_html = item.markdown, render_markdown(item.markdown)
                minutes = reading_minutes(body)
            else:
                body_html, dropped = clean_body(item.body_html, wordpress=self.wordpress)
                self.report_shortcodes(label, dropped)
                body = to_markdown(body_html) if body_html else ""
                minutes = reading_minutes(plain_text(body_html))
            excerpt = plain_text(item.excerpt)[:300] if item.excerpt.strip() else derive_excerpt(body_html)
            live = status in ("published", "scheduled")
            created = item.published_at or item.updated_at or utcnow()
            post = Post(
                title=title,
                slug=slug,
                kind=kind,
                body=body,
                body_html=body_html,
                excerpt=excerpt,
                reading_minutes=minutes,
                is_draft=not live,
                published_at=(item.published_at or utcnow()) if live else None,
                created_at=created,
                updated_at=item.updated_at or created,  # a scheduled post was updated before it goes live
                author_id=author_id,
                tags=tags,
                comments_open=item.comments_open,
            )
            db.session.add(post)
            db.session.flush()
            post_id = post.id
            # Its first revision, as a post written here has one from its first save.
            db.session.add(
                PostRevision(
                    post_id=post_id,
                    kind=RevisionKind.SAVED,
                    author_id=author_id,
                    title=title,
                    body=body,
                    excerpt=excerpt,
                    tags=", ".join(tag.name for tag in tags),
                    created_at=post.updated_at,
                )
            )
            self.remember("post", item.source_id, post_id)
        assert post_id is not None
        self.add_redirects(item, post_id, slug, kind)
        return post_id

    def report_shortcodes(self, label: str, dropped: list[str]) -> None:
        if dropped:
            self.report.notes.append(f"{label}: shortcode(s) dropped: {', '.join(f'[{name}]' for name in dropped)}")

    def add_redirects(self, item: ImportedPost, post_id: int, slug: str, kind: PostKind) -> None:
        new_path = post_path(kind, slug)
        for old_path in item.old_paths:
            if not old_path.startswith("/") or old_path in ("/", new_path) or len(old_path) > 500:
                continue
            if old_path in self.planned_paths:
                continue
            if db.session.scalar(select(Redirect.id).where(Redirect.old_path == old_path)) is not None:
                self.report.notes.append(f"old path {old_path} already answers with another post: left as it was")
                continue
            self.planned_paths.add(old_path)
            self.report.redirects += 1
            if not self.dry_run:
                db.session.add(Redirect(old_path=old_path, post_id=post_id))

    # --- comments -------------------------------------------------------------------------------------------

    def add_comment(self, item: ImportedComment) -> None:
        where = f"comment {item.source_id or '(no id)'}" + (f" (line {item.line})" if item.line else "")
        if item.kind in ("pingback", "trackback"):
            self.report.pingbacks += 1
            self.report.skipped.append(f"{where}: a {item.kind}, counted and not imported")
            return
        if item.status == "trash":
            self.report.skipped.append(f"{where}: in the trash")
            return
        if not item.source_id:
            self.report.skipped.append(f"{where}: it has no id")
            return
        post_id = self.post_ids.get(item.post_source_id)
        if post_id is None:
            post_id = self.imported("post", item.post_source_id)
            if post_id is None:
                self.waiting_for_post.setdefault(item.post_source_id, []).append(item)
                return
            self.post_ids[item.post_source_id] = post_id
        parent = None
        if item.parent_source_id:
            parent = self.comment_node(item.parent_source_id)
            if parent is None:
                self.waiting_for_parent.setdefault(item.parent_source_id, []).append(item)
                return
        existing = self.imported("comment", item.source_id)
        if existing is not None:
            self.report.already["comment"] += 1
            written = db.session.get(Comment, existing)
            if written is not None:
                self.comment_nodes[item.source_id] = (written.id, written.root_id, written.depth)
        else:
            self.comment_nodes[item.source_id] = self.write_comment(item, post_id, parent)
        self.retry(self.waiting_for_parent.pop(item.source_id, []))

    def comment_node(self, source_id: str) -> tuple[int, int | None, int] | None:
        if source_id not in self.comment_nodes:
            target = self.imported("comment", source_id)
            written = db.session.get(Comment, target) if target is not None else None
            if written is None:
                return None
            self.comment_nodes[source_id] = (written.id, written.root_id, written.depth)
        return self.comment_nodes[source_id]

    def write_comment(
        self, item: ImportedComment, post_id: int, parent: tuple[int, int | None, int] | None
    ) -> tuple[int, int | None, int]:
        root_id = (parent[1] or parent[0]) if parent else None
        depth = parent[2] + 1 if parent else 1
        self.report.comments += 1
        if parent is None:
            self.report.threads += 1
        if depth > self.max_depth:
            self.deep_replies += 1
        if self.dry_run:
            return self.fake_id(), root_id, depth
        status = COMMENT_STATUS.get(item.status, CommentStatus.PENDING)
        deleted = status == CommentStatus.DELETED
        body = "" if deleted else comment_markdown(item.body_html)
        comment = Comment(
            post_id=post_id,
            parent_id=parent[0] if parent else None,
            root_id=root_id,
            depth=depth,
            name="" if deleted else (" ".join(item.name.split())[:80] or "Anonymous"),
            email="" if deleted else item.email.strip()[:254],
            body=body,
            body_html=comment_html(body) if body else "",
            status=status,
            held_reason={CommentStatus.PENDING: "pending when imported", CommentStatus.SPAM: "spam when imported"}.get(
                status
            ),
            created_at=item.created_at or utcnow(),
            updated_at=item.created_at or utcnow(),
        )
        db.session.add(comment)
        db.session.flush()
        self.remember("comment", item.source_id, comment.id)
        return comment.id, root_id, depth

    def retry(self, comments: list[ImportedComment]) -> None:
        for comment in comments:
            self.add_comment(comment)


def recognise(parser: ExportParser) -> Iterator[object]:
    """The records of the export, by what the file holds (never by its name)."""
    root = parser.root()
    version = wordpress.wxr_version(root)
    if version is not None:
        yield from wordpress.read(parser, root, version)
    elif blogger.is_atom_feed(root):
        yield from blogger.read(parser, root)
    elif root.tag == "rss":
        raise ImportFailed(f"{parser.path}: an RSS feed, but not a WordPress export (no WordPress export namespace).")
    else:
        raise ImportFailed(f"{parser.path}: XML, but not a WordPress or Blogger export (its root is <{root.tag}>).")


def run_import(
    path: str,
    *,
    dry_run: bool = False,
    author_email: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the export at `path` in one transaction (rolled back on a dry run or any failure)."""
    author = None
    if author_email:
        author = db.session.scalar(select(User).where(func.lower(User.email) == author_email.strip().lower()))
        if author is None:
            raise ImportFailed(f"--author: no author with the email {author_email}.")
    try:
        with opened_export(path) as (stream, name):
            parser = ExportParser(stream, name)
            importer: Importer | None = None
            for item in recognise(parser):
                if isinstance(item, ImportedSource):
                    importer = importer or Importer(item, dry_run=dry_run, author=author)
                    continue
                assert importer is not None
                importer.take(item)
                if progress is not None and isinstance(item, ImportedPost | ImportedComment):
                    progress(importer.report.posts + importer.report.pages, importer.report.comments)
            if importer is None:
                raise ImportFailed(f"{name}: no blog found in the export.")
            report = importer.finish(parser.problems())
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report
