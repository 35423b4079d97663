"""The comment section under an article: its page of the thread, the form, and who may moderate.

The article view and the comment views (which show the article again with a form's errors) both render
posts/article.html; the template asks for this section through the `comment_section` template global, so
the posts package never imports the comments package.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import request
from flask_babel import gettext
from flask_login import current_user

from ..extensions import db
from ..forms import ButtonForm, parse_id
from ..models import Comment, CommentStatus, Post
from ..paging import page_number
from ..posts.links import post_url
from . import services
from .cookie import own_comment_ids
from .forms import BlankCommentForm, CommentForm
from .queries import ThreadComment, comment_thread, is_shown


@dataclass
class ThreadView:
    """What every item of the thread needs (comments/_thread.html), looked up once per page: attributes,
    not dict keys, since the template reads them for each of fifty comments."""

    article_url: str
    reply_query: str  # after ?reply_to=<id> in a Reply link: the thread page, when it is not the first
    moderator: bool
    comments_open: bool
    own_ids: set[int]
    edit_window: Callable[[ThreadComment], bool]
    button: ButtonForm | None
    reply: str  # "Reply" and "to %(name)s", translated once (the template fills in the name)
    reply_to: str
    approved: str = CommentStatus.APPROVED


def comment_section(post: Post, comment_form: CommentForm | None = None, form_error: str | None = None) -> dict:
    """What comments/_section.html shows: the thread page, the form (a re-sent one keeps its errors)."""
    own_ids = own_comment_ids()
    moderator = services.can_moderate(current_user, post)
    comments, thread = comment_thread(post, page_number("cpage"), own_ids, moderator)
    form = comment_form or BlankCommentForm()
    form.issue_token(post.id)  # a fresh token on every render, so a re-sent form is accepted
    reply_to = None
    reply_id = parse_id(request.args.get("reply_to") if comment_form is None else form.parent_id.data)
    if reply_id is not None:
        reply_to = db.session.get(Comment, reply_id)
        if reply_to is None or reply_to.post_id != post.id or not is_shown(reply_to, own_ids, moderator=False):
            reply_to = None
    form.parent_id.data = str(reply_to.id) if reply_to else ""
    comments_open = services.comments_open(post)
    button = ButtonForm() if moderator else None
    view = ThreadView(
        article_url=post_url(post),
        reply_query=f"&cpage={comments.page}" if comments.page > 1 else "",
        moderator=moderator,
        comments_open=comments_open,
        own_ids=own_ids,
        edit_window=services.within_edit_window,
        button=button,
        reply=gettext("Reply"),
        reply_to=gettext("to %(name)s"),
    )
    return {
        "comments": comments,
        "thread": thread,
        "comment_form": form,
        "form_error": form_error,
        "reply_to": reply_to,
        "comments_open": comments_open,
        "view": view,
    }
