"""Inbox queries: the messages of one tab (inbox or archive), newest first, with their mails."""

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..models import ContactMessage


def inbox_messages(archived: bool) -> Select:
    return (
        select(ContactMessage)
        .where(ContactMessage.is_archived.is_(archived))
        .options(selectinload(ContactMessage.mails))
        .order_by(ContactMessage.created_at.desc(), ContactMessage.id.desc())
    )
