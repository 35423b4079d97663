"""Reading a Blogger export: the classic Atom backup and the Takeout feed.atom, one entry at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from lxml import etree  # type: ignore[import-untyped]

from .items import ImportedAuthor, ImportedComment, ImportedPost, ImportedSource, ImportFailed, Skipped
from .xmlsource import ExportParser, release, split_tag

ATOM = "http://www.w3.org/2005/Atom"
TAKEOUT = "http://schemas.google.com/blogger/2018"
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
KIND_PREFIX = "http://schemas.google.com/blogger/2008/kind#"
THREAD = "http://purl.org/syndication/thread/1.0"
_BLOG_ID = re.compile(r"blog-(\d+)")
_ITEM_ID = re.compile(r"post-(\d+)$")
TAKEOUT_POST_STATUSES = {"LIVE": "published", "DRAFT": "draft", "SCHEDULED": "scheduled", "SOFT_TRASHED": "trash"}
TAKEOUT_COMMENT_STATUSES = {
    "LIVE": "approved",
    "PENDING": "pending",
    "SPAM_COMMENT": "spam",
    "SPAM": "spam",
    "SOFT_TRASHED": "trash",
    "DELETED": "trash",
}
NO_EMAIL = {"", "noreply@blogger.com"}


def is_atom_feed(root: etree._Element) -> bool:
    return root.tag == f"{{{ATOM}}}feed"


def item_id(value: str) -> str:
    """Blogger ids ("tag:blogger.com,1999:blog-1.post-2", or a bare number, or a feed URL) as the number."""
    value = value.strip().rstrip("/")
    found = _ITEM_ID.search(value)
    if found:
        return found.group(1)
    return value.rsplit("/", 1)[-1]


def parse_time(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _local(element: etree._Element) -> tuple[str | None, str]:
    return split_tag(element.tag) if isinstance(element.tag, str) else (None, "")


def _children(entry: etree._Element) -> dict[str, list[etree._Element]]:
    """Children by local name ("takeout:" prefixed for Blogger's own namespace), namespaces of Atom and app."""
    found: dict[str, list[etree._Element]] = {}
    for child in entry:
        namespace, local = _local(child)
        if not local:
            continue
        key = f"takeout:{local}" if namespace == TAKEOUT else local
        found.setdefault(key, []).append(child)
    return found


def _text(children: dict[str, list[etree._Element]], name: str) -> str:
    found = children.get(name)
    return (found[0].text or "").strip() if found else ""


def read(parser: ExportParser, root: etree._Element) -> Iterator[object]:
    takeout = TAKEOUT in root.nsmap.values()
    blog_id = None
    for event, element in parser:
        namespace, local = _local(element)
        if event == "start":
            if local == "entry":
                parser.item_started(element.sourceline, "an entry")
            continue
        parent = element.getparent()
        if parent is None or parent is not root:
            continue
        if local == "id" and blog_id is None:
            found = _BLOG_ID.search(element.text or "")
            if not found:
                raise ImportFailed(
                    f"{parser.path}: an Atom feed, but not a Blogger export (its id is not a blogger.com one)."
                )
            blog_id = found.group(1)
            label = "Blogger Takeout export (feed.atom)" if takeout else "Blogger export (classic Atom)"
            yield ImportedSource(key=f"blogger:{blog_id}", label=label)
        elif local == "entry":
            if blog_id is None:
                raise ImportFailed(f"{parser.path}: an Atom feed, but not a Blogger export (no blogger.com feed id).")
            children = _children(element)
            parser.name_last_item(f"entry {_text(children, 'title') or _text(children, 'id')!r}")
            yield from _entry(children, element.sourceline)
        release(element)
    if blog_id is None:
        raise ImportFailed(f"{parser.path}: an Atom feed, but not a Blogger export (no blogger.com feed id).")


def _kind(children: dict[str, list[etree._Element]]) -> str:
    """POST, PAGE, COMMENT (or SETTINGS, TEMPLATE ...): Takeout's blogger:type, or the classic kind category."""
    if children.get("takeout:type"):
        return _text(children, "takeout:type").upper()
    for category in children.get("category", []):
        if category.get("scheme") == KIND_SCHEME:
            return (category.get("term") or "").removeprefix(KIND_PREFIX).upper()
    return ""


def _entry(children: dict[str, list[etree._Element]], line: int | None) -> Iterator[object]:
    kind = _kind(children)
    source_id = item_id(_text(children, "id"))
    title = _text(children, "title")
    author_name, author_email = "", ""
    for author in children.get("author", [])[:1]:
        for child in author:
            if _local(child)[1] == "name":
                author_name = (child.text or "").strip()
            elif _local(child)[1] == "email":
                author_email = (child.text or "").strip()
    content = children.get("content")
    body = (content[0].text or "") if content else ""
    published = parse_time(_text(children, "published"))
    if kind in ("POST", "PAGE"):
        yield from _post(children, kind, source_id, title, body, published, author_name, author_email, line)
    elif kind == "COMMENT":
        yield _comment(children, source_id, body, published, author_name, author_email, line)
    elif kind in ("SETTINGS", "TEMPLATE", "LAYOUT", ""):
        return  # the blog's settings and theme: nothing a reader sees as content
    else:
        yield Skipped(what=f"{kind.lower()} entries", why="only posts, pages and comments are imported")


def _old_path(children: dict[str, list[etree._Element]]) -> str | None:
    filename = _text(children, "takeout:filename")
    if filename:
        return unquote(urlsplit(filename).path) or None
    for link in children.get("link", []):
        if link.get("rel") == "alternate" and link.get("href"):
            return unquote(urlsplit(link.get("href", "")).path) or None
    return None


def _post(children, kind, source_id, title, body, published, author_name, author_email, line) -> Iterator[object]:
    if children.get("takeout:status"):
        raw = _text(children, "takeout:status").upper()
        status = TAKEOUT_POST_STATUSES.get(raw, "draft")
    else:
        draft = ""
        for control in children.get("control", []):
            for child in control:
                if _local(child)[1] == "draft":
                    draft = (child.text or "").strip().lower()
        raw = "DRAFT" if draft == "yes" else "LIVE"
        status = "draft" if draft == "yes" else "published"
    if status == "published" and published is not None and published > datetime.now(UTC):
        status = "scheduled"
    old_path = _old_path(children)
    slug = ""
    if old_path:
        slug = old_path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")
    tags = [
        " ".join((category.get("term") or "").split())
        for category in children.get("category", [])
        if category.get("scheme") != KIND_SCHEME and (category.get("term") or "").strip()
    ]
    post = ImportedPost(
        source_id=source_id,
        kind="page" if kind == "PAGE" else "post",
        title=title,
        slug=slug,
        body_html=body,
        status=status,
        published_at=published if status != "draft" else None,
        updated_at=parse_time(_text(children, "updated")),
        author_ref=(author_email if author_email not in NO_EMAIL else None) or (author_name or None),
        author_name=author_name,
        tags=tags,
        old_paths=[old_path] if old_path else [],
        line=line,
    )
    if raw not in TAKEOUT_POST_STATUSES and raw != "LIVE":
        post.notes.append(f"status {raw!r} imported as a draft")
    if author_name:
        yield ImportedAuthor(
            source_id=post.author_ref or author_name,
            email=author_email if author_email not in NO_EMAIL else "",
            name=author_name,
        )
    yield post


def _comment(children, source_id, body, published, author_name, author_email, line) -> ImportedComment:
    post_id, parent_id = "", None
    if children.get("takeout:parent"):
        post_id = item_id(_text(children, "takeout:parent"))
        reply_to = _text(children, "takeout:inReplyTo")
        parent_id = item_id(reply_to) if reply_to else None
        status = TAKEOUT_COMMENT_STATUSES.get(_text(children, "takeout:status").upper() or "LIVE", "pending")
    else:
        for reply in children.get("in-reply-to", []):
            post_id = item_id(reply.get("ref") or "")
        for link in children.get("link", []):
            if link.get("rel") == "related" and link.get("href"):
                parent_id = item_id(link.get("href", ""))
        status = "approved"
    return ImportedComment(
        source_id=source_id,
        post_source_id=post_id,
        parent_source_id=parent_id if parent_id and parent_id != post_id else None,
        name=author_name,
        email=author_email if author_email not in NO_EMAIL else "",
        body_html=body,
        created_at=published,
        status=status,
        line=line,
    )
