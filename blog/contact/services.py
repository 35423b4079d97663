"""Storing a contact message and queueing its mail; the caller commits."""

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..mail import queue_from_templates
from ..models import ContactMessage, OutboxMail, Role, User, utcnow
from ..site_settings import site_settings

DUPLICATE_WINDOW = timedelta(hours=1)


def recipients() -> list[str]:
    configured = site_settings().contact_recipients
    if configured:
        return list(configured)
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
        mail = queue_from_templates(
            to,
            _("Contact form: message from %(name)s", name=name or email),
            "contact_message",
            reply_to=email,
            links={"contact_message": contact},
            sender=sender,
            message=message,
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
