"""What the export readers hand the importer: plain records, one per author, post, page or comment."""

from dataclasses import dataclass, field
from datetime import datetime


class ImportFailed(Exception):
    """The import cannot go on; the message is the one line the command prints."""


@dataclass
class ImportedSource:
    """Which blog the export comes from: `key` keys the imported items, so a second run adds nothing."""

    key: str
    label: str


@dataclass
class ImportedAuthor:
    source_id: str  # the login on WordPress, the name on Blogger
    email: str
    name: str


@dataclass
class ImportedComment:
    source_id: str
    post_source_id: str
    parent_source_id: str | None
    name: str
    email: str
    body_html: str
    created_at: datetime | None
    # approved, pending, spam, deleted (a placeholder that keeps its replies) or trash (skipped)
    status: str = "approved"
    # comment, pingback or trackback (the last two are counted and skipped)
    kind: str = "comment"
    line: int | None = None


@dataclass
class ImportedPost:
    source_id: str
    kind: str  # post or page
    title: str
    slug: str
    body_html: str
    status: str  # published, draft, scheduled, private, trash
    published_at: datetime | None = None
    updated_at: datetime | None = None
    excerpt: str = ""
    author_ref: str | None = None  # an ImportedAuthor's source_id, or an email
    author_name: str = ""
    tags: list[str] = field(default_factory=list)
    old_paths: list[str] = field(default_factory=list)
    comments_open: bool = True
    markdown: str | None = None  # our own exporter's Markdown source: used as the body when present
    comments: list[ImportedComment] = field(default_factory=list)
    line: int | None = None
    # Shortcodes and the like the reader already knows it drops, for the report.
    notes: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    """An item of the export that is not imported, and why."""

    what: str
    why: str
    line: int | None = None
