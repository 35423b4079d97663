"""The contact messages as CSV, for a spreadsheet: one row per message with the delivery of its mail.

UTF-8 with a byte order mark, so Excel (which otherwise guesses a legacy code page) shows every name
right; LibreOffice and Python's csv module read the mark as well. Rows end in CRLF, as RFC 4180 says.

A cell that starts with = + - @, a tab or a carriage return gets a leading apostrophe: a spreadsheet
would otherwise run a visitor's message such as `=HYPERLINK(...)` as a formula (CSV injection).
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask import current_app

from ..contact.services import NOT_MAILED
from ..extensions import db
from ..models import MailStatus
from . import exporter_queries as queries
from .exporter import file_stem

BOM = "\ufeff"
HEADER = ["id", "received_at", "name", "email", "message", "read", "archived", "delivery", "attempts", "last_error"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH_SIZE = 500


def guard(value: object) -> str:
    """The cell's text, with an apostrophe in front when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def delivery(mails) -> tuple[str, int, str]:
    """The latest mail's status, its attempts and its last error: contact.services.delivery_status for rows
    (the inbox loads ORM objects; the export reads plain rows to keep memory flat)."""
    if not mails:
        return NOT_MAILED, 0, ""
    last = mails[-1]
    status = MailStatus.QUEUED if last.status == MailStatus.SENDING else last.status
    return str(status), last.attempts or 0, last.last_error or ""


def message_rows(batch_size: int = BATCH_SIZE) -> Iterator[list[str]]:
    zone = ZoneInfo(current_app.config["SITE_TIMEZONE"])
    after_id = 0
    while True:
        messages = db.session.execute(queries.messages_after(after_id, batch_size)).all()
        if not messages:
            return
        ids = [message.id for message in messages]
        after_id = ids[-1]
        mails = defaultdict(list)
        for mail in db.session.execute(queries.mails_of(ids)):
            mails[mail.contact_message_id].append(mail)
        for message in messages:
            status, attempts, last_error = delivery(mails[message.id])
            yield [
                str(message.id),
                message.created_at.astimezone(zone).isoformat(timespec="seconds"),
                guard(message.name),
                guard(message.email),
                guard(message.message),
                "yes" if message.is_read else "no",
                "yes" if message.is_archived else "no",
                status,
                str(attempts),
                guard(last_error),
            ]


def csv_chunks(counter: list[int] | None = None) -> Iterator[str]:
    """The CSV text, a few hundred rows at a time; `counter[0]` counts the messages written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for number, row in enumerate(message_rows(), start=1):
        writer.writerow(row)
        if counter is not None:
            counter[0] = number
        if number % 100 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_filename(site_name: str, today: str) -> str:
    return file_stem(site_name, today) + "-messages.csv"
