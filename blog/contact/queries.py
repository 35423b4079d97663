"""Inbox queries: the messages of one tab (inbox or archive), newest first, with their mails."""

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..models import ContactMessage


def inbox_messages(archived: bool, unread_only: bool = False) -> Select:
    query = (
        select(ContactMessage)
        .where(ContactMessage.is_archived.is_(archived))
        .options(selectinload(ContactMessage.mails))
        .order_by(ContactMessage.created_at.desc(), ContactMessage.id.desc())
    )
    return query.where(ContactMessage.is_read.is_(False)) if unread_only else query
