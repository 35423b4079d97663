"""Storing a contact message and queueing its mail; the caller commits."""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..mail import queue_mail
from ..models import ContactMessage, OutboxMail, Role, User, utcnow
from ..templating import absolute_url

DUPLICATE_WINDOW = timedelta(hours=1)


def recipients() -> list[str]:
    configured = current_app.config["CONTACT_RECIPIENT"]
    if configured:
        return [address.strip() for address in configured.split(",") if address.strip()]
    return list(
        db.session.scalars(select(User.email).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id))
    )


def is_duplicate(email: str, message: str) -> bool:
    return (
        db.session.scalar(
            select(ContactMessage.id)
            .where(
                func.lower(ContactMessage.email) == email.lower(),
                ContactMessage.message == message,
                ContactMessage.created_at > utcnow() - DUPLICATE_WINDOW,
            )
            .limit(1)
        )
        is not None
    )


def store_message(*, name: str | None, email: str, message: str, client_address: str | None):
    """The message, and its mail to the owner when there is anyone to send it to."""
    contact = ContactMessage(
        name=name or None, email=email, message=message, client_address=(client_address or "")[:45] or None
    )
    db.session.add(contact)
    mail = None
    to = recipients()
    if to:
        sender = f"{name} <{email}>" if name else email
        body = (
            _(
                "%(sender)s wrote through the contact form of %(site)s:",
                sender=sender,
                site=current_app.config["SITE_NAME"],
            )
            + "\n\n"
            + message
            + "\n\n-- \n"
            + _(
                "Reply to this mail to answer. The message is also in your inbox: %(url)s",
                url=absolute_url("contact.inbox"),
            )
        )
        mail = queue_mail(
            to,
            _("Contact form: message from %(name)s", name=name or email),
            body,
            reply_to=email,
            contact_message=contact,
        )
    return contact, mail


NOT_MAILED = "not sent"  # a message stored while no recipient was configured: no mail in the outbox


def delivery_status(contact: ContactMessage) -> str:
    if not contact.mails:
        return NOT_MAILED
    return contact.mails[-1].status if contact.mails[-1].status != OutboxMail.SENDING else OutboxMail.QUEUED


def unread_count() -> int:
    return (
        db.session.scalar(
            select(func.count(ContactMessage.id)).where(
                ContactMessage.is_read.is_(False), ContactMessage.is_archived.is_(False)
            )
        )
        or 0
    )
