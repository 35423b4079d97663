"""Mail to a post's author about a new comment, as the author chose on their account page; the caller commits."""

from flask_babel import gettext as _

from ..mail import queue_from_templates
from ..models import Comment, CommentMail, OutboxMail, Post, User
from ..site_settings import site_settings


def wants_mail(author: User, comment: Comment) -> bool:
    """Spam never; a held comment unless the author chose none; a published one only for "every comment"."""
    if not author.is_active or comment.status == Comment.SPAM or comment.status == Comment.DELETED:
        return False
    choice = author.comment_mail_choice
    if choice == CommentMail.EVERY:
        # Their own words, published under their own address, are no news to them.
        return not (comment.status == Comment.APPROVED and comment.email.lower() == author.email.lower())
    return choice == CommentMail.PENDING and comment.status == Comment.PENDING


def notify_post_author(comment: Comment, post: Post) -> OutboxMail | None:
    author = post.author
    if not wants_mail(author, comment):
        return None
    held = comment.status == Comment.PENDING
    site = site_settings().name
    if held:
        subject = _("A comment waits for moderation on “%(title)s”", title=post.title)
    else:
        subject = _("New comment on “%(title)s”", title=post.title)
    return queue_from_templates(
        [author.email],
        f"{subject} ({site})" if site else subject,
        "comment_for_author",
        author=author,
        comment=comment,
        post=post,
        held=held,
    )
