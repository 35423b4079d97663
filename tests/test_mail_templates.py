"""Mail itself: every mail the app sends has text and HTML parts, the site's name, Date, a Message-ID on the
site's domain and Auto-Submitted; and the queue sender's `--every` loop, run as a process and stopped."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

import blog.mail
from blog import create_app
from blog.extensions import db
from blog.models import Comment, OutboxMail, User

from .conftest import BASE_CONFIG, Content
from .helpers import ADMIN_EMAIL, EMAIL, ROOT, flask_cli, free_port, html_text, plain_text, token_of

SITE = "https://blog.example.com"
FAST = {"COMMENT_MIN_SECONDS": 0, "COMMENT_RATE_LIMIT": "1000 per minute", "CONTACT_MIN_SECONDS": 0}


def every_kind_of_mail(app, smtp) -> dict[str, object]:
    """Make the app send each of its mails through its own pages and commands; the delivered messages by kind."""
    content = Content(app)
    ada = content.author()
    content.author(email=ADMIN_EMAIL, name="Rita Root", role="admin")
    content.post("Hello", "A walk along the coast.", slug="hello", author_id=ada)
    client = app.test_client()
    page = client.get("/contact")
    client.post(
        "/contact",
        data={"token": token_of(page), "name": "Vera", "email": "vera@example.com", "message": "Hello there, owner."},
    )
    page = client.get("/posts/hello")
    client.post(
        "/posts/hello/comments",
        data={"token": token_of(page), "name": "Bo", "email": "bo@example.com", "body": "Held words.", "website": ""},
    )
    client.post("/reset-password", data={"email": EMAIL}, buffered=True)
    # A mail to an address the server refuses, given up after MAIL_MAX_ATTEMPTS: the admins' alert.
    with app.app_context():
        blog.mail.queue_mail(["nobody@refused.example.com"], "Doomed", "Words.")
        db.session.commit()
    smtp.reply = "550 5.1.1 No such user"
    runner = app.test_cli_runner()
    runner.invoke(args=["mail", "send-queued"])
    smtp.reply = None
    runner.invoke(args=["mail", "send-queued"])
    with app.app_context():
        kinds = {subject: kind for subject, kind in db.session.execute(select(OutboxMail.subject, OutboxMail.kind))}
    return {kinds.get(message["Subject"]): message for message in smtp.messages}


@pytest.mark.parametrize(
    ("settings", "sender", "domain"),
    [
        (
            {"SITE_URL": "https://blog.example.com", "MAIL_FROM": "notes@mail.example.org"},
            "Test Blog",
            "blog.example.com",
        ),
        ({"MAIL_FROM": "notes@mail.example.org"}, "Test Blog", "mail.example.org"),
        (
            {"SITE_URL": "https://blog.example.com", "MAIL_FROM": "Rita's Notes <notes@mail.example.org>"},
            "Rita's Notes",
            "blog.example.com",
        ),
    ],
    ids=["site-url", "no-site-url", "own-display-name"],
)
def test_every_mail_is_multipart_with_the_sites_name_date_message_id_and_auto_submitted(
    make_app, smtp, settings, sender, domain
):
    smtp.start()
    app = make_app(**FAST, **smtp.settings(), MAIL_MAX_ATTEMPTS=1, **settings)
    mails = every_kind_of_mail(app, smtp)
    assert set(mails) == {"contact_message", "comment_for_author", "password_reset", "failed_mail_alert"}
    site_url = settings.get("SITE_URL", "http://localhost")
    for kind, message in mails.items():
        assert message.get_content_type() == "multipart/alternative", kind
        assert message["From"].addresses[0].display_name == sender, kind
        assert message["From"].addresses[0].addr_spec == "notes@mail.example.org", kind
        assert message["Date"].datetime is not None, kind
        assert re.fullmatch(rf"<[^@>]+@{re.escape(domain)}>", message["Message-ID"]), kind
        assert message["Auto-Submitted"] == "auto-generated", kind
        plain, html = plain_text(message), html_text(message)
        assert plain.strip() and "<p>" not in plain and "<a " not in plain, kind
        assert html.lstrip().startswith("<!doctype html>") and "Test Blog" in html, kind
        for link in re.findall(r"https?://[^\s\"<>]+", plain) + re.findall(r'href="([^"]+)"', html):
            assert link.startswith(site_url), (kind, link)


def test_mail_built_outside_a_request_links_to_site_url(make_app, smtp):
    """The failed-mail alert is made by the queue sender (no request): its inbox link is on SITE_URL."""
    smtp.start()
    app = make_app(**FAST, **smtp.settings(), MAIL_MAX_ATTEMPTS=1, SITE_URL="https://blog.example.com")
    Content(app).author(email=ADMIN_EMAIL, name="Rita Root", role="admin")
    client = app.test_client()
    page = client.get("/contact")
    smtp.reply = "550 5.1.1 No such user"
    client.post(
        "/contact",
        data={"token": token_of(page), "name": "Vera", "email": "vera@example.com", "message": "Hello there, owner."},
    )
    smtp.reply = None
    app.test_cli_runner().invoke(args=["mail", "send-queued"])
    [alert] = smtp.messages
    assert "https://blog.example.com/admin/messages" in plain_text(alert)


def test_the_comment_mail_escapes_the_readers_words_in_html(make_app, smtp):
    smtp.start()
    app = make_app(**FAST, **smtp.settings())
    Content(app).post("Hello", "A walk along the coast.", slug="hello")
    client = app.test_client()
    page = client.get("/posts/hello")
    client.post(
        "/posts/hello/comments",
        data={"token": token_of(page), "name": "<b>Bo</b>", "email": "bo@example.com", "body": "<script>x</script>"},
    )
    [message] = smtp.messages
    assert "<script>" not in html_text(message) and "<b>Bo</b>" not in html_text(message)
    assert "&lt;b&gt;Bo&lt;/b&gt;" in html_text(message)
    with app.app_context():
        assert db.session.scalar(select(Comment.status)) == Comment.PENDING


# --- the queue sender's loop ---------------------------------------------------------------------------------


def queue(app, subject):
    with app.app_context():
        blog.mail.queue_from_templates(
            ["reader@example.com"], subject, "password_reset", user=User(name="Vic"), link="x", minutes=60
        )
        db.session.commit()


def wait_for(condition, seconds=60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["term", "ctrl-c"])
def test_send_queued_every_keeps_delivering_until_stopped(make_app, smtp, database_url, stop_signal):
    smtp.start()
    app = make_app(**smtp.settings())
    queue(app, "First")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "x",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "blog", "mail", "send-queued", "--every", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: len(smtp.received) == 1), "the first pass sends what is queued"
        queue(app, "Second")  # queued while the sender waits: a later pass sends it
        assert wait_for(lambda: len(smtp.received) == 2), "a later pass sends the next mail"
        assert process.poll() is None  # still running
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Sending queued mail every 1 s" in out and "Stopped sending queued mail." in out
    assert "Traceback" not in err
    assert [message["Subject"] for message in smtp.messages] == ["First", "Second"]
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMail.status))) == {OutboxMail.SENT}


def test_send_queued_every_needs_a_positive_interval(runner):
    result = runner.invoke(args=["mail", "send-queued", "--every", "0"])
    assert result.exit_code != 0 and "--every" in result.output


# --- `make run` runs the sender beside the server ------------------------------------------------------------


def test_make_run_sends_queued_mail_beside_the_server_and_ctrl_c_stops_both(tmp_path, smtp):
    venv = Path(sys.executable).parent.parent
    if not (venv / ".run-installed").exists():
        pytest.skip("make run's virtualenv marker is missing: the tests do not run from a `make`-built venv")
    database_url = f"sqlite:///{tmp_path}/run.sqlite3"
    assert flask_cli(database_url, "db", "upgrade").returncode == 0
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    Content(app).post("Already there", "So seed-demo --if-empty adds nothing.")
    queue(app, "Waiting since before the server started")
    with app.app_context():
        db.engine.dispose()
    smtp.start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "x" * 32,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    # -o: the secret key comes from the environment; make must not write one into the repository's instance/.
    command = ["make", "run", f"VENV={venv}", f"BIN={venv / 'bin'}", f"PORT={port}", "-o", "instance/secret_key"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # As in a terminal: Ctrl-C's default action, even when this suite runs in the background (where the
        # shell that started it made every child ignore SIGINT, and the server would never see it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert wait_for(lambda: len(smtp.received) == 1), "the sender started by make run delivers the queued mail"
        assert wait_for(lambda: server_answers(port)), "the server runs beside it"
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole process group
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert "Sending queued mail every 60 s" in out and "Stopped sending queued mail." in out
    assert not server_answers(port)
    assert smtp.messages[0]["Subject"] == "Waiting since before the server started"
    left = subprocess.run(["ps", "-o", "pid=", "-g", str(process.pid)], capture_output=True, text=True).stdout
    assert left.strip() == "", "no process of make run is left behind"


def server_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError):
        return False
