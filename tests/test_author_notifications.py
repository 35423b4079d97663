"""Authors' comment mail (their account page's choice) and the failed-mail alert to admins, over a real SMTP server."""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

import blog.mail
from blog.extensions import db
from blog.models import OutboxMail, User

from .conftest import Content
from .helpers import ADMIN_EMAIL, EMAIL, ROOT, csrf_token_of, flask_cli, log_in, plain_text, text, token_of

FAST = {"COMMENT_MIN_SECONDS": 0, "COMMENT_RATE_LIMIT": "1000 per minute"}
LINKS = "Links: https://a.example/1 and https://b.example/2 and https://c.example/3"  # held: too many links


@pytest.fixture
def blog_app(make_app, smtp):
    """Ada's post "Hello" at /posts/hello on https://blog.example.com; first-time commenters are held."""
    smtp.start()
    app = make_app(**FAST, **smtp.settings(), SITE_URL="https://blog.example.com")
    Content(app).post("Hello", "A walk along the coast.", slug="hello")
    return app


def comment(client, body="What a lovely walk.", email="bo@example.com", name="Bo Reader", website=""):
    page = client.get("/posts/hello")
    data = {"token": token_of(page), "parent_id": "", "website": website, "name": name, "email": email, "body": body}
    response = client.post("/posts/hello/comments", data=data)
    assert response.status_code == 302, text(response)
    return response


def choose(app, choice: str):
    client = app.test_client()
    log_in(client)
    response = client.post("/admin/account/notifications", data={"comment_mail": choice})
    assert response.headers["Location"] == "/admin/account"
    return client


def approve_earlier_comments(app):
    """Bo has a published comment already, so his next ones are published at once (first-time moderation)."""
    from blog.models import Comment

    with app.app_context():
        db.session.execute(update(Comment).values(status=Comment.APPROVED, held_reason=None))
        db.session.commit()


def test_the_account_page_offers_the_three_choices_with_held_comments_by_default(blog_app):
    client = blog_app.test_client()
    log_in(client)
    page = text(client.get("/admin/account"))
    assert "<legend>Email me about comments</legend>" in page
    for label in ["Every new comment on my posts", "Comments waiting for moderation", "None"]:
        assert re.search(rf'<label for="comment_mail-\d">{label}</label>', page), label
    assert re.search(
        r'<input checked id="comment_mail-1" name="comment_mail" required type="radio" value="pending">', page
    )

    assert client.post("/admin/account/notifications", data={"comment_mail": "every"}).status_code == 302
    saved = text(client.get("/admin/account"))
    assert "Your notification choice is saved." in saved
    assert re.search(
        r'<input checked id="comment_mail-0" name="comment_mail" required type="radio" value="every">', saved
    )
    with blog_app.app_context():
        assert db.session.scalar(select(User.comment_mail)) == "every"

    bad = client.post("/admin/account/notifications", data={"comment_mail": "sometimes"})
    assert bad.status_code == 200 and "Not a valid choice" in text(bad)
    with blog_app.app_context():
        assert db.session.scalar(select(User.comment_mail)) == "every"


def test_the_choice_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    client = app.test_client()
    page = client.get("/login")
    log_in(client, csrf_token=csrf_token_of(page))
    assert client.post("/admin/account/notifications", data={"comment_mail": "none"}).status_code == 400
    token = csrf_token_of(client.get("/admin/account"))
    response = client.post("/admin/account/notifications", data={"comment_mail": "none", "csrf_token": token})
    assert response.headers["Location"] == "/admin/account"


def test_by_default_a_held_comment_mails_the_author_and_a_published_one_does_not(blog_app, smtp):
    reader = blog_app.test_client()
    comment(reader, "First words from Bo.")  # first-time commenter: held
    [mail] = smtp.messages
    assert smtp.received[0].rcpt_tos == [EMAIL]
    assert mail["Subject"] == "A comment waits for moderation on “Hello” (Test Blog)"
    assert mail["From"] == "Test Blog <blog@localhost>"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = plain_text(mail)
    assert "Bo Reader commented on “Hello”. The comment waits for moderation:" in body
    assert "First words from Bo." in body
    assert "https://blog.example.com/admin/comments" in body

    approve_earlier_comments(blog_app)
    comment(reader, "Published at once this time.")
    assert len(smtp.received) == 1


def test_every_comment_mails_each_new_comment_with_a_link_to_it(blog_app, smtp):
    choose(blog_app, "every")
    reader = blog_app.test_client()
    comment(reader, "Held words.")
    approve_earlier_comments(blog_app)
    comment(reader, "Published words.")
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == ["A comment waits for moderation on “Hello” (Test Blog)", "New comment on “Hello” (Test Blog)"]
    published = plain_text(smtp.messages[1])
    assert "Published words." in published
    assert re.search(r"https://blog\.example\.com/comments/\d+", published)
    assert "<p>Published words.</p>" in smtp.messages[1].get_body(("html",)).get_content()


def test_none_sends_nothing(blog_app, smtp):
    choose(blog_app, "none")
    comment(blog_app.test_client(), "Held words.")
    assert smtp.received == []


def test_spam_never_mails_the_author(blog_app, smtp):
    choose(blog_app, "every")
    comment(blog_app.test_client(), "Buy things.", website="http://spam.example")  # the honeypot: spam
    comment(blog_app.test_client(), LINKS)  # held for its links: mailed
    assert [m["Subject"] for m in smtp.messages] == ["A comment waits for moderation on “Hello” (Test Blog)"]


def test_a_deactivated_author_gets_no_mail(blog_app, smtp):
    with blog_app.app_context():
        db.session.execute(update(User).values(active=False))
        db.session.commit()
    comment(blog_app.test_client())
    assert smtp.received == []


def test_the_comment_is_kept_when_the_mail_server_is_down(make_app, smtp):
    app = make_app(**FAST, **smtp.settings())  # not started
    Content(app).post("Hello", "A walk along the coast.", slug="hello")
    comment(app.test_client())
    with app.app_context():
        [mail] = db.session.scalars(select(OutboxMail)).all()
        assert mail.kind == "comment_for_author" and mail.status == OutboxMail.QUEUED


# --- the failed-mail alert -----------------------------------------------------------------------------------


def failing_app(make_app, smtp, **settings):
    return make_app(**smtp.settings(), MAIL_MAX_ATTEMPTS=2, **settings)


def queue_one(app, to="reader@example.com"):
    with app.app_context():
        blog.mail.queue_from_templates(
            [to], "Reset your password", "password_reset", user=User(name="Vic"), link="x", minutes=60
        )
        db.session.commit()


def send_queued(app, *args):
    return app.test_cli_runner().invoke(args=["mail", "send-queued", *args])


def test_admins_are_alerted_once_when_a_mail_fails_for_good_without_its_body(make_app, smtp):
    app = failing_app(make_app, smtp)
    content = Content(app)
    content.author()
    content.author(email=ADMIN_EMAIL, name="Rita Root", role="admin")
    gone = content.author(email="gone@example.com", name="Gone", role="admin")
    with app.app_context():
        db.session.execute(update(User).where(User.id == gone).values(active=False))
        blog.mail.queue_mail(
            ["reader@example.com"], "Secret link inside", "https://blog.example.com/reset-password/T0KEN"
        )
        db.session.commit()
    smtp.start()
    smtp.reply = "550 5.1.1 No such user"
    assert "will retry 1" in send_queued(app).output
    assert "failed for good 1" in send_queued(app).output
    smtp.reply = None
    assert "Sent 1," in send_queued(app).output  # the alert
    [envelope], [alert] = smtp.received, smtp.messages
    assert envelope.rcpt_tos == [ADMIN_EMAIL]  # active admins only, never authors
    assert alert["Subject"] == "A mail could not be sent: Secret link inside"
    body = plain_text(alert)
    assert "To: reader@example.com" in body and "550, b'5.1.1 No such user'" in body and "Attempts: 2" in body
    assert "T0KEN" not in body and "T0KEN" not in alert.get_body(("html",)).get_content()

    # Sent again by hand and failing again: no second alert for the same mail.
    smtp.reply = "550 5.1.1 No such user"
    assert "failed for good 1" in send_queued(app, "--retry-failed").output
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMail.kind).order_by(OutboxMail.id)).all()
    assert kinds == [None, "failed_mail_alert"]


def test_an_alert_that_fails_raises_no_alert_about_itself(make_app, smtp):
    app = failing_app(make_app, smtp)
    Content(app).author(email=ADMIN_EMAIL, name="Rita Root", role="admin")
    queue_one(app)
    smtp.start()
    smtp.reply = "451 4.3.0 Try again later"
    for _ in range(6):
        send_queued(app)
    with app.app_context():
        rows = db.session.execute(select(OutboxMail.kind, OutboxMail.status).order_by(OutboxMail.id)).all()
    assert [tuple(row) for row in rows] == [("password_reset", "failed"), ("failed_mail_alert", "failed")]


def test_no_admin_no_alert(make_app, smtp):
    app = failing_app(make_app, smtp)
    Content(app).author()
    queue_one(app)
    smtp.start()
    smtp.reply = "550 5.1.1 No such user"
    send_queued(app)
    send_queued(app)
    with app.app_context():
        assert db.session.scalars(select(OutboxMail.kind)).all() == ["password_reset"]


# --- the migration, on a database with rows ------------------------------------------------------------------

MIGRATION = ROOT / "migrations" / "versions" / "42a13cb27d91_password_resets_and_author_mail.py"


def test_the_migration_keeps_every_author_post_comment_and_mail(empty_database):
    """users and outbox gain columns: every row stays, authors get the default choice, old mails no kind."""
    before = re.search(r"^down_revision = '(\w+)'", MIGRATION.read_text(), re.M).group(1)
    assert flask_cli(empty_database, "db", "upgrade", before).returncode == 0
    engine = sa.create_engine(empty_database)
    now = "2026-11-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, slug, password_hash, role, active, created_at) VALUES "
                "(1, 'ada@example.com', 'Ada', 'ada', 'scrypt:x', 'author', true, :now), "
                "(2, 'rita@example.com', 'Rita', 'rita', 'scrypt:y', 'admin', false, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, created_at, "
                "updated_at, author_id, comments_open) VALUES (1, 'Kept', 'kept', 'Body', '<p>Body</p>', 'Body', 1, "
                "false, :now, :now, 1, true)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO comments (id, post_id, depth, name, email, body, body_html, status, created_at, "
                "updated_at) VALUES (1, 1, 1, 'Vera', 'vera@example.com', 'Nice', '<p>Nice</p>', 'approved', "
                ":now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO outbox (id, to_addresses, subject, body, status, attempts, next_attempt_at, created_at) "
                "VALUES (1, 'owner@example.com', 'Old mail', 'Words', 'sent', 1, :now, :now)"
            ),
            {"now": now},
        )
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        users = conn.execute(sa.text("SELECT id, email, active, comment_mail, reset_nonce FROM users ORDER BY id"))
        assert [tuple(row) for row in users] == [
            (1, "ada@example.com", True, "pending", None),
            (2, "rita@example.com", False, "pending", None),
        ]
        assert [tuple(r) for r in conn.execute(sa.text("SELECT id, author_id FROM posts"))] == [(1, 1)]
        assert [tuple(r) for r in conn.execute(sa.text("SELECT id, post_id FROM comments"))] == [(1, 1)]
        assert [tuple(r) for r in conn.execute(sa.text("SELECT id, subject, kind FROM outbox"))] == [
            (1, "Old mail", None)
        ]
    downgrade = flask_cli(empty_database, "db", "downgrade", before)
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert "comment_mail" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}
        assert [tuple(r) for r in conn.execute(sa.text("SELECT id, email FROM users ORDER BY id"))] == [
            (1, "ada@example.com"),
            (2, "rita@example.com"),
        ]
        assert [tuple(r) for r in conn.execute(sa.text("SELECT id, author_id FROM posts"))] == [(1, 1)]
        assert [tuple(r) for r in conn.execute(sa.text("SELECT id, post_id FROM comments"))] == [(1, 1)]
        assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar() == 1
    engine.dispose()
