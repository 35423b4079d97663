"""Forgot password: the reset mail over a real SMTP server, the link's rules, no enumeration, throttling."""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

import blog.auth.reset
from blog.extensions import db
from blog.models import OutboxMail, User, UserSession, utcnow

from .conftest import Content
from .helpers import EMAIL, PASSWORD, ROOT, change_password, free_port, log_in, text

NEW_PASSWORD = "a brand new passphrase"
SENT_PAGE = "If that address belongs to an author of this blog, a link to set a new password is on its way."
INVALID_PAGE = "This link no longer works"


@pytest.fixture
def reset_app(make_app, smtp):
    """An app mailing through the test's SMTP server (up), on https://blog.example.com."""
    smtp.start()
    return make_app(**smtp.settings(), SITE_URL="https://blog.example.com")


@pytest.fixture
def ada(reset_app, content):
    content.author()
    return reset_app


def ask(client, email=EMAIL, **kwargs):
    # buffered: the test client then closes the response as a WSGI server does, which sends the mail.
    return client.post("/reset-password", data={"email": email}, buffered=True, **kwargs)


def link_in(message) -> str:
    """The reset link of a delivered mail, made relative to the site (the test client has no host)."""
    plain = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"https://blog\.example\.com(/reset-password/\S+)", plain)
    html_part = message.get_body(("html",)).get_content()
    assert f'href="https://blog.example.com{link}"' in html_part
    return link


def open_link(client, link):
    """Open the mail's link: the token goes into the session, and the form's page has no secret in its address."""
    response = client.get(link)
    if response.status_code == 302:
        assert response.headers["Location"] == "/reset-password/new"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    return response


def new_password(client, link=None, password=NEW_PASSWORD, repeat=None):
    """Open the link (unless this client already has) and send the new password twice."""
    if link is not None:
        open_link(client, link)
    return client.post("/reset-password/new", data={"new_password": password, "confirm_password": repeat or password})


def can_log_in(app, password) -> bool:
    return log_in(app.test_client(), EMAIL, password).status_code == 302


def test_the_login_page_leads_to_the_reset_form(ada):
    client = ada.test_client()
    login = text(client.get("/login"))
    assert '<a href="/reset-password">Forgot your password?</a>' in login
    body = text(client.get("/reset-password"))
    assert '<label for="email">Email</label>' in body and 'value="Send reset link"' in body


def test_the_whole_journey_mail_link_new_password_every_session_ended(ada, smtp):
    laptop = ada.test_client()
    assert log_in(laptop).status_code == 302
    client = ada.test_client()
    response = ask(client)
    assert response.headers["Location"] == "/reset-password/sent"
    assert SENT_PAGE in text(client.get("/reset-password/sent"))

    [envelope] = smtp.received
    assert envelope.rcpt_tos == [EMAIL]
    [message] = smtp.messages
    assert message["Subject"] == "Reset your password on Test Blog"
    assert message["Auto-Submitted"] == "auto-generated"
    link = link_in(message)
    assert "The link works once, for 60 minutes." in message.get_body(("plain",)).get_content()

    assert open_link(client, link).status_code == 302
    form = client.get("/reset-password/new")
    assert form.status_code == 200 and "no-store" in form.headers["Cache-Control"]
    assert '<label for="new_password">New password</label>' in text(form)
    assert '<label for="confirm_password">Repeat new password</label>' in text(form)
    assert "/reset-password/" not in form.request.url.replace("/reset-password/new", "")

    mismatch = new_password(client, repeat="something else entirely")
    assert mismatch.status_code == 200 and "The new passwords do not match." in text(mismatch)
    too_short = new_password(client, password="short")
    assert "Use 8 to 1024 characters." in text(too_short)

    done = new_password(client)
    assert done.headers["Location"] == "/admin/"
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200 and "Your new password is set" in text(dashboard)
    assert laptop.get("/admin/").headers["Location"].startswith("/login")  # the other device's session ended
    with ada.app_context():
        assert len(db.session.scalars(select(UserSession)).all()) == 1
    assert can_log_in(ada, NEW_PASSWORD) and not can_log_in(ada, PASSWORD)


def test_a_link_works_once(ada, smtp):
    client = ada.test_client()
    ask(client)
    link = link_in(smtp.messages[0])
    assert new_password(client, link).headers["Location"] == "/admin/"
    other = ada.test_client()
    again = other.get(link)
    assert again.status_code == 410 and INVALID_PAGE in text(again)
    assert again.headers["Referrer-Policy"] == "no-referrer"
    assert 'href="/reset-password">Ask for a new link' in text(again)
    assert new_password(other, password="yet another passphrase").status_code == 410
    assert can_log_in(ada, NEW_PASSWORD)


def test_a_link_expires_after_the_set_minutes(ada, smtp, monkeypatch):
    client = ada.test_client()
    ask(client)
    link = link_in(smtp.messages[0])
    later = utcnow() + timedelta(minutes=59)
    monkeypatch.setattr(blog.auth.reset, "utcnow", lambda: later)
    assert open_link(client, link).status_code == 302
    assert client.get("/reset-password/new").status_code == 200
    too_late = utcnow() + timedelta(minutes=61)
    monkeypatch.setattr(blog.auth.reset, "utcnow", lambda: too_late)
    assert new_password(client).status_code == 410  # the form was opened in time, but sent too late
    assert INVALID_PAGE in text(client.get(link))
    assert can_log_in(ada, PASSWORD)


def test_the_expiry_follows_the_setting(make_app, smtp, monkeypatch):
    smtp.start()
    app = make_app(**smtp.settings(), SITE_URL="https://blog.example.com", PASSWORD_RESET_MINUTES=5)
    Content(app).author()
    client = app.test_client()
    ask(client)
    assert "for 5 minutes" in smtp.messages[0].get_body(("plain",)).get_content()
    link = link_in(smtp.messages[0])
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(blog.auth.reset, "utcnow", lambda: later)
    assert client.get(link).status_code == 410


def test_a_newer_link_replaces_the_older_one(ada, smtp):
    client = ada.test_client()
    ask(client)
    ask(client)
    first, second = (link_in(message) for message in smtp.messages)
    assert first != second
    assert open_link(client, first).status_code == 410
    assert new_password(client, second).headers["Location"] == "/admin/"


def test_a_password_change_invalidates_the_link(ada, smtp):
    client = ada.test_client()
    ask(client)
    link = link_in(smtp.messages[0])
    writer = ada.test_client()
    log_in(writer)
    assert change_password(writer).headers["Location"] == "/admin/account"
    assert client.get(link).status_code == 410


def test_a_forged_or_mangled_token_is_a_clear_page_not_an_error(ada, smtp):
    client = ada.test_client()
    for token in ["nonsense", "a" * 600, "eyJ1IjoxfQ.forged"]:
        response = client.get(f"/reset-password/{token}")
        assert response.status_code == 410 and INVALID_PAGE in text(response)


def test_no_enumeration_same_page_and_status_for_any_address(ada, smtp, content):
    content.author(email="dora@example.com", name="Dora Gone")
    with ada.app_context():
        db.session.execute(update(User).where(User.email == "dora@example.com").values(active=False))
        db.session.commit()
    answers = []
    for address in [EMAIL, "nobody@example.com", "dora@example.com", "ADA@example.com"]:
        client = ada.test_client()
        response = ask(client, address)
        followed = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], followed.status_code, text(followed)))
    assert len(set(answers)) == 1
    # Ada got two mails (her address in either case); nobody else, and the deactivated author, none.
    assert [envelope.rcpt_tos for envelope in smtp.received] == [[EMAIL], [EMAIL]]
    with ada.app_context():
        assert db.session.scalar(select(User.reset_nonce).where(User.email == "dora@example.com")) is None


def test_a_deactivated_authors_old_link_stops_working(ada, smtp):
    client = ada.test_client()
    ask(client)
    link = link_in(smtp.messages[0])
    with ada.app_context():
        db.session.execute(update(User).values(active=False))
        db.session.commit()
    assert client.get(link).status_code == 410


def test_throttled_per_email_asked_for(make_app, smtp):
    smtp.start()
    app = make_app(**smtp.settings(), PASSWORD_RESET_EMAIL_RATE_LIMIT="2 per hour")
    Content(app).author()
    for n in range(2):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        assert ask(client).headers["Location"] == "/reset-password/sent"
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    throttled = ask(client)
    assert throttled.status_code == 429 and "Too many attempts" in text(throttled)
    assert "Retry-After" in throttled.headers
    # Another address from the same client still gets the usual answer.
    assert ask(client, "someone@example.com").headers["Location"] == "/reset-password/sent"
    assert len(smtp.received) == 2


def test_throttled_per_client_address(make_app, smtp):
    smtp.start()
    app = make_app(**smtp.settings(), PASSWORD_RESET_RATE_LIMIT="3 per minute")
    Content(app).author()
    client = app.test_client()
    for n in range(3):
        assert ask(client, f"someone{n}@example.com").headers["Location"] == "/reset-password/sent"
    throttled = ask(client, EMAIL)
    assert throttled.status_code == 429 and "Too many attempts" in text(throttled)
    assert smtp.received == []


def test_bad_input_keeps_the_form(ada, smtp):
    client = ada.test_client()
    response = ask(client, "")
    assert response.status_code == 200 and "Enter your email." in text(response)
    assert smtp.received == []


def test_the_mail_waits_in_the_outbox_when_the_server_is_down(make_app, smtp):
    app = make_app(**smtp.settings())  # smtp not started: connection refused
    Content(app).author()
    client = app.test_client()
    assert ask(client).headers["Location"] == "/reset-password/sent"
    with app.app_context():
        [mail] = db.session.scalars(select(OutboxMail)).all()
        assert mail.status == OutboxMail.QUEUED and mail.kind == "password_reset"
    smtp.start()
    assert "Sent 1," in app.test_cli_runner().invoke(args=["mail", "send-queued"]).output
    assert "/reset-password/" in smtp.messages[0].get_body(("plain",)).get_content()


def test_reset_with_csrf_on(make_app, smtp):
    smtp.start()
    app = make_app(**smtp.settings(), SITE_URL="https://blog.example.com", WTF_CSRF_ENABLED=True)
    Content(app).author()
    client = app.test_client()
    assert ask(client).status_code == 400  # no token
    page = client.get("/reset-password")
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', text(page)).group(1)
    sent = client.post(
        "/reset-password",
        data={"email": EMAIL, "csrf_token": token},
        headers={"Referer": "https://localhost/reset-password"},
        buffered=True,
    )
    assert sent.headers["Location"] == "/reset-password/sent"
    link = link_in(smtp.messages[0])
    open_link(client, link)
    form = client.get("/reset-password/new")
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', text(form)).group(1)
    done = client.post(
        "/reset-password/new",
        data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/reset-password/new"},
    )
    assert done.headers["Location"] == "/admin/"


# --- the limit per email holds across servers sharing Redis --------------------------------------------------


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
def test_the_per_email_limit_is_shared_by_two_servers_on_redis(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/shared.sqlite3",
        "SECRET_KEY": "shared-secret-" * 3,
        "RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"],
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "PASSWORD_RESET_EMAIL_RATE_LIMIT": "2 per hour",
    }
    for args in (["db", "upgrade"], ["create-author", EMAIL, "--name", "Ada", "--password", PASSWORD]):
        run = [sys.executable, "-m", "flask", "--app", "blog", *args]
        subprocess.run(run, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "1", "-b", f"127.0.0.1:{port}"]
            process = subprocess.Popen(
                [*command, "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
        statuses = []
        for n in range(3):  # each from a browser of its own, alternating between the servers
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            page = open_when_up(opener, urls[n % 2] + "/reset-password")
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode({"csrf_token": token, "email": EMAIL}).encode()
            try:
                statuses.append(opener.open(urls[n % 2] + "/reset-password", data=data, timeout=10).status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        assert statuses == [200, 200, 429]  # 200: the "check your mail" page after the redirect
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def open_when_up(opener, url: str) -> str:
    for _ in range(300):
        try:
            return opener.open(url, timeout=10).read().decode()
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise TimeoutError(url)


def test_a_reset_link_does_not_get_past_the_second_factor(ada, smtp):
    """The link proves the mailbox only: with two-factor on, the new password leads to the code step."""
    import pyotp

    secret = pyotp.random_base32()
    with ada.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        user.totp_secret, user.totp_enabled_at = secret, utcnow()
        db.session.commit()
    client = ada.test_client()
    ask(client)
    [message] = smtp.messages
    done = new_password(client, link_in(message))
    assert done.headers["Location"] == "/login/code"
    assert client.get("/admin/").headers["Location"].startswith("/login")  # not logged in yet
    assert "Enter your authentication code" in text(client.get("/login/code"))
    entered = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert entered.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
