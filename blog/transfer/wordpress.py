"""Reading a WordPress export (WXR 1.0, 1.1, 1.2; self-hosted and WordPress.com), one item at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlsplit

from lxml import etree  # type: ignore[import-untyped]

from .items import ImportedAuthor, ImportedComment, ImportedPost, ImportedSource, Skipped
from .xmlsource import ExportParser, release, split_tag

WXR_NAMESPACE = re.compile(r"^https?://(?:www\.)?wordpress\.(?:org|com)/export/(1\.[0-2])/(excerpt/)?$")
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
# What our own exporter adds to WXR: the Markdown source, more old paths, deleted-comment placeholders.
OUR_NAMESPACE = "urn:x-flask-blog:export:1"

POST_STATUSES = {
    "publish": "published",
    "future": "scheduled",
    "draft": "draft",
    "pending": "draft",
    "private": "private",
    "trash": "trash",
}
COMMENT_STATUSES = {"1": "approved", "0": "pending", "spam": "spam", "trash": "trash", "post-trashed": "trash"}


def wxr_version(root: etree._Element) -> str | None:
    """The WXR version when the root declares a WordPress export namespace, else None."""
    for namespace in root.nsmap.values():
        found = WXR_NAMESPACE.match(namespace or "")
        if found and not found.group(2):
            return found.group(1)
    return None


def _family(namespace: str | None) -> str:
    if namespace is None:
        return ""
    found = WXR_NAMESPACE.match(namespace)
    if found:
        return "excerpt" if found.group(2) else "wp"
    return {CONTENT_NAMESPACE: "content", DC_NAMESPACE: "dc", OUR_NAMESPACE: "blog"}.get(namespace, "other")


class Fields:
    """An element's children by (namespace family, local name), whatever the WXR version's namespace."""

    def __init__(self, element: etree._Element):
        self.children: dict[tuple[str, str], list[etree._Element]] = {}
        for child in element:
            if isinstance(child.tag, str):
                namespace, local = split_tag(child.tag)
                self.children.setdefault((_family(namespace), local), []).append(child)

    def all(self, name: str) -> list[etree._Element]:
        family, _, local = name.rpartition(":")
        return self.children.get((family, local), [])

    def text(self, name: str) -> str:
        found = self.all(name)
        return (found[0].text or "").strip() if found else ""

    def raw(self, name: str) -> str:
        found = self.all(name)
        return found[0].text or "" if found else ""


def parse_time(value: str) -> datetime | None:
    """WordPress's "YYYY-MM-DD HH:MM:SS" (GMT columns) or an RSS date; the zero date of drafts is None."""
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def path_of(url: str) -> str:
    """The path (and query) of a URL as a request sees it: percent-escapes decoded."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path or "/")
    return f"{path}?{parts.query}" if parts.query else path


def read(parser: ExportParser, root: etree._Element, version: str) -> Iterator[object]:
    # Our own export: its post ids are this blog's, never WordPress's, so no /?p=<id> addresses are made up.
    ours = OUR_NAMESPACE in root.nsmap.values()
    site = ""
    announced = False
    for event, element in parser:
        if event == "start":
            if element.tag == "item":
                parser.item_started(element.sourceline, "an item")
            continue
        namespace, local = split_tag(element.tag)
        family = _family(namespace)
        parent = element.getparent()
        if parent is None or split_tag(parent.tag)[1] != "channel":
            continue
        if family == "" and local == "link" and not site:
            site = (element.text or "").strip()
        elif family == "wp" and local == "base_blog_url" and (element.text or "").strip():
            site = site or (element.text or "").strip()
        if not announced and (family, local) in {("wp", "author"), ("", "item"), ("wp", "category"), ("wp", "tag")}:
            yield ImportedSource(
                key=f"wordpress:{site.rstrip('/') or 'unknown'}", label=f"WordPress export (WXR {version})"
            )
            announced = True
        if family == "wp" and local == "author":
            fields = Fields(element)
            login = fields.text("wp:author_login")
            if login:
                yield ImportedAuthor(
                    source_id=login,
                    email=fields.text("wp:author_email"),
                    name=fields.text("wp:author_display_name") or login,
                )
        elif family == "" and local == "item":
            fields = Fields(element)
            parser.name_last_item(f"item {fields.text('title') or fields.text('wp:post_id')!r}")
            yield from _item(fields, element.sourceline, ours)
        release(element)
    if not announced:
        yield ImportedSource(
            key=f"wordpress:{site.rstrip('/') or 'unknown'}", label=f"WordPress export (WXR {version})"
        )


def _item(fields: Fields, line: int | None, ours: bool = False) -> Iterator[object]:
    title = fields.text("title")
    post_type = fields.text("wp:post_type") or "post"
    post_id = fields.text("wp:post_id")
    label = f"{post_type} {title!r}" if title else f"{post_type} {post_id or '(no id)'}"
    if post_type not in ("post", "page"):
        yield Skipped(what=f"{post_type} items", why="only posts and pages are imported (files stay where they are)")
        return
    if not post_id:
        yield Skipped(what=label, why="it has no wp:post_id", line=line)
        return
    wp_status = fields.text("wp:status") or "draft"
    if wp_status == "auto-draft":
        yield Skipped(what=label, why="an auto-draft WordPress saved by itself", line=line)
        return
    published = (
        parse_time(fields.text("wp:post_date_gmt"))
        or parse_time(fields.text("wp:post_date"))
        or parse_time(fields.text("pubDate"))
    )
    updated = parse_time(fields.text("wp:post_modified_gmt")) or parse_time(fields.text("wp:post_modified"))
    kind = "page" if post_type == "page" else "post"
    old_paths = []
    link = fields.text("link")
    if link:
        old_paths.append(path_of(link))
    guid = fields.text("guid")
    if not ours:
        old_paths.append(f"/?page_id={post_id}" if kind == "page" else f"/?p={post_id}")
        if guid and "?" in guid:
            old_paths.append(path_of(guid))
    old_paths += [
        element.text.strip() for element in fields.all("blog:old_path") if element.text and element.text.strip()
    ]
    tags = []
    for category in fields.all("category"):
        name = " ".join((category.text or "").split())
        if (
            name
            and category.get("domain", "category") in ("category", "post_tag")
            and category.get("nicename") != "uncategorized"
        ):
            tags.append(name)
    markdown = fields.all("blog:markdown")
    post = ImportedPost(
        source_id=post_id,
        kind=kind,
        title=title,
        slug=unquote(fields.text("wp:post_name")),
        body_html=fields.raw("content:encoded"),
        status=POST_STATUSES.get(wp_status, "draft"),
        published_at=published,
        updated_at=updated,
        excerpt=fields.text("excerpt:encoded"),
        comments_open=fields.text("wp:comment_status") != "closed",
        author_ref=fields.text("dc:creator") or None,
        tags=tags,
        old_paths=list(dict.fromkeys(old_paths)),
        markdown=(markdown[0].text or "") if markdown else None,
        line=line,
    )
    if wp_status not in POST_STATUSES:
        post.notes.append(f"status {wp_status!r} imported as a draft")
    for element in fields.all("wp:comment"):
        post.comments.append(_comment(Fields(element), post_id, element.sourceline))
    yield post


def _comment(fields: Fields, post_id: str, line: int | None) -> ImportedComment:
    parent = fields.text("wp:comment_parent")
    deleted = fields.text("blog:comment_deleted") == "1"
    return ImportedComment(
        source_id=fields.text("wp:comment_id"),
        post_source_id=post_id,
        parent_source_id=parent if parent and parent != "0" else None,
        name=fields.text("wp:comment_author"),
        email=fields.text("wp:comment_author_email"),
        body_html=fields.raw("wp:comment_content"),
        created_at=parse_time(fields.text("wp:comment_date_gmt")) or parse_time(fields.text("wp:comment_date")),
        status="deleted" if deleted else COMMENT_STATUSES.get(fields.text("wp:comment_approved") or "1", "pending"),
        kind=fields.text("wp:comment_type") or "comment",
        line=line,
    )
