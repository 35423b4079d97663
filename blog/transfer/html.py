"""Imported bodies made safe and editable: block comments and shortcodes out, sanitised, and as Markdown."""

from __future__ import annotations

import re

import nh3
from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html
from markdownify import markdownify

from ..markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, render_comment

_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
# Shortcodes that wrap the content to keep ([caption] around a picture and its caption) or show code.
KEPT_SHORTCODES = {"caption", "wp_caption"}
CODE_SHORTCODES = {"code", "sourcecode"}
# Shortcodes with no meaning here: dropped with whatever they wrap, and reported by name. Only known names
# count as shortcodes, so "[sic]" or "[1]" in an article stays as written.
DROPPED_SHORTCODES = {
    "gallery",
    "embed",
    "audio",
    "video",
    "playlist",
    "youtube",
    "vimeo",
    "soundcloud",
    "spotify",
    "twitter",
    "tweet",
    "instagram",
    "googlemaps",
    "contact-form",
    "contact-field",
    "contact-form-7",
    "polldaddy",
    "slideshare",
    "scribd",
    "archives",
    "sitemap",
    "recipe",
    "latex",
    "wpvideo",
    "dailymotion",
    "ted",
    "flickr",
}
_SHORTCODE = re.compile(r"\[(/?)([a-zA-Z][\w-]*)((?:\s[^\]]*)?)\]")
_BLOCK_START = re.compile(
    r"^\s*<(?:p|div|h[1-6]|ul|ol|li|table|blockquote|pre|figure|hr|dl|section|article|header|footer|address|form)\b",
    re.IGNORECASE,
)
_BLOCK_END = re.compile(r"(</(?:p|li|h[2-6]|tr|th|td|blockquote|pre|ul|ol|table)>)(?!\n)", re.IGNORECASE)
_HEADING = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)


def strip_shortcodes(html: str) -> tuple[str, list[str]]:
    """Known shortcodes out ([caption] keeps its content, [code] becomes a code block); the dropped names."""
    dropped: list[str] = []
    out: list[str] = []
    position = 0
    skip_until: str | None = None
    for found in _SHORTCODE.finditer(html):
        closing, name = found.group(1), found.group(2).lower()
        known = name in KEPT_SHORTCODES or name in CODE_SHORTCODES or name in DROPPED_SHORTCODES
        if not known:
            continue
        if skip_until is not None:
            if closing and name == skip_until:
                skip_until, position = None, found.end()
            continue
        out.append(html[position : found.start()])
        position = found.end()
        if name in KEPT_SHORTCODES:
            continue
        if name in CODE_SHORTCODES:
            out.append("</pre>" if closing else "<pre>")
            continue
        if not closing:
            dropped.append(name)
            # An enclosing shortcode ([embed]url[/embed]) goes with its content.
            if re.search(rf"\[/{re.escape(found.group(2))}\]", html[found.end() :]):
                skip_until = name
    out.append(html[position:] if skip_until is None else "")
    return "".join(out), list(dict.fromkeys(dropped))


def paragraphs(html: str) -> str:
    """WordPress's classic editor stores text with blank lines for paragraphs: make them <p> (wpautop)."""
    if "\n" not in html:
        return html if _BLOCK_START.match(html) or not html.strip() else f"<p>{html}</p>"
    blocks = []
    for chunk in re.split(r"\n\s*\n", html.strip()):
        if _BLOCK_START.match(chunk):
            blocks.append(chunk)
        elif chunk.strip():
            blocks.append("<p>" + chunk.strip().replace("\n", "<br>\n") + "</p>")
    return "\n".join(blocks)


def shift_headings(html: str) -> str:
    """The page's title is the only <h1>: a body that has its own <h1> moves every heading one level down."""
    if not re.search(r"<h1\b", html, re.IGNORECASE):
        return html
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 1)}", html)


BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
    "blockquote", "pre", "figure", "figcaption", "hr", "dl", "section", "article", "header", "footer", "address",
    "form", "aside",
}  # fmt: skip
# Containers the allow-list drops: with only text and inline elements inside they become paragraphs.
CONTAINERS = ("div", "section", "article", "figure", "figcaption", "header", "footer", "aside", "address")


def restructure(html: str) -> str:
    """Old editors' markup in the allow-list's terms: <b>/<i> as <strong>/<em>, text-only <div>s as
    paragraphs (Blogger writes whole posts in them), loose text and line breaks at the top in paragraphs."""
    if not html.strip():
        return ""
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    for element in list(root.iter("script", "style", "template", "noscript")):
        element.drop_tree()  # nh3 would drop them too, but not the empty paragraph around them
    for element in root.iter("b", "i"):
        element.tag = "strong" if element.tag == "b" else "em"
    for element in list(root.iter(*CONTAINERS)):
        if element is root:
            continue
        if any(isinstance(child.tag, str) and child.tag in BLOCK_TAGS for child in element.iterdescendants()):
            element.drop_tag()
        else:
            element.tag = "p"
    out: list[str] = []
    loose: list[str] = [root.text or ""]
    for child in root:
        if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
            _close_paragraph(loose, out)
            tail, child.tail = child.tail, None
            out.append(lxml_html.tostring(child, encoding="unicode"))
            loose = [tail or ""]
        else:
            loose.append(lxml_html.tostring(child, encoding="unicode"))
    _close_paragraph(loose, out)
    return "\n".join(out)


def _close_paragraph(loose: list[str], out: list[str]) -> None:
    text = "".join(loose).strip()
    text = re.sub(r"^(?:<br\s*/?>\s*)+|(?:<br\s*/?>\s*)+$", "", text)
    if text:
        out.append(f"<p>{text}</p>")


def clean_body(html: str, *, wordpress: bool) -> tuple[str, list[str]]:
    """Safe HTML of an imported post, by the site's allow-list; the shortcodes it dropped."""
    html = _BLOCK_COMMENT.sub("", html)
    dropped: list[str] = []
    if wordpress:
        html, dropped = strip_shortcodes(html)
        html = paragraphs(html)
    html = shift_headings(restructure(html))
    cleaned = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer"
    )
    # A line break after each block, so the plain text (excerpt, search index) keeps its words apart.
    cleaned = re.sub(r"<p>(?:\s|<br>)*</p>\n?", "", cleaned)
    return _BLOCK_END.sub("\\1\n", cleaned).strip(), dropped


def to_markdown(html: str) -> str:
    """The Markdown the editor shows for an imported body (markdownify), ATX headings and "-" bullets."""
    text = markdownify(html, heading_style="ATX", bullets="-", escape_underscores=False, escape_asterisks=True)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def comment_markdown(html: str) -> str:
    """An imported comment's text as the Markdown a commenter would have typed (links and emphasis kept)."""
    html = _BLOCK_COMMENT.sub("", html).strip()
    if not re.search(r"<[a-zA-Z/]", html):
        return html  # plain text with line breaks, as WordPress stores most comments
    safe = nh3.clean(
        paragraphs(html),
        tags={"p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a"},
        attributes={"a": {"href"}},
        url_schemes=URL_SCHEMES,
    )
    return to_markdown(safe).strip()


def comment_html(markdown_text: str) -> str:
    """Rendered and sanitised exactly as a comment written on the site."""
    return render_comment(markdown_text)
