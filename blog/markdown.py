"""Markdown to HTML, rendered once on save and sanitised with nh3 to an allow-list."""

import math
import re
from html import escape

import nh3
from flask import has_app_context
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "picture",
    "source",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "srcset", "sizes", "width", "height", "loading", "decoding"},
    "source": {"type", "srcset", "sizes"},
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


# The article column is at most about 42rem wide; below that the picture spans the screen.
IMAGE_SIZES = "(max-width: 45rem) 100vw, 42rem"
_OWN_MEDIA = re.compile(r"/media/([^/?#]+)")


def _image_sources(tokens) -> set[str]:
    names = set()
    for token in tokens:
        for child in token.children or ():
            if child.type == "image":
                found = _OWN_MEDIA.fullmatch(child.attrGet("src") or "")
                if found:
                    names.add(found.group(1))
    return names


def _render_image(self, tokens, idx, options, env):
    """Our own pictures become a responsive <picture>; any other image stays a plain <img>."""
    token = tokens[idx]
    env["images_seen"] = env.get("images_seen", 0) + 1
    found = _OWN_MEDIA.fullmatch(token.attrGet("src") or "")
    image = env.get("media", {}).get(found.group(1)) if found else None
    if image is None:
        return self.image(tokens, idx, options, env)
    alt = escape(self.renderInlineAsText(token.children or [], options, env))
    title = f' title="{escape(token.attrGet("title"))}"' if token.attrGet("title") else ""
    # The first picture is likely on screen at once: loading it lazily would delay it.
    lazy = ' loading="lazy"' if env["images_seen"] > 1 else ""
    srcset = ", ".join(f"{url} {width}w" for url, width in image.fallback)
    webp = ""
    if image.webp:
        webp_srcset = ", ".join(f"{url} {width}w" for url, width in image.webp)
        webp = f'<source type="image/webp" srcset="{webp_srcset}" sizes="{IMAGE_SIZES}">'
    return (
        f'<picture>{webp}<img src="{image.src}" srcset="{srcset}" sizes="{IMAGE_SIZES}" '
        f'width="{image.width}" height="{image.height}" alt="{alt}"{title}{lazy} decoding="async"></picture>'
    )


_md.add_render_rule("image", _render_image)


def _our_media(names: set[str]) -> dict:
    """Our pictures for these names, read at render time (the body is rendered once, on save)."""
    if not names or not has_app_context():
        return {}
    from .extensions import db
    from .media.services import responsive_images  # models import this module: a top-level import cycles

    # A new post is in the session before its body is rendered: flushing it now would insert it half-filled.
    with db.session.no_autoflush:
        return responsive_images(names)


def render_markdown(text: str) -> str:
    tokens = _md.parse(text)
    _shift_headings(tokens)
    env = {"media": _our_media(_image_sources(tokens))}
    html = _md.renderer.render(tokens, _md.options, env)
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
    return nh3.clean(
        html,
        tags=COMMENT_TAGS,
        attributes={"a": {"href"}, "ol": {"start"}},
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    )
