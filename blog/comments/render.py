"""The comment thread's HTML: fifty comments are the article page's hot loop, so they are written here.

In a Jinja macro each item cost about 190,000 CPU instructions (attribute look-ups through the
environment, a `call()` per filter and function, an escape per output): a quarter of a cold article.
Written as Python string building, every reader's text still goes through `escape()`, the translated
words are looked up once per page, and a moderator's buttons come from the same macro as the queue's
(comments/_moderation.html). The markup is what comments/_section.html has always shown.
"""

from collections.abc import Callable, Sequence

from flask import current_app, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from ..templating import remembered
from .queries import Node, ThreadComment
from .section import ThreadView


class _Words:
    """The thread's fixed words, translated once per process for the site's one language (Markup: a
    translation is not user text, and the template's gettext marked it safe the same way)."""

    def __init__(self) -> None:
        self.deleted = Markup(gettext("This comment was deleted."))
        self.in_reply_to = Markup(gettext("in reply to"))
        self.deleted_comment = Markup(gettext("a deleted comment"))
        self.held = Markup(gettext("Held for moderation: %(reason)s"))
        self.no_reason = Markup(gettext("no reason given"))
        self.awaiting = Markup(
            gettext("Your comment is awaiting moderation. Only you can see it until it is approved.")
        )
        self.edit = Markup(gettext("Edit"))
        self.delete = Markup(gettext("Delete"))
        self.your_comment = Markup(gettext("your comment"))


def _words() -> _Words:
    known = current_app.extensions.setdefault("blog.thread_words", {})
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    if locale not in known:
        known[locale] = _Words()
    return known[locale]


# The <time> of each comment shown, by its time and the site's language and zone: a page shows the same
# fifty times at every render. Bounded like the date texts; valid forever (pure functions of those three).
_TIMES: dict[tuple, str] = {}


def render_thread(nodes: Sequence[Node], view: ThreadView) -> Markup:
    """The thread as nested lists, level 1 outermost."""
    env = current_app.jinja_env
    filters = env.filters
    iso, day, clock = filters["isodatetime"], filters["date"], filters["time"]
    config = current_app.config
    locale, zone = config["BABEL_DEFAULT_LOCALE"], config["BABEL_DEFAULT_TIMEZONE"]

    def time_element(at) -> str:
        """A comment's <time>: the same three texts as the filters give, joined once per distinct time."""
        return remembered(
            _TIMES,
            (at, locale, zone),
            lambda: f'<time datetime="{escape(iso(at))}">{escape(day(at, "medium"))}, {escape(clock(at))}</time>',
        )

    words = _words()
    buttons: Callable | None = None
    if view.moderator:
        buttons = env.get_template("comments/_moderation.html").module.moderation_buttons  # type: ignore[attr-defined]
    article_url = str(escape(view.article_url))
    reply_query = str(escape(view.reply_query))
    reply = str(escape(view.reply))
    out: list[str] = []
    write = out.append

    def items(level_nodes: Sequence[Node], level: int) -> None:
        write(f'<ol class="comment-list level-{level}">')
        for node in level_nodes:
            c: ThreadComment = node.comment
            id = c.id
            if c.is_placeholder:
                write(f'\n<li class="comment comment-deleted" id="comment-{id}">\n<p class="comment-placeholder">')
                write(words.deleted)
                write("</p>")
                if node.children:
                    items(node.children, node.depth + 1)
                write("</li>")
                continue
            approved = c.status == view.approved
            name = str(escape(c.name))
            write(
                f'\n<li class="comment{"" if approved else " comment-held"}" id="comment-{id}">\n'
                f'<article aria-labelledby="by-{id}">\n'
                f'<header class="comment-meta"><strong id="by-{id}" class="comment-author">{name}</strong>\n'
                f'<a href="#comment-{id}">{time_element(c.created_at)}</a>'
            )
            parent = node.in_reply_to
            if parent is not None:
                shown = words.deleted_comment if parent.is_placeholder else escape(parent.name)
                write(
                    f'\n<span class="in-reply-to">{words.in_reply_to} <a href="#comment-{parent.id}">{shown}</a></span>'
                )
            write("</header>")
            if not approved:
                if view.moderator:
                    note = words.held % {"reason": c.held_reason or words.no_reason}
                else:
                    note = words.awaiting
                write(f'\n<p class="pending-note">{note}</p>')
            write(f'\n<div class="comment-body">{c.body_html}</div>')
            can_reply = view.comments_open and approved
            can_edit = id in view.own_ids and view.edit_window(c)
            if can_reply or can_edit:
                write('\n<p class="comment-actions">')
                if can_reply:
                    write(
                        f'<a class="reply-link" href="{article_url}?reply_to={id}{reply_query}#comment-form">{reply}'
                        f'<span class="visually-hidden"> {escape(view.reply_to % {"name": c.name})}</span></a>'
                    )
                if can_edit:
                    hidden = f'<span class="visually-hidden"> {words.your_comment}</span></a>'
                    write(
                        f'\n<a href="{escape(url_for("comments.edit", comment_id=id))}">{words.edit}{hidden}'
                        f'\n<a href="{escape(url_for("comments.delete", comment_id=id))}">{words.delete}{hidden}'
                    )
                write("</p>")
            if buttons is not None:
                thread_url = None
                if node.children:
                    thread_url = url_for("comments.delete_thread", comment_id=id, next=view.article_url + "#comments")
                write("\n")
                write(buttons(c, view.button, f"{view.article_url}#comment-{id}", thread_url=thread_url))
            write("\n</article>")
            if node.children:
                items(node.children, node.depth + 1)
            write("</li>")
        write("</ol>")

    items(nodes, 1)
    return Markup("".join(out))
