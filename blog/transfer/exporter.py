"""The WordPress export (WXR 1.2) of the whole blog, written as a stream of text chunks.

The shape follows WordPress's own wp-admin/includes/export.php (WXR 1.2, with post_modified since 5.7),
so WordPress's importer and anything that reads WordPress exports can read it. What WXR has no place for
goes into elements of our own namespace, which other readers ignore and our importer reads back:
`blog:markdown` (the Markdown source of a post), `blog:old_path` (an old address that redirects to it) and
`blog:comment_deleted` (a deleted comment kept as a placeholder because it has replies).

Rows are read in keyset pages (never ORM objects), so memory stays flat whatever the blog's size.
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime as rfc2822
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, url_for

from ..extensions import db
from ..models import CommentStatus, PostKind, utcnow
from ..posts.links import post_endpoint
from ..templating import site_tagline
from . import exporter_queries as queries

WXR_VERSION = "1.2"
BLOG_NAMESPACE = "urn:x-flask-blog:export:1"
NAMESPACES = {
    "excerpt": f"http://wordpress.org/export/{WXR_VERSION}/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": f"http://wordpress.org/export/{WXR_VERSION}/",
    "blog": BLOG_NAMESPACE,
}
BATCH_SIZE = 200
# WordPress's own value for "no GMT date" (a draft that was never published).
NO_DATE = "0000-00-00 00:00:00"

# Characters XML 1.0 cannot carry at all, even escaped: dropped rather than making the file unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    return escape(_NOT_XML.sub("", str(value)))


def cdata(value: str | None) -> str:
    """A CDATA section; "]]>" inside is split across two sections, as WordPress's wxr_cdata does."""
    text = _NOT_XML.sub("", value or "")
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def element(name: str, value: object, *, as_cdata: bool = True) -> str:
    if as_cdata:
        return f"<{name}>{cdata(str(value))}</{name}>"
    return f"<{name}>{xml_text(value)}</{name}>"


@dataclass
class ExportCounts:
    posts: int = 0
    pages: int = 0
    comments: int = 0
    tags: int = 0
    authors: int = 0
    redirects: int = 0

    def summary(self) -> str:
        return (
            f"{self.posts} post(s), {self.pages} page(s), {self.comments} comment(s), {self.tags} tag(s), "
            f"{self.authors} author(s), {self.redirects} redirect(s)"
        )


def site_base_url() -> str:
    """SITE_URL, else the address of the request being served, else localhost (a CLI run without SITE_URL)."""
    configured = current_app.config.get("SITE_URL")
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost"


class Dates:
    """A stored UTC time as WordPress writes it: local to the site, in GMT, and as RFC 2822 for pubDate."""

    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def local(self, value: datetime) -> str:
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    @staticmethod
    def gmt(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    @staticmethod
    def rss(value: datetime) -> str:
        return rfc2822(value.astimezone(UTC))


def wp_status(is_draft: bool, published_at: datetime | None, now: datetime) -> str:
    if is_draft or published_at is None:
        return "draft"
    return "future" if published_at > now else "publish"


COMMENT_APPROVED = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.SPAM: "spam",
    # A placeholder is shown in its thread (its replies hang under it): approved, with no name or words.
    CommentStatus.DELETED: "1",
}


def wxr_chunks(counts: ExportCounts | None = None, batch_size: int = BATCH_SIZE) -> Iterator[str]:
    """The export, piece by piece: the header and channel, then one chunk per post or page.

    Needs an app context; links are built with url_for, so a request context too (the CLI makes one).
    `counts`, when given, is filled in as the export goes.
    """
    counts = counts if counts is not None else ExportCounts()
    config = current_app.config
    base = site_base_url()
    dates = Dates(config["SITE_TIMEZONE"])
    now = utcnow()

    namespaces = "\n".join(f'\txmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
    head = [
        '<?xml version="1.0" encoding="UTF-8" ?>\n',
        "<!-- This is a WordPress eXtended RSS file (WXR 1.2) written by the blog's exporter. -->\n",
        f'<rss version="2.0"\n{namespaces}\n>\n<channel>\n',
        f"\t{element('title', config['SITE_NAME'], as_cdata=False)}\n",
        f"\t{element('link', base, as_cdata=False)}\n",
        f"\t{element('description', site_tagline(), as_cdata=False)}\n",
        f"\t{element('pubDate', dates.rss(now), as_cdata=False)}\n",
        f"\t{element('language', config['SITE_LANGUAGE'], as_cdata=False)}\n",
        f"\t<wp:wxr_version>{WXR_VERSION}</wp:wxr_version>\n",
        f"\t{element('wp:base_site_url', base, as_cdata=False)}\n",
        f"\t{element('wp:base_blog_url', base, as_cdata=False)}\n",
    ]
    yield "".join(head)

    parts = []
    for author_id, email, name in db.session.execute(queries.authors()):
        counts.authors += 1
        parts.append(
            "\t<wp:author>"
            f"<wp:author_id>{author_id}</wp:author_id>"
            f"{element('wp:author_login', email)}"
            f"{element('wp:author_email', email)}"
            f"{element('wp:author_display_name', name)}"
            f"{element('wp:author_first_name', '')}"
            f"{element('wp:author_last_name', '')}"
            "</wp:author>\n"
        )
    for tag_id, slug, name in db.session.execute(queries.tags()):
        counts.tags += 1
        parts.append(
            "\t<wp:tag>"
            f"<wp:term_id>{tag_id}</wp:term_id>"
            f"{element('wp:tag_slug', slug)}"
            f"{element('wp:tag_name', name)}"
            "</wp:tag>\n"
        )
    parts.append("\t<generator>flask-blog</generator>\n")
    yield "".join(parts)

    after_id = 0
    while True:
        posts = db.session.execute(queries.posts_after(after_id, batch_size)).all()
        if not posts:
            break
        ids = [post.id for post in posts]
        after_id = ids[-1]
        tags_by_post = defaultdict(list)
        for post_id, slug, name in db.session.execute(queries.tags_of(ids)):
            tags_by_post[post_id].append((slug, name))
        comments_by_post = defaultdict(list)
        for comment in db.session.execute(queries.comments_of(ids)):
            comments_by_post[comment.post_id].append(comment)
        paths_by_post = defaultdict(list)
        for post_id, old_path in db.session.execute(queries.redirects_to(ids)):
            paths_by_post[post_id].append(old_path)
        for post in posts:
            if post.kind == PostKind.PAGE:
                counts.pages += 1
            else:
                counts.posts += 1
            counts.comments += len(comments_by_post[post.id])
            counts.redirects += len(paths_by_post[post.id])
            yield item(post, tags_by_post[post.id], comments_by_post[post.id], paths_by_post[post.id], base, dates, now)
    yield "</channel>\n</rss>\n"


def post_path(kind: str, slug: str) -> str:
    """Where the post or page is read, as a link (percent-encoded, under the script root)."""
    return url_for(post_endpoint(kind), slug=slug)


def item(post, tags, comments, old_paths, base: str, dates: Dates, now: datetime) -> str:
    published_at = post.published_at
    date = published_at or post.created_at
    lines = [
        "\t<item>",
        f"\t\t{element('title', post.title)}",
        f"\t\t{element('link', base + post_path(post.kind, post.slug), as_cdata=False)}",
    ]
    if published_at is not None:
        lines.append(f"\t\t{element('pubDate', dates.rss(published_at), as_cdata=False)}")
    lines += [
        f"\t\t{element('dc:creator', post.author_email)}",
        f'\t\t<guid isPermaLink="false">{xml_text(f"{base}/?p={post.id}")}</guid>',
        "\t\t<description></description>",
        f"\t\t{element('content:encoded', post.body_html)}",
        f"\t\t{element('excerpt:encoded', post.excerpt)}",
        f"\t\t<wp:post_id>{post.id}</wp:post_id>",
        f"\t\t{element('wp:post_date', dates.local(date))}",
        f"\t\t{element('wp:post_date_gmt', dates.gmt(published_at) if published_at else NO_DATE)}",
        f"\t\t{element('wp:post_modified', dates.local(post.updated_at))}",
        f"\t\t{element('wp:post_modified_gmt', dates.gmt(post.updated_at))}",
        f"\t\t{element('wp:comment_status', 'open' if post.comments_open else 'closed')}",
        f"\t\t{element('wp:ping_status', 'closed')}",
        f"\t\t{element('wp:post_name', post.slug)}",
        f"\t\t{element('wp:status', wp_status(post.is_draft, published_at, now))}",
        "\t\t<wp:post_parent>0</wp:post_parent>",
        "\t\t<wp:menu_order>0</wp:menu_order>",
        f"\t\t{element('wp:post_type', 'page' if post.kind == PostKind.PAGE else 'post')}",
        f"\t\t{element('wp:post_password', '')}",
        "\t\t<wp:is_sticky>0</wp:is_sticky>",
    ]
    for slug, name in tags:
        nicename = quoteattr(_NOT_XML.sub("", slug))
        lines.append(f'\t\t<category domain="post_tag" nicename={nicename}>{cdata(name)}</category>')
    lines.append(f"\t\t{element('blog:markdown', post.body)}")
    for old_path in old_paths:
        lines.append(f"\t\t{element('blog:old_path', old_path)}")
    for comment in comments:
        lines.append(wxr_comment(comment, dates))
    lines.append("\t</item>\n")
    return "\n".join(lines)


def wxr_comment(comment, dates: Dates) -> str:
    deleted = comment.status == CommentStatus.DELETED
    parts = [
        "\t\t<wp:comment>",
        f"<wp:comment_id>{comment.id}</wp:comment_id>",
        element("wp:comment_author", "" if deleted else comment.name),
        element("wp:comment_author_email", "" if deleted else comment.email),
        element("wp:comment_author_url", ""),
        element("wp:comment_author_IP", "" if deleted else comment.client_address or ""),
        element("wp:comment_date", dates.local(comment.created_at)),
        element("wp:comment_date_gmt", dates.gmt(comment.created_at)),
        element("wp:comment_content", "" if deleted else comment.body),
        element("wp:comment_approved", COMMENT_APPROVED.get(comment.status, "0")),
        element("wp:comment_type", "comment"),
        f"<wp:comment_parent>{comment.parent_id or 0}</wp:comment_parent>",
        "<wp:comment_user_id>0</wp:comment_user_id>",
    ]
    if deleted:
        parts.append(element("blog:comment_deleted", "1", as_cdata=False))
    parts.append("</wp:comment>")
    return "".join(parts)


def file_stem(site_name: str, today: str) -> str:
    """`<site>-YYYY-MM-DD`, the site's name reduced to ASCII letters, digits and hyphens (safe in a header)."""
    stem = re.sub(r"[^a-z0-9]+", "-", site_name.lower()).strip("-") or "blog"
    return f"{stem}-{today}"


def export_filename(site_name: str, today: str) -> str:
    return file_stem(site_name, today) + ".xml"
