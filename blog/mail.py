"""The outbox: every mail the app sends is stored first, then delivered over SMTP with retries.

Senders (a request right after its commit, `flask --app blog mail send-queued` from cron, another host)
claim a mail with one conditional UPDATE, so only one of them ever sends it.
"""

import json
import logging
import re
import smtplib
import ssl
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context, render_template
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from .extensions import affected_rows, db
from .models import OutboxMail, Role, User, utcnow
from .site_settings import site_settings

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
# Headers build_message sets itself: a stored extra header never adds a second one or a recipient.
RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "reply-to", "date", "message-id", "content-type"}
MAX_BACKOFF = timedelta(hours=6)


class MailConfigError(Exception):
    """The SMTP settings can't work; fixing them is the operator's job, not a retry's."""


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Header values on one line: a newline in a visitor's name can't add headers."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


class EncodedHeader(str):
    """A header value we encode ourselves (RFC 2047 where needed), which the email package writes as it is.

    Given a plain string, the email package decodes any encoded word in it ("=?utf-8?q?a=0ABcc:...?=" becomes
    a line break and a Bcc line), and its folder drops or adds spaces in long non-ASCII values. A value with
    a name and a fold() is stored and written untouched.
    """

    name: str

    def __new__(cls, name: str, value: str):
        header = super().__new__(cls, one_line(value))
        header.name = name
        return header

    def fold(self, *, policy) -> str:
        # Plain ASCII stays readable; anything else, or text that looks like an encoded word, is encoded
        # whole, so a reader's mail program shows exactly the text we were given.
        charset = "us-ascii" if self.isascii() and "=?" not in self else "utf-8"
        encoded = Header(str(self), charset, header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


def reply_address(address: str | None) -> str | None:
    """A plain address a mail client can reply to, or None: never anything the email package would decode."""
    address = ascii_address(one_line(address or ""))
    if not address or "=?" in address:
        return None
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):
        return None
    return address


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA form, which every mail client can reply to."""
    try:
        return validate_email(address, check_deliverability=False).ascii_email or address
    except EmailNotValidError:
        return address


def queue_mail(
    to: list[str],
    subject: str,
    body: str,
    reply_to: str | None = None,
    *,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    **links,
) -> OutboxMail:
    """Store a mail in the outbox: a plain-text body, optionally an HTML alternative and extra headers."""
    mail = OutboxMail(
        to_addresses=", ".join(to),
        subject=one_line(subject)[:300],
        body=body,
        body_html=html,
        headers=json.dumps({one_line(k): one_line(v) for k, v in headers.items()}) if headers else None,
        reply_to=reply_address(reply_to),
        **links,
    )
    db.session.add(mail)
    return mail


def mail_request_context():
    """Templates and url_for outside a request (the queue sender, cron): links on SITE_URL.

    Inside a request nothing changes (absolute_url already prefers SITE_URL).
    """
    if has_request_context():
        return nullcontext()
    base_url = current_app.config.get("SITE_URL") or current_app.config["MAIL_FALLBACK_URL"]
    return current_app.test_request_context("/", base_url=base_url)


def queue_from_templates(
    to: list[str],
    subject: str,
    template: str,
    *,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    links: dict | None = None,
    **context,
) -> OutboxMail:
    """Queue a mail rendered from `mail/<template>.txt` and `mail/<template>.html` (both extend mail/base.*).

    Every such mail says it was sent automatically (RFC 3834 Auto-Submitted), so autoresponders stay quiet.
    `links` are OutboxMail relationships (contact_message=...).
    """
    with mail_request_context():
        context = {"subject": subject, **context}
        body = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    return queue_mail(
        to,
        subject,
        body,
        reply_to,
        html=html,
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
        kind=template[:40],
        **(links or {}),
    )


def sender_address() -> Address | str:
    """From: the site's name with MAIL_FROM's address, unless MAIL_FROM names a sender of its own."""
    configured = current_app.config["MAIL_FROM"]
    name, address = parseaddr(configured)
    if name or not address:
        return configured
    site_name = one_line(site_settings().name)
    try:
        return Address(display_name=site_name, addr_spec=address) if site_name else configured
    except (ValueError, IndexError, HeaderParseError):
        return configured


def message_id_domain() -> str | None:
    """Message-IDs on the site's own domain: SITE_URL's host, else the domain of MAIL_FROM."""
    site_url = current_app.config.get("SITE_URL")
    host = urlsplit(site_url).hostname if site_url else None
    return host or parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or None


def build_message(mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender_address()
    message["To"] = mail.to_addresses
    # Again on the way out: rows queued before these rules existed are sent as safely as new ones.
    message["Subject"] = EncodedHeader("Subject", mail.subject)
    reply_to = reply_address(mail.reply_to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=message_id_domain())
    for name, value in json.loads(mail.headers or "{}").items():
        if name.lower() not in RESERVED_HEADERS:
            message[name] = EncodedHeader(name, value)
    message.set_content(mail.body)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    return message


def check_settings() -> None:
    config = current_app.config
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise MailConfigError("MAIL_USE_TLS and MAIL_USE_SSL can't both be on: STARTTLS or SSL on connect.")
    if not 0 < config["MAIL_PORT"] < 65536:
        raise MailConfigError(f"MAIL_PORT {config['MAIL_PORT']} is not a port number.")
    if bool(config["MAIL_USERNAME"]) != bool(config["MAIL_PASSWORD"]):
        raise MailConfigError("Set both MAIL_USERNAME and MAIL_PASSWORD, or neither.")


def open_smtp(timeout: float) -> smtplib.SMTP:
    config = current_app.config
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    smtp: smtplib.SMTP
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp


def claim(mail_id: int, retry_failed: bool = False) -> bool:
    """Take one mail for sending; False when it is not due or another sender has it."""
    now = utcnow()
    due = (OutboxMail.status == OutboxMail.QUEUED) & (OutboxMail.next_attempt_at <= now)
    expired_claim = (OutboxMail.status == OutboxMail.SENDING) & (OutboxMail.claimed_until < now)
    conditions = [due, expired_claim] + ([OutboxMail.status == OutboxMail.FAILED] if retry_failed else [])
    claimed = affected_rows(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, or_(*conditions))
        .values(status=OutboxMail.SENDING, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed == 1


def backoff(attempts: int) -> timedelta:
    """After the first failure the mail is due again at once; then 1, 2, 4 ... minutes, at most 6 hours."""
    if attempts <= 1:
        return timedelta(0)
    return min(timedelta(minutes=2 ** (attempts - 2)), MAX_BACKOFF)


def record_result(mail: OutboxMail, error: str | None) -> str:
    mail.attempts += 1
    mail.claimed_until = None
    if error is None:
        mail.status, mail.sent_at, mail.last_error = OutboxMail.SENT, utcnow(), None
    else:
        mail.last_error = error[:1000]
        max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
        if mail.attempts >= max_attempts:
            mail.status = OutboxMail.FAILED
            # Once per mail: not again when `--retry-failed` fails it anew, never about an alert itself.
            if mail.attempts - 1 < max_attempts and mail.kind != FAILED_MAIL_ALERT:
                alert_admins(mail)
        else:
            mail.status, mail.next_attempt_at = OutboxMail.QUEUED, utcnow() + backoff(mail.attempts)
    db.session.commit()
    return mail.status


FAILED_MAIL_ALERT = "failed_mail_alert"


def alert_admins(mail: OutboxMail) -> OutboxMail | None:
    """Tell the active admins that a mail was given up on (the outbox has it); the caller commits.

    The alert names the recipients, subject and error, never the body: a reset link must not travel on.
    """
    admins = list(
        db.session.scalars(select(User.email).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id))
    )
    if not admins:
        return None
    with mail_request_context():
        subject = _("A mail could not be sent: %(subject)s", subject=mail.subject)
    return queue_from_templates(admins, subject, FAILED_MAIL_ALERT, failed=mail)


def deliver(mail_ids: Sequence[int] | None = None, *, timeout: float, retry_failed: bool = False) -> Delivery:
    """Send the given mails, or every due one; never raises for a mail server that is down."""
    result = Delivery()
    if not current_app.config["MAIL_SERVER"]:
        return result
    check_settings()
    if mail_ids is None:
        now = utcnow()
        statuses = [OutboxMail.QUEUED, OutboxMail.SENDING] + ([OutboxMail.FAILED] if retry_failed else [])
        mail_ids = db.session.scalars(
            select(OutboxMail.id)
            .where(OutboxMail.status.in_(statuses))
            .where(or_(OutboxMail.status != OutboxMail.QUEUED, OutboxMail.next_attempt_at <= now))
            .order_by(OutboxMail.id)
        ).all()
    smtp = None
    try:
        for mail_id in mail_ids:
            if not claim(mail_id, retry_failed):
                continue
            # The claim was an UPDATE behind the session's back: read the row as it is now.
            mail = db.session.get_one(OutboxMail, mail_id, populate_existing=True)
            error = None
            try:
                if smtp is None:
                    smtp = open_smtp(timeout)
                smtp.send_message(build_message(mail))
            except (TimeoutError, smtplib.SMTPException, OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                if smtp is not None and not isinstance(exc, smtplib.SMTPRecipientsRefused):
                    close_quietly(smtp)
                    smtp = None
            status = record_result(mail, error)
            if status == OutboxMail.SENT:
                result.sent += 1
            elif status == OutboxMail.FAILED:
                result.failed += 1
            else:
                result.retrying += 1
    finally:
        if smtp is not None:
            close_quietly(smtp)
    return result


def close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def send_soon(mail: OutboxMail) -> None:
    """After the request's commit: one quick try, or a log line when no server is configured.

    Never raises: the visitor's message is stored whatever happens to its mail.
    """
    if not current_app.config["MAIL_SERVER"]:
        log.info(
            "MAIL_SERVER is not set; mail %s stays queued. To: %s Subject: %s\n%s",
            mail.id,
            mail.to_addresses,
            mail.subject,
            mail.body,
        )
        return
    mail_id = mail.id
    try:
        result = deliver([mail_id], timeout=current_app.config["MAIL_REQUEST_TIMEOUT"])
    except Exception:
        db.session.rollback()
        log.exception("sending mail %s failed; it stays in the outbox", mail_id)
        return
    if not result.sent:
        # Not sent now (the server refused, timed out, or another sender holds it): say why, for whoever reads the log.
        kept = db.session.get(OutboxMail, mail_id)
        log.warning(
            "mail %s was not sent on the first try (%s); it stays in the outbox with status %s",
            mail_id,
            kept.last_error if kept is not None and kept.last_error else "no attempt: not due or claimed elsewhere",
            kept.status if kept is not None else "gone",
        )
