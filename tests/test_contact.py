"""The contact form, its spam defences, the mail outbox over a real local SMTP server, and the admins' inbox."""

import base64
import html
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, update

import blog.mail
from blog.extensions import db
from blog.models import ContactMessage, OutboxMail, User

from .conftest import Content
from .helpers import field_errors, html_text, plain_text, text, token_of

MESSAGE = "I enjoyed the article on migration, thank you."
ADMIN_EMAIL = "rita@example.com"
AUTHOR_EMAIL = "ada@example.com"
PASSWORD = "correct horse"
FIX_FIELDS = "Please correct the fields marked below."
CONTROL_ERROR = "Remove the control characters from this field."
BAD_TOKEN = "This form has expired or did not come from this site. Your text is kept below: please send it again."
TOO_FAST = "That was quicker than anyone can type. Please wait a few seconds and send it again."
TOO_MANY = "Too many attempts. Please try again in"
# Most tests are not about the minimum time or the rate limit: switch both out of the way.
QUICK = {"CONTACT_MIN_SECONDS": 0, "CONTACT_RATE_LIMIT": "1000 per minute"}


@pytest.fixture
def mail_app(make_app, smtp):
    """Apps that mail through the test's SMTP server, with the minimum time and the rate limit out of the way."""

    def factory(**settings):
        return make_app(**{**QUICK, **smtp.settings(), **settings})

    return factory


# --- helpers ------------------------------------------------------------------------------------------------


def send(client, name="Vera Visitor", email="vera@example.com", message=MESSAGE, **extra):
    """Show the form, then post it with the token the page carried."""
    token = token_of(client.get("/contact"))
    return client.post("/contact", data={"token": token, "name": name, "email": email, "message": message, **extra})


def form_error(response) -> str | None:
    found = re.search(r'<p class="form-error" role="alert">(.*?)</p>', text(response), re.S)
    return html.unescape(found.group(1)) if found else None


def kept(response) -> dict[str, str | None]:
    """What the re-rendered form shows in each field."""
    page = text(response)
    values = {}
    for field in ("name", "email"):
        found = re.search(rf'<input [^>]*name="{field}" [^>]*value="([^"]*)"', page)
        values[field] = html.unescape(found.group(1)) if found else None
    found = re.search(r'<textarea [^>]*name="message"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    values["message"] = html.unescape(found.group(1)) if found else None
    return values


def messages_in(app) -> list[dict]:
    with app.app_context():
        return [
            {
                "id": m.id,
                "name": m.name,
                "email": m.email,
                "message": m.message,
                "is_read": m.is_read,
                "is_archived": m.is_archived,
                "created_at": m.created_at,
            }
            for m in db.session.scalars(select(ContactMessage).order_by(ContactMessage.id))
        ]


def outbox_of(app) -> list[dict]:
    with app.app_context():
        return [
            {
                "id": m.id,
                "status": m.status,
                "attempts": m.attempts,
                "last_error": m.last_error,
                "next_attempt_at": m.next_attempt_at,
                "to": m.to_addresses,
                "subject": m.subject,
                "reply_to": m.reply_to,
                "contact_message_id": m.contact_message_id,
                "sent_at": m.sent_at,
            }
            for m in db.session.scalars(select(OutboxMail).order_by(OutboxMail.id))
        ]


def send_queued(app, *args):
    return app.test_cli_runner().invoke(args=["mail", "send-queued", *args])


def admin_client(app, email=ADMIN_EMAIL, role="admin"):
    """A client logged in as a new user of the given role."""
    Content(app).author(email=email, name="Rita Root" if role == "admin" else "Ada Writer", role=role)
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, text(response)
    return client


def inbox_items(page: str) -> list[str]:
    """Each message's <li> in the inbox, in page order."""
    return re.findall(r'<li class="queue-item message.*?</li>', page, re.S)


def unread_of(page: str) -> int:
    return int(re.search(r"Inbox \((\d+) unread\)", page).group(1))


def aware_now() -> datetime:
    return datetime.now(UTC)


# --- the form -----------------------------------------------------------------------------------------------


def test_form_has_labelled_fields_a_mark_on_required_ones_and_sets_no_cookie(client):
    response = client.get("/contact")
    page = text(response)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert '<label for="name">Name</label>' in page  # optional: no mark
    mark = '<span class="required-mark" aria-hidden="true"> *</span>'
    assert f'<label for="email">Email{mark}</label>' in page
    assert f'<label for="message">Message{mark}</label>' in page
    assert re.search(r'<input [^>]*name="email" [^>]*type="email"', page)
    assert re.search(r'<input [^>]*type="submit" value="Send"', page)
    assert token_of(response)
    assert re.search(r'<div class="hp" aria-hidden="true">.*?name="website"', page, re.S)  # the honeypot


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"email": ""}, "email", "Enter your email so the owner can answer."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address, like name@example.com."),
        ({"email": "a@b"}, "email", "Enter a valid email address, like name@example.com."),
        ({"message": ""}, "message", "Write your message."),
        ({"message": "x" * 9}, "message", "Write between 10 and 5000 characters."),
        ({"message": "x" * 5001}, "message", "Write between 10 and 5000 characters."),
        ({"name": "n" * 101}, "name", "100 characters"),
        ({"name": "Vera\x00Visitor"}, "name", CONTROL_ERROR),
        ({"name": "Vera\x07Visitor"}, "name", CONTROL_ERROR),
        ({"email": "vera\x00@example.com"}, "email", CONTROL_ERROR),
        ({"email": "vera\x07@example.com"}, "email", CONTROL_ERROR),
        ({"message": "Hello there\x00, how are you?"}, "message", CONTROL_ERROR),
        ({"message": "Hello there\x07, how are you?"}, "message", CONTROL_ERROR),
        ({"name": "Vic\r\nBcc: evil@example.com"}, "name", CONTROL_ERROR),
        ({"email": "vic@example.com\r\nBcc: evil@example.com"}, "email", "Enter a valid email address"),
        ({"email": "Vic\r\nBcc: evil@example.com"}, "email", "Enter a valid email address"),
    ],
    ids=[
        "no-email",
        "not-an-email",
        "a@b",
        "no-message",
        "9-chars",
        "5001-chars",
        "101-char-name",
        "nul-name",
        "bel-name",
        "nul-email",
        "bel-email",
        "nul-message",
        "bel-message",
        "injection-name",
        "injection-email",
        "injection-email-2",
    ],
)
def test_invalid_fields_are_form_errors_with_the_text_kept_nothing_stored_and_no_mail(
    mail_app, smtp, fields, field, error
):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    posted = {"name": "Vera Visitor", "email": "vera@example.com", "message": MESSAGE, **fields}
    response = send(app.test_client(), **posted)

    assert response.status_code == 200
    assert form_error(response) == FIX_FIELDS
    errors = field_errors(response)
    assert error in html.unescape(errors.get(field, "")), errors
    assert set(errors) == {field}
    assert kept(response) == posted
    assert messages_in(app) == [] and outbox_of(app) == []
    assert smtp.received == []


def test_a_message_of_10_and_of_5000_characters_and_a_100_character_name_are_accepted(mail_app):
    app = mail_app()
    client = app.test_client()
    assert send(client, message="x" * 10).headers["Location"] == "/contact/thanks"
    assert send(client, name="n" * 100, message="y" * 5000).headers["Location"] == "/contact/thanks"
    assert [(m["name"], len(m["message"])) for m in messages_in(app)] == [("Vera Visitor", 10), ("n" * 100, 5000)]


# --- delivery -----------------------------------------------------------------------------------------------


def test_a_message_is_stored_then_mailed_once_to_every_recipient(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com, second@example.com")
    smtp.start()
    client = app.test_client()
    body = "Hello,\nI liked your post about the coast.\n\nBest wishes"

    response = send(client, name="Zoë Visitor", email="zoe@example.com", message=body)
    assert response.status_code == 302 and response.headers["Location"] == "/contact/thanks"
    assert "Set-Cookie" not in response.headers
    thanks = client.get("/contact/thanks")
    assert thanks.status_code == 200 and "Thank you" in text(thanks)

    [stored] = messages_in(app)
    assert (stored["name"], stored["email"], stored["message"]) == ("Zoë Visitor", "zoe@example.com", body)
    assert not stored["is_read"] and not stored["is_archived"]

    [envelope] = smtp.received
    assert sorted(envelope.rcpt_tos) == ["owner@example.com", "second@example.com"]
    [mail] = smtp.messages
    assert [a.addr_spec for a in mail["To"].addresses] == ["owner@example.com", "second@example.com"]
    assert [a.addr_spec for a in mail["Reply-To"].addresses] == ["zoe@example.com"]
    assert mail["From"] == "Test Blog <blog@localhost>"  # the site's name, MAIL_FROM's address
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == "Contact form: message from Zoë Visitor"
    assert mail["Message-ID"] and mail["Date"]
    assert "Bcc" not in mail and "Cc" not in mail
    assert {key.lower() for key in mail.keys()} == {
        "from",
        "to",
        "subject",
        "reply-to",
        "date",
        "message-id",
        "content-type",
        "mime-version",
        "auto-submitted",
    }
    content = plain_text(mail)
    assert body in content
    assert "Zoë Visitor <zoe@example.com>" in content
    assert "http://localhost/admin/messages" in content

    [row] = outbox_of(app)
    assert row["status"] == "sent" and row["attempts"] == 1 and row["last_error"] is None
    assert row["sent_at"] is not None and row["contact_message_id"] == stored["id"]


def test_without_a_name_the_subject_names_the_email(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    assert send(app.test_client(), name="").status_code == 302
    assert messages_in(app)[0]["name"] is None
    assert smtp.messages[0]["Subject"] == "Contact form: message from vera@example.com"


def test_a_display_name_in_mail_from_gives_a_valid_message_id(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com", MAIL_FROM="Field Notes <blog@example.com>")
    smtp.start()
    assert send(app.test_client()).status_code == 302
    [mail] = smtp.messages
    assert mail["From"].addresses[0].addr_spec == "blog@example.com"
    raw = smtp.received[0].content.decode()
    assert re.search(r"^Message-ID: <[^<>@\s]+@example\.com>\r?$", raw, re.M)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\t"])
def test_unusual_line_breaks_in_the_name_never_add_headers_or_recipients(mail_app, smtp, separator):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    response = send(app.test_client(), name=f"Vic{separator}Bcc: evil@example.com")
    assert response.status_code in (200, 302)  # refused as a form error, or accepted on one line
    for envelope, mail in zip(smtp.received, smtp.messages, strict=True):
        assert envelope.rcpt_tos == ["owner@example.com"]
        assert "Bcc" not in mail
        assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    if response.status_code == 200:
        assert "name" in field_errors(response) and messages_in(app) == []


# --- no input can add a header -------------------------------------------------------------------------------

Q_WORD = "=?utf-8?q?a=0ABcc:_x@evil.example?="
B_WORD = "=?utf-8?b?" + base64.b64encode(b"a\r\nBcc: x@evil.example").decode() + "?="
ENCODED_WORD_ERROR = "Remove \u201c=?\u201d and \u201c?=\u201d from this field: mail programs read them as code."
MAIL_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}
# The contact form's mail is made from templates: multipart (no transfer encoding at the top), Auto-Submitted.
CONTACT_MAIL_HEADERS = (MAIL_HEADERS - {"content-transfer-encoding"}) | {"auto-submitted", "reply-to"}


def header_lines(envelope) -> list[str]:
    """The raw header lines as they arrived, folded lines and all."""
    head = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return head.split("\r\n")


def assert_only_our_headers(envelope, mail, expected: set[str]) -> None:
    assert envelope.rcpt_tos == ["owner@example.com"]
    assert {key.lower() for key in mail.keys()} == expected
    assert len(mail.keys()) == len(expected)  # none of them twice
    for line in header_lines(envelope):
        name = line.split(":", 1)[0].lower()
        assert line[:1] in (" ", "\t") or name in expected, line  # a new line either continues one or is ours
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert "Bcc" not in mail and "Cc" not in mail


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": Q_WORD}, "name"),
        ({"name": B_WORD}, "name"),
        ({"name": f"Vera {Q_WORD} Visitor"}, "name"),
        ({"email": "=?utf-8?q?a=0A?=@example.com"}, "email"),
    ],
    ids=["q-encoded-name", "b-encoded-name", "encoded-word-inside-name", "encoded-word-email"],
)
def test_an_encoded_word_in_a_one_line_field_is_a_form_error_with_the_text_kept(mail_app, smtp, fields, field):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    posted = {"name": "Vera Visitor", "email": "vera@example.com", "message": MESSAGE, **fields}
    response = send(app.test_client(), **posted)

    assert response.status_code == 200
    assert form_error(response) == FIX_FIELDS
    assert html.unescape(field_errors(response)[field]) == ENCODED_WORD_ERROR
    assert kept(response) == posted
    assert messages_in(app) == [] and outbox_of(app) == [] and smtp.received == []


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Visitor",
        "山田 太郎",
        "Ølstykke Ærø Ünal",
        "Zoë " * 24 + "Zoë",
        "Vera " + "v" * 94,
        "Vera = ? Visitor?=",
        "Wiki:Bcc: x@evil.example",
    ],
    ids=["latin", "cjk", "nordic", "long-non-ascii", "long-ascii", "near-encoded-word", "colons"],
)
def test_a_name_reaches_the_subject_exactly_and_on_one_line(mail_app, smtp, name):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    assert send(app.test_client(), name=name).headers["Location"] == "/contact/thanks"

    [envelope] = smtp.received
    [mail] = smtp.messages
    assert_only_our_headers(envelope, mail, CONTACT_MAIL_HEADERS)
    assert mail["Subject"] == f"Contact form: message from {name}"
    assert all(len(line) <= 998 for line in header_lines(envelope))


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        (f"Contact form: message from {Q_WORD}", f"Contact form: message from {Q_WORD}"),  # shown as typed
        (f"Contact form: message from {B_WORD}", f"Contact form: message from {B_WORD}"),
        ("Contact form: message from a\r\nBcc: x@evil.example", "Contact form: message from a Bcc: x@evil.example"),
        ("Contact form: message from a\u2028Bcc: x@evil.example", "Contact form: message from a Bcc: x@evil.example"),
        ("Contact form: message from a\x85Bcc: x@evil.example", "Contact form: message from a Bcc: x@evil.example"),
        ("Contact form: message from a\x0b\x1fBcc: x@evil.example", "Contact form: message from a Bcc: x@evil.example"),
        ("Zoë " * 40 + Q_WORD, "Zoë " * 40 + Q_WORD),
    ],
    ids=["q-encoded", "b-encoded", "crlf", "u2028", "nel", "vt-us", "long-folded"],
)
def test_no_subject_or_reply_to_stored_in_the_outbox_can_add_a_header(mail_app, smtp, subject, shown):
    """Mails are built safely whatever is in the row: rows queued by older code, or another caller."""
    app = mail_app()
    with app.app_context():
        for reply_to in (f"{Q_WORD}@example.com", "vera@example.com\r\nBcc: x@evil.example", "vera@example.com"):
            db.session.add(
                OutboxMail(to_addresses="owner@example.com", subject=subject, body="Hello", reply_to=reply_to)
            )
        db.session.commit()
    smtp.start()
    assert "Sent 3," in send_queued(app).output

    for envelope, mail, reply_to in zip(smtp.received, smtp.messages, [None, None, "vera@example.com"], strict=True):
        assert_only_our_headers(envelope, mail, MAIL_HEADERS | ({"reply-to"} if reply_to else set()))
        assert mail["Subject"] == shown
        if reply_to:
            assert [a.addr_spec for a in mail["Reply-To"].addresses] == [reply_to]


def test_mails_go_to_the_active_admins_when_no_recipient_is_configured(mail_app, smtp):
    app = mail_app()
    content = Content(app)
    content.author(email="boss@example.com", name="Boss", role="admin")
    gone = content.author(email="gone@example.com", name="Gone", role="admin")
    content.author(email="writer@example.com", name="Writer", role="author")
    with app.app_context():
        db.session.execute(update(User).where(User.id == gone).values(active=False))
        db.session.commit()
    smtp.start()
    assert send(app.test_client()).status_code == 302
    [envelope] = smtp.received
    assert envelope.rcpt_tos == ["boss@example.com"]


def test_with_nobody_to_mail_the_message_is_still_stored_and_the_inbox_says_so(mail_app, smtp):
    app = mail_app()
    smtp.start()
    assert send(app.test_client()).headers["Location"] == "/contact/thanks"
    assert len(messages_in(app)) == 1 and outbox_of(app) == [] and smtp.received == []
    admin = admin_client(app)
    assert "No mail (no recipient)" in text(admin.get("/admin/messages"))


def test_the_message_is_stored_first_when_smtp_is_down_then_send_queued_delivers_it_once(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")  # the server is not started: connection refused
    response = send(app.test_client())
    assert response.status_code == 302 and response.headers["Location"] == "/contact/thanks"
    [stored] = messages_in(app)
    assert stored["message"] == MESSAGE
    [row] = outbox_of(app)
    assert row["status"] == "queued" and row["attempts"] == 1
    assert row["last_error"] and "refused" in row["last_error"].lower()
    admin = admin_client(app)
    inbox = text(admin.get("/admin/messages"))
    assert MESSAGE in inbox and "Mail queued" in inbox

    smtp.start()
    result = send_queued(app)
    assert result.exit_code == 0, result.output
    assert "Sent 1, will retry 0, failed for good 0." in result.output
    assert len(smtp.received) == 1 and MESSAGE in plain_text(smtp.messages[0])
    [row] = outbox_of(app)
    assert row["status"] == "sent" and row["attempts"] == 2 and row["last_error"] is None
    assert "Mailed" in text(admin.get("/admin/messages"))

    again = send_queued(app)
    assert again.exit_code == 0 and "Sent 0, will retry 0, failed for good 0." in again.output
    assert len(smtp.received) == 1


def test_a_temporary_smtp_refusal_keeps_the_mail_queued_for_the_next_run(mail_app, smtp, caplog):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.reply = "451 4.3.0 Try again later"
    smtp.start()
    with caplog.at_level(logging.WARNING, logger="blog.mail"):
        assert send(app.test_client()).status_code == 302
    [row] = outbox_of(app)
    assert row["status"] == "queued" and row["attempts"] == 1 and "451" in row["last_error"]
    assert smtp.received == []
    [warning] = [r.getMessage() for r in caplog.records if r.name == "blog.mail" and r.levelno == logging.WARNING]
    assert "not sent on the first try" in warning and "451" in warning and "queued" in warning

    smtp.reply = None
    assert "Sent 1," in send_queued(app).output
    assert len(smtp.received) == 1 and outbox_of(app)[0]["status"] == "sent"


def test_failed_attempts_back_off_first_at_once_then_longer_and_longer(mail_app, smtp, monkeypatch):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    assert send(app.test_client()).status_code == 302  # attempt 1, in the request
    [row] = outbox_of(app)
    assert row["attempts"] == 1 and row["next_attempt_at"] <= aware_now()  # due again at once

    first_run = aware_now()
    result = send_queued(app)  # attempt 2
    assert result.exit_code == 0 and "Sent 0, will retry 1, failed for good 0." in result.output
    [row] = outbox_of(app)
    assert row["status"] == "queued" and row["attempts"] == 2
    assert first_run + timedelta(seconds=50) < row["next_attempt_at"] <= aware_now() + timedelta(minutes=1)

    assert "Sent 0, will retry 0, failed for good 0." in send_queued(app).output  # not due: not even tried
    assert outbox_of(app)[0]["attempts"] == 2

    later = aware_now() + timedelta(seconds=61)
    monkeypatch.setattr(blog.mail, "utcnow", lambda: later)
    assert "will retry 1" in send_queued(app).output  # attempt 3
    [row] = outbox_of(app)
    assert row["attempts"] == 3 and row["next_attempt_at"] == later + timedelta(minutes=2)

    smtp.start()
    assert "Sent 0," in send_queued(app).output and smtp.received == []  # up again, but not due yet
    much_later = later + timedelta(minutes=2, seconds=1)
    monkeypatch.setattr(blog.mail, "utcnow", lambda: much_later)
    assert "Sent 1," in send_queued(app).output
    assert len(smtp.received) == 1
    [row] = outbox_of(app)
    assert row["status"] == "sent" and row["attempts"] == 4


def test_after_max_attempts_the_mail_is_failed_flagged_and_retry_failed_delivers_it(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com", MAIL_MAX_ATTEMPTS=2)
    assert send(app.test_client()).status_code == 302
    assert outbox_of(app)[0]["status"] == "queued"
    result = send_queued(app)
    assert result.exit_code == 0 and "Sent 0, will retry 0, failed for good 1." in result.output
    [row] = outbox_of(app)
    assert row["status"] == "failed" and row["attempts"] == 2 and row["last_error"]

    admin = admin_client(app)
    inbox = text(admin.get("/admin/messages"))
    assert "Mail failed" in inbox and "could not be delivered" in inbox
    dashboard = text(admin.get("/admin/"))
    panel = dashboard[dashboard.index('id="panel-messages"') :]
    assert "<strong>1</strong> failed mail" in panel[: panel.index("</section>")]

    smtp.start()
    assert "Sent 0, will retry 0, failed for good 0." in send_queued(app).output  # failed ones wait for the flag
    assert smtp.received == []
    retried = send_queued(app, "--retry-failed")
    assert retried.exit_code == 0 and "Sent 1, will retry 0, failed for good 0." in retried.output
    assert len(smtp.received) == 1
    assert outbox_of(app)[0]["status"] == "sent"
    inbox = text(admin.get("/admin/messages"))
    assert "Mailed" in inbox and "Mail failed" not in inbox


def test_without_mail_server_the_message_is_stored_and_the_mail_stays_queued(make_app):
    app = make_app(**QUICK, CONTACT_RECIPIENT="owner@example.com")
    assert send(app.test_client()).headers["Location"] == "/contact/thanks"
    assert len(messages_in(app)) == 1
    [row] = outbox_of(app)
    assert row["status"] == "queued" and row["attempts"] == 0
    result = send_queued(app)
    assert result.exit_code == 0
    assert "MAIL_SERVER is not set: nothing was sent (1 mail(s) queued)." in result.output
    assert outbox_of(app)[0]["status"] == "queued"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "MAIL_USE_TLS and MAIL_USE_SSL can't both be on"),
        ({"MAIL_PORT": 0}, "MAIL_PORT 0 is not a port number."),
        ({"MAIL_USERNAME": "blog"}, "Set both MAIL_USERNAME and MAIL_PASSWORD, or neither."),
    ],
    ids=["tls-and-ssl", "port-0", "username-alone"],
)
def test_a_configuration_error_fails_send_queued_but_never_the_visitor(mail_app, smtp, settings, message):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com", **settings)
    smtp.start()
    response = send(app.test_client())
    assert response.status_code == 302 and response.headers["Location"] == "/contact/thanks"
    assert len(messages_in(app)) == 1
    result = send_queued(app)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # an error, not a crash
    assert f"Error: {message}" in result.output
    [row] = outbox_of(app)
    assert row["status"] == "queued" and row["attempts"] == 0
    assert smtp.received == []


def test_a_claim_is_taken_once_and_a_crashed_senders_claim_runs_out(mail_app, smtp, monkeypatch):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    assert send(app.test_client()).status_code == 302  # SMTP down: queued and due
    mail_id = outbox_of(app)[0]["id"]
    with app.app_context():
        assert blog.mail.claim(mail_id) is True
    with app.app_context():
        assert blog.mail.claim(mail_id) is False
        assert blog.mail.claim(mail_id, retry_failed=True) is False
    assert outbox_of(app)[0]["status"] == "sending"

    smtp.start()
    assert "Sent 0," in send_queued(app).output  # the first sender holds it
    assert smtp.received == []

    after_lease = aware_now() + blog.mail.CLAIM_LEASE + timedelta(seconds=1)
    monkeypatch.setattr(blog.mail, "utcnow", lambda: after_lease)
    assert "Sent 1," in send_queued(app).output
    assert len(smtp.received) == 1
    with app.app_context():
        assert blog.mail.claim(mail_id) is False  # sent: nobody takes it again
        assert blog.mail.claim(mail_id, retry_failed=True) is False


def test_a_failed_mail_is_claimed_only_when_retrying_failed_ones(mail_app):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com", MAIL_MAX_ATTEMPTS=1)
    assert send(app.test_client()).status_code == 302
    [row] = outbox_of(app)
    assert row["status"] == "failed"
    with app.app_context():
        assert blog.mail.claim(row["id"]) is False
        assert blog.mail.claim(row["id"], retry_failed=True) is True
        assert blog.mail.claim(row["id"], retry_failed=True) is False


# --- spam defences ------------------------------------------------------------------------------------------


def assert_refused_and_kept(app, response, status, message):
    assert response.status_code == status
    assert form_error(response) == message
    assert kept(response)["message"] == MESSAGE and kept(response)["email"] == "vera@example.com"
    assert token_of(response)  # a fresh form to send it again
    assert messages_in(app) == [] and outbox_of(app) == []


def contact_post(client, token, **extra):
    data = {"token": token, "name": "Vera Visitor", "email": "vera@example.com", "message": MESSAGE}
    return client.post("/contact", data=data, **extra)


def test_a_missing_bad_or_forged_token_is_refused_with_the_text_kept(make_app):
    app = make_app(**QUICK)
    client = app.test_client()
    foreign_key = URLSafeSerializer("another-secret", salt="public-form-token")
    our_key = URLSafeSerializer("test-secret-key", salt="public-form-token")
    now = int(time.time()) - 10
    for token in [
        "",
        "garbage",
        foreign_key.dumps({"f": "contact", "k": "contact", "t": now}),
        our_key.dumps({"f": "comment", "k": "contact", "t": now}),
        our_key.dumps({"f": "contact", "k": "1", "t": now}),
        our_key.dumps(["contact", "contact", now]),
    ]:
        assert_refused_and_kept(app, contact_post(client, token), 400, BAD_TOKEN)
    assert_refused_and_kept(
        app, client.post("/contact", data={"email": "vera@example.com", "message": MESSAGE}), 400, BAD_TOKEN
    )
    good = our_key.dumps({"f": "contact", "k": "contact", "t": now})
    assert contact_post(client, good).headers["Location"] == "/contact/thanks"


def test_an_expired_token_is_refused(make_app, monkeypatch):
    app = make_app(**QUICK)
    client = app.test_client()
    token = token_of(client.get("/contact"))
    in_25_hours = int(time.time()) + 25 * 3600
    monkeypatch.setattr("blog.public_forms.now", lambda: in_25_hours)
    assert_refused_and_kept(app, contact_post(client, token), 400, BAD_TOKEN)


def test_a_foreign_or_opaque_origin_is_refused_and_our_own_is_fine(make_app):
    app = make_app(**QUICK)
    client = app.test_client()
    token = token_of(client.get("/contact"))
    for origin in ["https://evil.example", "http://localhost.evil.example", "null"]:
        assert_refused_and_kept(app, contact_post(client, token, headers={"Origin": origin}), 400, BAD_TOKEN)
    response = contact_post(client, token, headers={"Origin": "http://localhost"})
    assert response.headers["Location"] == "/contact/thanks"
    assert len(messages_in(app)) == 1


@pytest.fixture
def shown_form(make_app, monkeypatch):
    """The contact form shown on a clock the test moves: (app, client, clock, the form's token)."""
    app = make_app(CONTACT_RATE_LIMIT="1000 per minute")  # CONTACT_MIN_SECONDS: the default, 3
    client = app.test_client()
    clock = {"now": 1_800_000_000}
    monkeypatch.setattr("blog.public_forms.now", lambda: clock["now"])
    return app, client, clock, token_of(client.get("/contact"))


def test_posting_sooner_than_the_minimum_time_is_refused_then_works_after_waiting(shown_form):
    app, client, clock, token = shown_form
    clock["now"] += 2
    response = contact_post(client, token)
    assert_refused_and_kept(app, response, 400, TOO_FAST)

    clock["now"] += 3
    assert contact_post(client, token_of(response)).headers["Location"] == "/contact/thanks"
    assert [m["message"] for m in messages_in(app)] == [MESSAGE]


def test_the_honeypot_answers_thanks_but_keeps_and_sends_nothing(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    response = send(app.test_client(), website="https://spam.example")
    assert response.status_code == 302 and response.headers["Location"] == "/contact/thanks"
    assert messages_in(app) == [] and outbox_of(app) == [] and smtp.received == []


def test_the_same_message_from_the_same_address_within_an_hour_is_refused(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    client = app.test_client()
    assert send(client).status_code == 302
    for address in ["vera@example.com", "VERA@example.com"]:
        again = send(client, email=address)
        assert again.status_code == 200 and form_error(again) == FIX_FIELDS
        assert field_errors(again) == {"message": "You sent this message already; it has arrived."}
        assert kept(again)["message"] == MESSAGE
    assert len(messages_in(app)) == 1 and len(smtp.received) == 1

    assert send(client, message=MESSAGE + " Again.").status_code == 302  # another message
    assert send(client, email="other@example.com").status_code == 302  # another visitor
    with app.app_context():  # the first one is now more than an hour old
        db.session.execute(
            update(ContactMessage)
            .where(ContactMessage.id == messages_in(app)[0]["id"])
            .values(created_at=aware_now() - timedelta(hours=1, minutes=1))
        )
        db.session.commit()
    assert send(client).status_code == 302
    assert len(messages_in(app)) == 4 and len(smtp.received) == 4


def test_the_rate_limit_answers_429_with_the_text_kept(make_app):
    app = make_app(CONTACT_MIN_SECONDS=0, CONTACT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert send(client, message="First message, hello.").status_code == 302
    assert send(client, message="Second message, hello.").status_code == 302
    response = send(client)
    assert response.status_code == 429
    assert TOO_MANY in form_error(response)
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # Flask-Limiter rounds reset_at up a second
    assert kept(response) == {"name": "Vera Visitor", "email": "vera@example.com", "message": MESSAGE}
    assert token_of(response)
    assert len(messages_in(app)) == 2
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert send(other).status_code == 302  # per client address


def test_forms_with_errors_do_not_use_up_the_rate_limit(make_app):
    app = make_app(CONTACT_MIN_SECONDS=0, CONTACT_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for _ in range(5):  # a visitor struggling with their address
        response = send(client, email="vera@example")
        assert response.status_code == 200 and form_error(response) == FIX_FIELDS
        assert "email" in field_errors(response)
    for n in range(3):  # still three accepted messages to go
        assert send(client, message=f"{MESSAGE} Number {n}.").headers["Location"] == "/contact/thanks"
    assert send(client, message="One too many.").status_code == 429
    assert len(messages_in(app)) == 3


def test_a_corrected_form_sent_again_at_once_is_accepted(shown_form):
    app, client, clock, token = shown_form
    clock["now"] += 20  # the visitor types for a while, with a typo
    typo = client.post("/contact", data={"token": token, "name": "Vera", "email": "vera@example", "message": MESSAGE})
    assert typo.status_code == 200 and "email" in field_errors(typo)
    clock["now"] += 1  # fixes it and sends again at once
    fixed = client.post(
        "/contact", data={"token": token_of(typo), "name": "Vera", "email": "vera@example.com", "message": MESSAGE}
    )
    assert fixed.headers["Location"] == "/contact/thanks"
    assert [m["email"] for m in messages_in(app)] == ["vera@example.com"]


# --- the inbox ----------------------------------------------------------------------------------------------


def test_the_inbox_is_for_admins_only(mail_app):
    app = mail_app()
    assert send(app.test_client()).status_code == 302
    message_id = messages_in(app)[0]["id"]
    anonymous = app.test_client()
    for method, url in [
        ("get", "/admin/messages"),
        ("post", f"/admin/messages/{message_id}/read"),
        ("get", f"/admin/messages/{message_id}/delete"),
        ("post", f"/admin/messages/{message_id}/delete"),
    ]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
    author = admin_client(app, AUTHOR_EMAIL, role="author")
    for method, url in [
        ("get", "/admin/messages"),
        ("get", "/admin/messages?archived=1"),
        ("post", f"/admin/messages/{message_id}/read"),
        ("post", f"/admin/messages/{message_id}/archive"),
        ("get", f"/admin/messages/{message_id}/delete"),
        ("post", f"/admin/messages/{message_id}/delete"),
    ]:
        assert getattr(author, method)(url).status_code == 403, url
    dashboard = text(author.get("/admin/"))
    assert 'id="panel-messages"' not in dashboard
    [stored] = messages_in(app)
    assert not stored["is_read"] and not stored["is_archived"]


def test_admin_reads_marks_archives_and_deletes_messages(mail_app, smtp):
    app = mail_app()
    admin = admin_client(app)
    smtp.start()
    visitor = app.test_client()
    senders = [("Ann First", "ann@example.com"), ("", "bob@example.com"), ("Cleo Third", "cleo@example.com")]
    for name, address in senders:
        response = send(visitor, name=name, email=address, message=f"Hello from {address}, with <b>tags</b>.")
        assert response.status_code == 302
    ids = [m["id"] for m in messages_in(app)]

    page = text(admin.get("/admin/messages"))
    items = inbox_items(page)
    assert [re.search(r"&lt;(.*?)&gt;", item).group(1) for item in items] == [
        "cleo@example.com",
        "bob@example.com",
        "ann@example.com",
    ]  # newest first
    assert unread_of(page) == 3
    newest = items[0]
    assert "<strong>Cleo Third</strong>" in newest and "Unread" in newest and "Mailed" in newest
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d', newest)
    assert "Hello from cleo@example.com, with &lt;b&gt;tags&lt;/b&gt;." in newest
    assert 'href="mailto:cleo@example.com?subject=Re%3A%20your%20message%20to%20Test%20Blog"' in newest
    assert "(no name)" in items[1]
    dashboard = text(admin.get("/admin/"))
    panel = dashboard[dashboard.index('id="panel-messages"') :]
    assert "<strong>3</strong> unread" in panel[: panel.index("</section>")]

    response = admin.post(f"/admin/messages/{ids[0]}/read")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/messages"
    page = text(admin.get("/admin/messages"))
    assert unread_of(page) == 2 and "Marked as read." in page
    assert "Mark unread" in inbox_items(page)[2] and "Unread" not in inbox_items(page)[2]
    assert [m["is_read"] for m in messages_in(app)] == [True, False, False]
    admin.post(f"/admin/messages/{ids[0]}/unread")
    assert unread_of(text(admin.get("/admin/messages"))) == 3
    assert [m["is_read"] for m in messages_in(app)] == [False, False, False]

    response = admin.post(f"/admin/messages/{ids[1]}/archive")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/messages"
    page = text(admin.get("/admin/messages"))
    assert "bob@example.com" not in page and unread_of(page) == 2
    archived = text(admin.get("/admin/messages?archived=1"))
    assert [re.search(r"&lt;(.*?)&gt;", item).group(1) for item in inbox_items(archived)] == ["bob@example.com"]
    response = admin.post(f"/admin/messages/{ids[1]}/read")  # acting in the archive stays in the archive
    assert response.headers["Location"] == "/admin/messages?archived=1"
    response = admin.post(f"/admin/messages/{ids[1]}/unarchive")
    assert response.headers["Location"] == "/admin/messages"
    assert "bob@example.com" in text(admin.get("/admin/messages"))
    assert "bob@example.com" not in text(admin.get("/admin/messages?archived=1"))

    confirm = admin.get(f"/admin/messages/{ids[2]}/delete")
    assert confirm.status_code == 200
    assert "Delete the message from cleo@example.com?" in text(confirm) and "This cannot be undone." in text(confirm)
    assert len(messages_in(app)) == 3  # asking is not deleting
    response = admin.post(f"/admin/messages/{ids[2]}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/messages"
    assert [m["id"] for m in messages_in(app)] == ids[:2]
    page = text(admin.get("/admin/messages"))
    assert "Message deleted." in page and "cleo@example.com" not in page
    assert [row["contact_message_id"] for row in outbox_of(app)] == [ids[0], ids[1], None]

    assert admin.get(f"/admin/messages/{ids[2]}/delete").status_code == 404
    assert admin.post(f"/admin/messages/{ids[2]}/read").status_code == 404
    assert admin.post(f"/admin/messages/{ids[0]}/explode").status_code == 404
    assert admin.get("/admin/messages/99999999999/delete").status_code == 404


# --- the done-when scenario ---------------------------------------------------------------------------------


def test_fifty_messages_while_smtp_is_down_are_all_kept_then_delivered_exactly_once(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    visitor = app.test_client()
    for i in range(50):
        response = send(
            visitor,
            name=f"Visitor {i:02d}",
            email=f"visitor{i:02d}@example.com",
            message=f"Message number {i:02d} for the owner.",
        )
        assert response.status_code == 302 and response.headers["Location"] == "/contact/thanks", i

    assert len(messages_in(app)) == 50
    rows = outbox_of(app)
    assert len(rows) == 50 and {row["status"] for row in rows} == {"queued"}
    admin = admin_client(app)
    first, second = text(admin.get("/admin/messages")), text(admin.get("/admin/messages?page=2"))
    assert unread_of(first) == 50
    assert len(inbox_items(first)) + len(inbox_items(second)) == 50

    smtp.start()
    result = send_queued(app)
    assert result.exit_code == 0 and "Sent 50, will retry 0, failed for good 0." in result.output
    mails = smtp.messages
    assert len(mails) == 50
    assert {mail["Subject"] for mail in mails} == {f"Contact form: message from Visitor {i:02d}" for i in range(50)}
    assert len({plain_text(mail) for mail in mails}) == 50
    assert len({mail["Message-ID"] for mail in mails}) == 50
    assert {row["status"] for row in outbox_of(app)} == {"sent"}

    assert "Sent 0, will retry 0, failed for good 0." in send_queued(app).output
    assert len(smtp.received) == 50


# --- addresses and recipients ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "usable"),
    [
        ("zoë@example.com", {"zoë@example.com"}),
        ("vera@bücher.example", {"vera@bücher.example", "vera@xn--bcher-kva.example"}),
    ],
    ids=["non-ascii-local-part", "idn-domain"],
)
def test_an_international_address_gets_a_reply_to_that_works_or_a_form_error(mail_app, smtp, address, usable):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com")
    smtp.start()
    response = send(app.test_client(), email=address)
    if response.status_code == 200:  # refusing the address is a fix too
        assert "email" in field_errors(response) and messages_in(app) == []
        return
    assert response.status_code == 302
    raw = smtp.received[0].content.decode("utf-8")
    reply_to = re.search(r"^Reply-To: ([^\r\n]*)", raw, re.M).group(1)
    assert reply_to in usable


def test_a_long_list_of_recipients_never_loses_the_message(mail_app, smtp):
    recipients = [f"owner.number{i:02d}@example-company.com" for i in range(30)]  # 1229 characters
    app = mail_app(CONTACT_RECIPIENT=", ".join(recipients))
    smtp.start()
    response = send(app.test_client())
    assert response.status_code == 302 and response.headers["Location"] == "/contact/thanks"
    assert [m["message"] for m in messages_in(app)] == [MESSAGE]
    assert sorted(smtp.received[0].rcpt_tos) == recipients


def test_the_mails_inbox_link_is_on_site_url_whatever_host_the_visitor_used(mail_app, smtp):
    app = mail_app(CONTACT_RECIPIENT="owner@example.com", SITE_URL="https://blog.example.com")
    smtp.start()
    client = app.test_client()
    host = {"Host": "127.0.0.1:8000"}  # trusted (a health check's host), but not the site's address
    page = client.get("/contact", headers=host)
    response = client.post(
        "/contact",
        headers=host,
        data={"token": token_of(page), "name": "Vera Visitor", "email": "vera@example.com", "message": MESSAGE},
    )
    assert response.headers["Location"] == "/contact/thanks"
    content = plain_text(smtp.messages[0])
    # The inbox link, and the site's own address under the signature: both on SITE_URL.
    assert re.findall(r"https?://\S+", content) == [
        "https://blog.example.com/admin/messages",
        "https://blog.example.com",
    ]
    assert re.findall(r'href="([^"]+)"', html_text(smtp.messages[0])) == [
        "https://blog.example.com/admin/messages",
        "https://blog.example.com",
    ]


def test_a_mail_with_an_html_part_and_extra_headers_arrives_as_both_with_no_header_forged(mail_app, smtp):
    app = mail_app()
    with app.app_context():
        blog.mail.queue_mail(
            ["reader@example.com"],
            "A reply to your comment",
            "Plain words.",
            html="<p>HTML words.</p>",
            headers={"List-Unsubscribe": "<https://blog.example.com/u/1>", "Bcc": "x@evil.example"},
        )
        db.session.commit()
    smtp.start()
    assert "Sent 1," in send_queued(app).output
    [envelope], [mail] = smtp.received, smtp.messages
    assert envelope.rcpt_tos == ["reader@example.com"]
    assert mail["List-Unsubscribe"] == "<https://blog.example.com/u/1>" and mail["Bcc"] is None
    assert mail.get_body(("plain",)).get_content().strip() == "Plain words."
    assert mail.get_body(("html",)).get_content().strip() == "<p>HTML words.</p>"
