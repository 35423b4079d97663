"""Markdown to HTML, rendered once on save and sanitised with nh3 to an allow-list."""

import math
import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Raw HTML in the source is shown as text, not passed through; nh3 is the second line of defence.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def _shift_headings(tokens) -> None:
    """The page's title is the only <h1>: the body's top heading level becomes <h2>."""
    levels = [int(t.tag[1]) for t in tokens if t.type in ("heading_open", "heading_close")]
    if not levels:
        return
    offset = 2 - min(levels)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + offset)}"


def render_markdown(text: str) -> str:
    tokens = _md.parse(text)
    _shift_headings(tokens)
    html = _md.renderer.render(tokens, _md.options, {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


WORDS_PER_MINUTE = 220


def reading_minutes(text: str) -> int:
    return max(1, math.ceil(len(re.findall(r"\w+", text)) / WORDS_PER_MINUTE))


def plain_text(html: str) -> str:
    """The visible text of sanitised HTML, on one line."""
    from html import unescape

    return " ".join(unescape(nh3.clean(html, tags=set())).split())


# Comments get a small subset: paragraphs, emphasis, code, quotes, lists and links; no headings,
# images, tables or raw HTML. Links are marked as user content that search engines should not follow.
COMMENT_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
_comment_md = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["emphasis", "backticks", "blockquote", "list", "link", "fence", "code", "newline", "escape", "entity"]
)


def render_comment(text: str) -> str:
    html = _comment_md.render(text)
    return nh3.clean(html, tags=COMMENT_TAGS, attributes={"a": {"href"}, "ol": {"start"}},
                     url_schemes=URL_SCHEMES, link_rel="nofollow ugc noopener")
