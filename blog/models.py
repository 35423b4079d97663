"""The blog's data: authors, posts, tags and the redirects that keep old URLs alive."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    event,
    false,
    func,
    inspect,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import Base, db
from .markdown import reading_minutes, render_markdown

# Flask-SQLAlchemy makes db.Model at run time; type checkers see the declarative base behind it.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


class Role(StrEnum):
    AUTHOR = "author"
    ADMIN = "admin"


class PostStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class PostKind(StrEnum):
    POST = "post"  # an article: listed on the home page, archives, tags, feeds, and between neighbours
    PAGE = "page"  # a standalone page such as "About": at /<slug>, in search and the sitemap, never listed


class CommentStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    SPAM = "spam"
    DELETED = "deleted"  # a placeholder: a deleted comment that still has replies, its words blanked


class CommentMail(StrEnum):
    """Which new comments on their posts an author hears about by mail (the account page's choice)."""

    EVERY = "every"  # every new comment, held or published (never spam)
    PENDING = "pending"  # only comments waiting for moderation: the default
    NONE = "none"


class MailStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


BIO_MAX_LENGTH = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


# Werkzeug's default scrypt (n=32768) costs about 0.1 s a hash by design. The suite hashes thousands of
# passwords, so a TESTING app uses the same scrypt at a trivial cost; the stored format is the same.
PASSWORD_HASH_METHOD = "scrypt"
TESTING_PASSWORD_HASH_METHOD = "scrypt:128:8:1"


def password_hash_method() -> str:
    """The method new password hashes use: full cost, except in a TESTING app."""
    from flask import current_app, has_app_context

    return TESTING_PASSWORD_HASH_METHOD if has_app_context() and current_app.testing else PASSWORD_HASH_METHOD


def token_digest(token: str) -> str:
    """What the database keeps of a session token: a leaked table holds no working cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always hands back aware UTC ones.

    SQLite drops the zone on the way back; this is the one place that puts it back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The post's published_at while it is an article that is not a draft (Post.will_be_listed), else NULL;
    # kept on write (blog/listing_counts.py). A tag page reads its posts, newest first, from the index below
    # alone: a deep page skips index entries of that tag, never every post of the blog.
    Column("listed_at", UTCDateTime),
    # A tag's posts are read through this index (the primary key starts with the post).
    Index("ix_post_tags_tag_id_post_id", "tag_id", "post_id"),
    Index("ix_post_tags_tag_id_listed_at_post_id", "tag_id", "listed_at", "post_id"),
)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=Role.AUTHOR)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-factor authentication (twofactor/services.py): the TOTP secret (base32) is written when set-up
    # starts and only counts once totp_enabled_at is set; it is never shown again after set-up.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time step whose code was accepted: a code of that step or an earlier one is refused (replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # The author page's address, /authors/<slug>: given once from the name (authors/services.py fills it
    # on every new account) and kept when the name changes, so links to the page keep working.
    slug: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    # A few sentences on the author page: plain text, shown escaped with its line breaks.
    bio: Mapped[str] = mapped_column(String(BIO_MAX_LENGTH), default="", server_default="")
    # A random value in every password reset link; a new link, or using one, replaces it (auth/reset.py).
    reset_nonce: Mapped[str | None] = mapped_column(String(32))
    comment_mail: Mapped[str] = mapped_column(
        String(20), default=CommentMail.PENDING, server_default=CommentMail.PENDING
    )

    posts: Mapped[list[Post]] = relationship(back_populates="author")

    # Not stored: the device session this request runs in (auth/sessions.py sets both). Flask-Login's id
    # is that session's token, so the session cookie and the remember-me cookie name one device.
    __allow_unmapped__ = True
    device_session_token: str | None = None
    device_session_id: int | None = None

    def get_id(self) -> str | None:
        return self.device_session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def two_factor_enabled(self) -> bool:
        """Whether logging in asks for an authentication code after the password."""
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def bio_paragraphs(self) -> list[list[str]]:
        """The bio as the author typed it: paragraphs split on blank lines, each a list of its lines."""
        blocks = re.split(r"\n\s*\n", (self.bio or "").replace("\r\n", "\n").strip())
        return [[line.strip() for line in block.strip().split("\n")] for block in blocks if block.strip()]

    @property
    def comment_mail_choice(self) -> CommentMail:
        return CommentMail(self.comment_mail) if self.comment_mail in set(CommentMail) else CommentMail.PENDING

    def can_edit(self, post: Post) -> bool:
        """Who may edit a post and moderate its comments: its author, or an admin. `owned_by` is its SQL twin."""
        return self.is_admin or post.author_id == self.id


class UserSession(Model):
    """One device an author is logged in on; deleting the row ends that session on every host."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most every few minutes (auth/sessions.py), never once per request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device: Mapped[str] = mapped_column(String(60), default="")
    remember: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class EditorStash(Model):
    """What an author typed in the editor when their session had ended, kept until they log in again."""

    __tablename__ = "editor_stashes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_session_token)
    # The account whose session ended; None when the request carried no session at all.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The post being edited; None for a new post.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    fields: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Tag(Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # The slug is the lower-cased name, so "Python" and "python" are one tag.
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # Articles carrying the tag that are listed or scheduled to be (post_tags.listed_at set), kept on write
    # (blog/listing_counts.py): a tag page counts only the scheduled ones, which are few.
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    posts: Mapped[list[Post]] = relationship(secondary=post_tags, back_populates="tags")


class Media(Model):
    """An uploaded picture: what the author sent, decoded and described; its files are the variants."""

    __tablename__ = "media"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the bytes as uploaded: the same file uploaded twice is one entry in the library.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))  # Pillow's name: JPEG, PNG, WEBP, GIF
    mime_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(String(500), default="")
    decorative: Mapped[bool] = mapped_column(Boolean, default=False)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    uploader: Mapped[User | None] = relationship()
    variants: Mapped[list[MediaVariant]] = relationship(
        back_populates="media",
        order_by="[MediaVariant.width, MediaVariant.format]",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def full_size(self) -> MediaVariant:
        """The largest version in the uploaded format: the one the editor links to."""
        own = [v for v in self.variants if v.format == self.format] or self.variants
        return max(own, key=lambda v: v.width)

    @property
    def thumbnail(self) -> MediaVariant:
        return min(self.variants, key=lambda v: (v.width, v.format != "WEBP"))


class MediaVariant(Model):
    """One stored file of a picture: a width in a format, under a content-hashed name."""

    __tablename__ = "media_variants"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    # The file's name in /media/<name>: a hash of its bytes, its width and extension.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    format: Mapped[str] = mapped_column(String(10))
    mime_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    # The bytes themselves with MEDIA_STORAGE=database; None when they live on the filesystem.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    media: Mapped[Media] = relationship(back_populates="variants")


class Post(Model):
    __tablename__ = "posts"
    # AUTOINCREMENT: on SQLite an id, once used, is never handed out again (an old link never finds
    # another post). PostgreSQL sequences already behave so.
    __table_args__ = (
        # Listings, their counts and neighbours read this index alone (newest first, ties by id).
        Index("ix_posts_kind_is_draft_published_at_id", "kind", "is_draft", "published_at", "id"),
        # The archive's month list: one GROUP BY over this index.
        Index("ix_posts_kind_is_draft_published_month", "kind", "is_draft", "published_month", "published_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once on save; the only HTML the templates mark safe.
    body_html: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(String(300))
    reading_minutes: Mapped[int] = mapped_column(Integer, default=1)
    is_draft: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[PostKind] = mapped_column(String(10), default=PostKind.POST, server_default=PostKind.POST, index=True)

    comments_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The picture shown above the title, on listing cards and in link previews; deleting it clears this.
    featured_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"), index=True)
    # Empty: the picture's own alt text from the library is used.
    featured_alt: Mapped[str | None] = mapped_column(String(500))
    # Approved comments readers see, kept on write (recount_comments); listings read it with the post.
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The month of published_at in SITE_TIMEZONE as year * 100 + month (202611), kept on write: the archive's
    # month list is one aggregate over an index of it.
    published_month: Mapped[int | None] = mapped_column(Integer)

    author: Mapped[User] = relationship(back_populates="posts")
    featured_media: Mapped[Media | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, back_populates="posts", order_by="Tag.name")

    @classmethod
    def is_visible(cls, now=None):
        """SQL condition for posts readers may see: not a draft and already published.

        `now` may be a bind parameter, in a statement built once and bound per request."""
        return and_(
            cls.is_draft.is_(False),
            cls.published_at.is_not(None),
            cls.published_at <= (utcnow() if now is None else now),
        )

    @classmethod
    def is_listed(cls, now=None):
        """SQL condition for a published post that belongs in listings, feeds, archives, counts and neighbours.

        Pages are visible (at /<slug>, in search and the sitemap) but never listed.
        """
        return and_(cls.is_visible(now), cls.kind == PostKind.POST)

    @classmethod
    def will_be_listed(cls):
        """SQL: is_listed() now or once its publish time comes (an article, not a draft, with a time): what the
        stored listing counts hold (Tag.post_count, SiteState.post_count); a page subtracts the scheduled ones."""
        return and_(cls.is_draft.is_(False), cls.published_at.is_not(None), cls.kind == PostKind.POST)

    @property
    def is_page(self) -> bool:
        return self.kind == PostKind.PAGE

    @property
    def path(self) -> str:
        """Where this post lives on the site (see post_path)."""
        return post_path(self.kind, self.slug)

    @classmethod
    def owned_by(cls, user: User):
        """SQL twin of User.can_edit: the posts this user may edit (all of them for an admin)."""
        return true() if user.is_admin else cls.author_id == user.id

    @classmethod
    def has_status(cls, status: PostStatus):
        """SQL twin of `status`: the posts that are drafts, scheduled or published now."""
        draft = or_(cls.is_draft.is_(True), cls.published_at.is_(None))
        if status == PostStatus.DRAFT:
            return draft
        if status == PostStatus.SCHEDULED:
            return and_(not_(draft), cls.published_at > utcnow())
        return cls.is_visible()

    @property
    def status(self) -> PostStatus:
        if self.is_draft or self.published_at is None:
            return PostStatus.DRAFT
        if self.published_at > utcnow():
            return PostStatus.SCHEDULED
        return PostStatus.PUBLISHED

    @property
    def revised_at(self) -> datetime:
        """When readers' copy last changed: a post scheduled ahead is never revised before it appears."""
        if self.published_at is not None and self.published_at > self.updated_at:
            return self.published_at
        return self.updated_at

    @property
    def featured_image_alt(self) -> str:
        """The featured picture's alt text: the post's own, else the library's (empty when decorative)."""
        if self.featured_media is None:
            return ""
        return self.featured_alt or self.featured_media.alt_text

    def set_body(self, markdown_text: str) -> None:
        """Store the Markdown with its sanitised HTML and reading time."""
        self.body = markdown_text
        self.body_html = render_markdown(markdown_text)
        self.reading_minutes = reading_minutes(markdown_text)


def post_path(kind: str, slug: str) -> str:
    """The one rule for where a post lives: a page at /<slug>, an article at /posts/<slug>.

    A path as request.path has it (no script root, not percent-encoded): what the redirects table stores.
    posts/links.py builds the same address with url_for for links.
    """
    return f"/{slug}" if kind == PostKind.PAGE else f"/posts/{slug}"


class RevisionKind(StrEnum):
    SAVED = "saved"  # Save draft, Publish, Update or Unpublish in the editor
    AUTOSAVE = "autosave"  # the editor's own copy of unsaved text: one per post and author, never live
    RESTORED = "restored"  # an older revision copied back into the post


class PostRevision(Model):
    """A copy of a post's text as it was saved (or autosaved) at one time, by one author."""

    __tablename__ = "post_revisions"
    __table_args__ = (Index("ix_post_revisions_post_id_created_at", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default=RevisionKind.SAVED)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(String(300))
    # Tag names joined with ", " (names never hold a comma: the editor splits on them).
    tags: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()

    @property
    def tag_names(self) -> list[str]:
        return [name.strip() for name in self.tags.split(",") if name.strip()]


class Comment(Model):
    """A reader's comment; replies point at their parent and carry their thread's root and depth."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_id_status_created_at", "post_id", "status", "created_at"),
        # A post's top-level comments in page order (else SQLite reads every top-level comment of the blog).
        Index("ix_comments_post_id_parent_id_created_at_id", "post_id", "parent_id", "created_at", "id"),
        {"sqlite_autoincrement": True},
    )

    # DELETED is a placeholder: a deleted comment that still has replies, its name, address and text blanked.
    APPROVED, PENDING, SPAM, DELETED = (
        CommentStatus.APPROVED,
        CommentStatus.PENDING,
        CommentStatus.SPAM,
        CommentStatus.DELETED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    # The top-level comment of the thread (None for a top-level comment itself) and 1-based depth.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    held_reason: Mapped[str | None] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    post: Mapped[Post] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    @property
    def thread_root_id(self) -> int:
        return self.root_id or self.id

    @property
    def is_placeholder(self) -> bool:
        return self.status == Comment.DELETED

    # Which comments every reader sees, the SQL and its Python twin side by side: approved comments of
    # approved threads. Replies under a held reply are shown, replies under a held or spam top-level
    # comment are not; replies under a deleted one (a placeholder) are, and the placeholder itself never
    # counts. The page (comments/queries.py), the comment count and the comment feed all use this pair.
    THREAD_SHOWN = (CommentStatus.APPROVED, CommentStatus.DELETED)

    @classmethod
    def seen_by_readers(cls, thread_root) -> ColumnElement[bool]:
        """SQL: `thread_root` is an alias of Comment outer-joined on `thread_root.id == Comment.root_id`."""
        return and_(
            cls.status == CommentStatus.APPROVED,
            or_(cls.root_id.is_(None), thread_root.status.in_(Comment.THREAD_SHOWN)),
        )

    def is_seen_by_readers(self, thread_root: Comment | None) -> bool:
        """Python twin of seen_by_readers, for a comment loaded with its thread's top-level comment."""
        return self.status == CommentStatus.APPROVED and (
            self.root_id is None or (thread_root is not None and thread_root.status in Comment.THREAD_SHOWN)
        )


# The comment count readers see, kept on the post row (a listing reads it with the post, no subquery): every
# flush that adds, changes or deletes comments recounts their posts, and so does a bulk update() or
# delete() of comments run through the session (see keep_comment_counts below).
_thread_root = aliased(Comment)


def comment_count_of(post_id) -> ColumnElement[int]:
    """SQL: how many comments readers see on this post (Comment.seen_by_readers), for the stored count."""
    return (
        select(func.count(Comment.id))
        .outerjoin(_thread_root, _thread_root.id == Comment.root_id)
        .where(Comment.post_id == post_id, Comment.seen_by_readers(_thread_root))
        .scalar_subquery()
    )


def recount_comments(connection, post_ids) -> None:
    """Store the readers' comment count of these posts."""
    ids = sorted({i for i in post_ids if i is not None})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        # updated_at set to itself: a comment is not an edit of the post (its onupdate would say so).
        connection.execute(
            update(Post)
            .where(Post.id.in_(chunk))
            .values(comment_count=comment_count_of(Post.id), updated_at=Post.updated_at)
        )


class ContactMessage(Model):
    """A visitor's message to the site's owner, stored before any attempt to mail it."""

    __tablename__ = "contact_messages"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    client_address: Mapped[str | None] = mapped_column(String(45))
    is_read: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    mails: Mapped[list[OutboxMail]] = relationship(back_populates="contact_message", order_by="OutboxMail.id")


class OutboxMail(Model):
    """A mail to send over SMTP: the one way the app sends mail, retried until sent or given up."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    QUEUED, SENDING, SENT, FAILED = MailStatus.QUEUED, MailStatus.SENDING, MailStatus.SENT, MailStatus.FAILED

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addresses: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(254))
    # The HTML alternative of `body` (None: plain text only) and extra headers as a JSON object
    # (List-Unsubscribe, Auto-Submitted ...), both built when the mail is queued.
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A sender holds a claim until this time; a crashed sender's claim runs out and the mail is retried.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_messages.id", ondelete="SET NULL"), index=True
    )
    # What the mail is (its template's name: "password_reset", "failed_mail_alert" ...); None for older rows.
    kind: Mapped[str | None] = mapped_column(String(40))

    contact_message: Mapped[ContactMessage | None] = relationship(back_populates="mails")


class Redirect(Model):
    """An old path (a changed slug, an imported site's URL) that answers 301 to a post."""

    __tablename__ = "redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_path: Mapped[str] = mapped_column(String(500), unique=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()


class RecoveryCode(Model):
    """One of an author's one-time recovery codes for two-factor login; only its digest is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportedItem(Model):
    """One author, post or comment an import wrote, keyed by where it came from: a second run adds nothing."""

    __tablename__ = "imported_items"
    __table_args__ = (UniqueConstraint("source", "kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "wordpress:<site url>" or "blogger:<blog id>"
    source: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # post, comment or author (pages are posts)
    source_id: Mapped[str] = mapped_column(String(200))
    # The row it became (posts.id, comments.id or users.id); no foreign key: deleting it later is fine.
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NavItem(Model):
    """One link of the site's header navigation: a page (post_id) or, later, a custom link (url)."""

    __tablename__ = "nav_items"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower first; a new item goes after the last one.
    position: Mapped[int] = mapped_column(Integer, index=True)
    # A page's link shows the page's current title; the label is kept for links that have no page.
    label: Mapped[str] = mapped_column(String(200))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str | None] = mapped_column(String(500))

    post: Mapped[Post | None] = relationship()


class ReaderSubscription(Model):
    """A reader's email that asked for reply mails: nothing but the confirmation goes to it until confirmed.

    One row per address (stored lower-case). Unsubscribing from everything keeps the row, so a later
    tick of the box has to be confirmed again and the confirmation mail stays throttled.
    """

    __tablename__ = "reader_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the last confirmation mail was queued: one per NOTIFY_CONFIRM_RESEND_MINUTES at most.
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:
        """Confirmed and not unsubscribed from everything: reply mails may go."""
        return self.confirmed_at is not None and self.unsubscribed_at is None


class ReplyWatch(Model):
    """A comment whose poster ticked "Email me when someone replies"."""

    __tablename__ = "reply_watches"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), unique=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("reader_subscriptions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscription: Mapped[ReaderSubscription] = relationship()


class ThreadMute(Model):
    """A reader who unsubscribed from one thread (a top-level comment and every reply under it)."""

    __tablename__ = "thread_mutes"
    __table_args__ = (Index("uq_thread_mutes_subscription_id_thread_id", "subscription_id", "thread_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("reader_subscriptions.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingReplyMail(Model):
    """A reply waiting to go into its reader's next digest for that thread; deleted when the digest is made."""

    __tablename__ = "pending_reply_mails"
    __table_args__ = (
        Index("uq_pending_reply_mails_subscription_id_reply_id", "subscription_id", "reply_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("reader_subscriptions.id", ondelete="CASCADE"))
    # A reply deleted before its digest goes takes its row with it.
    reply_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteState(Model):
    """One row: the content version every cached page is checked against, and when it next changes by itself.

    blog/content_version.py bumps `content_version` in the same transaction as any write a reader could
    see; `next_publish_at` is the earliest scheduled post still to appear (None: none is scheduled).
    """

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Articles listed or scheduled to be (Post.will_be_listed), kept on write (blog/listing_counts.py) so the
    # archive never counts every post; None: not known (the row was made again), count the long way.
    post_count: Mapped[int | None] = mapped_column(Integer)
    # The search index needs `flask search reindex` (a migration changed what it holds); the language its
    # words were stemmed in by the last reindex (None: never reindexed, the writes' own language).
    search_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    search_language: Mapped[str | None] = mapped_column(String(16))
    # What the owner set on /admin/settings (blog/site_settings.py): read with the version, in the same
    # query; a setting missing here follows its environment variable.
    settings: Mapped[dict | None] = mapped_column(JSON)


class ArchiveMonth(Model):
    """A month of the archive's month list: its articles listed or scheduled to be, kept on write
    (blog/listing_counts.py), so the list is read from these rows, never from every post."""

    __tablename__ = "archive_months"

    # year * 100 + month in SITE_TIMEZONE, as Post.published_month.
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SearchWord(Model):
    """The search index's vocabulary, for "Did you mean": every indexed word (letters only, as written, in
    lower case without diacritics) under itself and under each string one deletion away from it.

    Kept by blog/search/index.py as posts are written (only ever added to; `search reindex` starts it afresh),
    so a word that has left every post may stay until then: suggestions are counted before they are offered.
    """

    __tablename__ = "search_words"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    word: Mapped[str] = mapped_column(String(40), primary_key=True)


class SettingsChange(Model):
    """One change made on /admin/settings or /admin/navigation: who, which setting, from what to what, when."""

    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    setting: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(String(1000), default="")
    new_value: Mapped[str] = mapped_column(String(1000), default="")

    user: Mapped[User | None] = relationship()


def month_key(published_at: datetime | None) -> int | None:
    """year * 100 + month of a time in the site's time zone (UTC outside an app)."""
    if published_at is None:
        return None
    from zoneinfo import ZoneInfo

    from flask import current_app, has_app_context

    zone = ZoneInfo(current_app.config["SITE_TIMEZONE"]) if has_app_context() else UTC
    local = published_at.astimezone(zone)
    return local.year * 100 + local.month


@event.listens_for(Session, "before_flush")
def keep_published_month(session: Session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Post):
            key = month_key(obj.published_at)
            if obj.published_month != key:
                obj.published_month = key


@event.listens_for(Session, "before_flush")
def note_comment_changes(session: Session, flush_context, instances) -> None:
    """Remember the comments this flush writes (a new one knows its post id only after the flush)."""
    noted = session.info.setdefault("recount_comments", [])
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Comment):
            noted.append(obj)
            # A comment moved to another post (never done today) changes both counts.
            noted.extend(i for i in inspect(obj).attrs.post_id.history.deleted or () if i is not None)


@event.listens_for(Session, "after_flush_postexec")
def keep_comment_counts(session: Session, flush_context) -> None:
    """After comments were written, store their posts' counts and let loaded posts read them again."""
    noted = session.info.pop("recount_comments", [])
    post_ids = {item.post_id if isinstance(item, Comment) else item for item in noted}
    post_ids.discard(None)
    if not post_ids:
        return
    recount_comments(session.connection(), post_ids)
    expire_counts(session, post_ids)


def expire_counts(session: Session, post_ids: set[int]) -> None:
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Post) and obj.id in post_ids:
            session.expire(obj, ["comment_count"])


@event.listens_for(Session, "do_orm_execute")
def recount_after_bulk_statements(state) -> None:
    """A bulk update() or delete() of comments (bulk moderation) recounts the posts it touched."""
    statement = state.statement
    if not (state.is_update or state.is_delete) or getattr(getattr(statement, "table", None), "name", "") != "comments":
        return None
    table = Comment.__table__
    before = select(table.c.post_id).distinct()
    if statement.whereclause is not None:
        before = before.where(statement.whereclause)
    post_ids = set(state.session.execute(before).scalars())
    result = state.invoke_statement()
    if post_ids:
        recount_comments(state.session.connection(), post_ids)
        expire_counts(state.session, post_ids)
    return result
