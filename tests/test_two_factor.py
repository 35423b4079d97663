"""Two-factor authentication (TOTP): set-up, login with a code, replays, recovery codes, throttling,
turning it off, REQUIRE_2FA_FOR_ADMINS, an admin's reset, and the migration. Codes run on a frozen clock."""

import html
import logging
import re

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import RecoveryCode, User, UserSession
from blog.twofactor import services

from .helpers import ADMIN_EMAIL, EMAIL, PASSWORD, csrf_token_of, field_errors, flask_cli, log_in, text

# A fixed moment in the middle of a 30-second step.
T0 = 1_800_000_015.0


class FrozenClock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(T0)
    monkeypatch.setattr(services, "clock", frozen)
    return frozen


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


def wrong_code(secret: str) -> str:
    """Six digits that are no code of the steps around T0."""
    near = {code_at(secret, T0 + offset) for offset in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def secret_on(page) -> str:
    found = re.search(r'<code class="totp-secret" id="totp-secret">([A-Z2-7 ]+)</code>', text(page))
    assert found, "no secret on the set-up page"
    return found.group(1).replace(" ", "")


def set_up_two_factor(client, moment: float = T0) -> tuple[str, list[str]]:
    """Turn two-factor on for the logged-in client: the secret and the recovery codes shown."""
    page = client.get("/admin/account/two-factor")
    secret = secret_on(page)
    done = client.post("/admin/account/two-factor", data={"code": code_at(secret, moment)})
    assert "Two-factor authentication is on" in text(done), text(done)
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", text(done))
    return secret, codes


@pytest.fixture
def ada_with_2fa(app, author, auth, clock):
    """Ada has two-factor on (set up a step before T0, so T0's code is fresh): her secret and recovery codes."""
    client = auth.log_in()
    secret, codes = set_up_two_factor(client, moment=T0 - 30)
    return secret, codes


def session_count(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user_id))


def enter_code(client, code, **kwargs):
    return client.post("/login/code", data={"code": code, **kwargs})


# --- set-up ------------------------------------------------------------------------------------------------


def test_account_page_offers_set_up_and_set_up_needs_a_correct_code(app, writer, author, clock):
    account = text(writer.get("/admin/account"))
    assert "Set up two-factor authentication" in account and 'href="/admin/account/two-factor"' in account

    page = writer.get("/admin/account/two-factor")
    body = text(page)
    assert "no-store" in page.headers["Cache-Control"].split(", ")
    assert '<label for="code">Authentication code</label>' in body
    # The QR code is an SVG made here, inline as a data: URI (the CSP allows data: images, no inline style).
    assert re.search(r'<img class="qr-code" src="data:image/svg\+xml[^"]+"', body)
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]
    secret = secret_on(page)
    assert len(secret) == 32
    # Reloading keeps the same secret, so a QR code already scanned still works.
    assert secret_on(writer.get("/admin/account/two-factor")) == secret

    wrong = writer.post("/admin/account/two-factor", data={"code": wrong_code(secret)})
    assert "That code is not right" in field_errors(wrong)["code"]
    with app.app_context():
        assert not db.session.get(User, author).two_factor_enabled

    done = writer.post("/admin/account/two-factor", data={"code": code_at(secret, T0)})
    assert "Your recovery codes" in text(done) and "no-store" in done.headers["Cache-Control"].split(", ")
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", text(done))
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        user = db.session.get(User, author)
        assert user.two_factor_enabled
        digests = db.session.scalars(select(RecoveryCode.code_digest).where(RecoveryCode.user_id == author)).all()
        assert len(digests) == 10 and not set(codes) & set(digests)  # stored hashed only

    # Never shown again: the page now offers only turning it off.
    again = text(writer.get("/admin/account/two-factor"))
    assert secret not in again and "data:image/svg" not in again and not any(code in again for code in codes)
    assert "You have 10 unused recovery codes." in again
    assert "On: logging in asks for a code" in text(writer.get("/admin/account"))


# --- logging in ------------------------------------------------------------------------------------------------


def test_password_alone_does_not_log_in_and_the_code_does(app, author, ada_with_2fa, clock):
    secret, _ = ada_with_2fa
    client = app.test_client()
    sessions_before = session_count(app, author)

    step_one = log_in(client, next_path="/admin/posts")
    assert step_one.headers["Location"] == "/login/code"
    # Half logged in is not logged in: the dashboard still sends to the login page, no device session exists.
    assert client.get("/admin/").headers["Location"].startswith("/login")
    assert session_count(app, author) == sessions_before

    page = client.get("/login/code")
    assert '<label for="code">Authentication code</label>' in text(page)
    done = enter_code(client, code_at(secret, T0))
    assert done.headers["Location"] == "/admin/posts"
    assert "Welcome back, Ada Writer." in text(client.get("/admin/posts"))
    assert session_count(app, author) == sessions_before + 1


def test_the_code_page_without_a_password_first_goes_back_to_login(client, ada_with_2fa):
    assert client.get("/login/code").headers["Location"] == "/login"
    assert enter_code(client, "123456").headers["Location"] == "/login"


def test_a_replayed_code_is_refused(app, ada_with_2fa, clock):
    secret, _ = ada_with_2fa
    first, second = app.test_client(), app.test_client()
    log_in(first)
    log_in(second)
    assert enter_code(first, code_at(secret, T0)).headers["Location"] == "/admin/"
    replay = enter_code(second, code_at(secret, T0))
    assert replay.status_code == 200
    assert "That code is not right, or it has been used already." in text(replay)
    assert second.get("/admin/").headers["Location"].startswith("/login")


def test_the_previous_step_is_accepted_and_two_steps_ago_refused(app, ada_with_2fa, clock):
    secret, _ = ada_with_2fa
    clock.now = T0 + 60  # two steps after T0
    client = app.test_client()
    log_in(client)
    assert "That code is not right" in text(enter_code(client, code_at(secret, T0)))
    assert enter_code(client, code_at(secret, T0 + 30)).headers["Location"] == "/admin/"


def test_a_code_of_the_next_step_is_accepted(app, ada_with_2fa, clock):
    secret, _ = ada_with_2fa
    client = app.test_client()
    log_in(client)
    assert enter_code(client, code_at(secret, T0 + 30)).headers["Location"] == "/admin/"


def test_a_recovery_code_works_once(app, auth, ada_with_2fa, clock, caplog):
    _, codes = ada_with_2fa
    client = app.test_client()
    log_in(client)
    with caplog.at_level(logging.INFO, logger="blog.security"):
        assert enter_code(client, codes[0].upper()).headers["Location"] == "/admin/"
    assert "event=recovery_code_used email=ada@example.com" in caplog.text and "left=9" in caplog.text
    auth.log_out(client)

    log_in(client)
    again = enter_code(client, codes[0])
    assert "That code is not right, or it has been used already." in text(again)
    assert enter_code(client, codes[1]).headers["Location"] == "/admin/"


def test_remember_me_is_kept_until_the_code_and_only_then_sets_its_cookie(app, ada_with_2fa, clock):
    secret, _ = ada_with_2fa
    client = app.test_client()
    step_one = log_in(client, remember="y")
    assert "remember_token" not in step_one.headers.get("Set-Cookie", "")
    done = enter_code(client, code_at(secret, T0))
    assert "remember_token=" in " ".join(done.headers.getlist("Set-Cookie"))


def test_wrong_codes_are_throttled_with_the_login(app, ada_with_2fa, clock, caplog):
    secret, _ = ada_with_2fa
    client = app.test_client()
    log_in(client)
    with caplog.at_level(logging.INFO, logger="blog.security"):
        near = {code_at(secret, T0 + offset) for offset in (-30, 0, 30)}
        guesses = [str(n) * 6 for n in range(10) if str(n) * 6 not in near][:5]
        for guess in guesses:
            assert enter_code(client, guess).status_code == 200
        throttled = enter_code(client, code_at(secret, T0))
    assert throttled.status_code == 429 and "Too many attempts" in text(throttled)
    assert '<label for="code">Authentication code</label>' in text(throttled)
    assert "event=two_factor_failed email=ada@example.com" in caplog.text
    # The wrong codes count towards the login's own limit for this account too.
    assert log_in(app.test_client()).status_code == 429


def test_the_code_step_works_with_csrf_on(make_app, clock):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = User(email=EMAIL, name="Ada Writer", role="author")
        user.set_password(PASSWORD)
        user.totp_secret = pyotp.random_base32()
        user.totp_enabled_at = services.utcnow()
        db.session.add(user)
        db.session.commit()
        secret = user.totp_secret
    client = app.test_client()
    login_page = client.get("/login")
    assert log_in(client, csrf_token=csrf_token_of(login_page)).headers["Location"] == "/login/code"
    assert enter_code(client, code_at(secret, T0)).status_code == 400  # no token
    page = client.get("/login/code")
    done = enter_code(client, code_at(secret, T0), csrf_token=csrf_token_of(page))
    assert done.headers["Location"] == "/admin/"


# --- turning it off, and an admin's reset ------------------------------------------------------------------


def test_turning_off_needs_the_password_and_a_code(app, author, auth, ada_with_2fa, clock):
    secret, _ = ada_with_2fa
    client = app.test_client()
    log_in(client)
    enter_code(client, code_at(secret, T0))
    page = text(client.get("/admin/account/two-factor"))
    assert '<label for="password">Password</label>' in page and '<label for="code">Authentication code</label>' in page

    clock.now = T0 + 30
    wrong_password = client.post(
        "/admin/account/two-factor/disable", data={"password": "wrong one", "code": code_at(secret, T0 + 30)}
    )
    assert field_errors(wrong_password)["password"] == "That is not your current password."
    wrong_code = client.post("/admin/account/two-factor/disable", data={"password": PASSWORD, "code": "12345x"})
    assert "That code is not right" in field_errors(wrong_code)["code"]
    with app.app_context():
        assert db.session.get(User, author).two_factor_enabled

    off = client.post(
        "/admin/account/two-factor/disable", data={"password": PASSWORD, "code": code_at(secret, T0 + 30)}
    )
    assert off.headers["Location"] == "/admin/account"
    assert "Two-factor authentication is off." in text(client.get("/admin/account"))
    with app.app_context():
        user = db.session.get(User, author)
        assert not user.two_factor_enabled and user.totp_secret is None
        assert db.session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == author)) == 0
    assert log_in(app.test_client()).headers["Location"] == "/admin/"


def test_new_recovery_codes_need_the_password_and_a_code_and_void_the_old_ones(app, ada_with_2fa, clock):
    secret, old_codes = ada_with_2fa
    client = app.test_client()
    log_in(client)
    enter_code(client, old_codes[0])
    assert "Make new recovery codes" in text(client.get("/admin/account/two-factor"))
    page = text(client.get("/admin/account/two-factor/recovery-codes"))
    assert '<label for="password">Password</label>' in page and '<label for="code">Authentication code</label>' in page

    url = "/admin/account/two-factor/recovery-codes"
    wrong = client.post(url, data={"password": "nope nope", "code": old_codes[1]})
    assert field_errors(wrong)["password"] == "That is not your current password."
    done = client.post(url, data={"password": PASSWORD, "code": old_codes[1]})
    assert "New recovery codes made" in text(done) and "no-store" in done.headers["Cache-Control"].split(", ")
    new_codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", text(done))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)

    other = app.test_client()
    log_in(other)
    assert "That code is not right" in text(enter_code(other, old_codes[2]))
    assert enter_code(other, new_codes[0]).headers["Location"] == "/admin/"


def test_an_admin_resets_an_authors_second_factor_and_it_is_logged(app, author, admin, auth, ada_with_2fa, caplog):
    rita = auth.log_in(ADMIN_EMAIL)
    authors_page = text(rita.get("/admin/authors"))
    assert "Reset two-factor" in authors_page
    assert session_count(app, author) == 1  # the session Ada set two-factor up in
    with caplog.at_level(logging.INFO, logger="blog.security"):
        reset = rita.post(f"/admin/authors/{author}/two-factor/reset")
    # Whoever was signed in as Ada got past the factor that was just reset: every one of her sessions ends.
    assert session_count(app, author) == 0
    assert reset.headers["Location"] == "/admin/authors"
    assert "Two-factor authentication is off for Ada Writer" in html.unescape(text(rita.get("/admin/authors")))
    assert "event=two_factor_reset email=ada@example.com" in caplog.text and "by=rita@example.com" in caplog.text
    # Ada logs in with her password alone again, and can set it up anew.
    assert log_in(app.test_client()).headers["Location"] == "/admin/"
    # Authors can't reset anyone's second factor.
    ada = auth.log_in()
    assert ada.post(f"/admin/authors/{admin}/two-factor/reset").status_code == 403


# --- REQUIRE_2FA_FOR_ADMINS -------------------------------------------------------------------------------------


def test_admins_must_set_it_up_first_when_required(make_app, clock):
    app = make_app(REQUIRE_2FA_FOR_ADMINS=True)
    with app.app_context():
        for email, role in ((ADMIN_EMAIL, "admin"), (EMAIL, "author")):
            user = User(email=email, name=email.split("@")[0].title(), role=role)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    rita = app.test_client()
    log_in(rita, ADMIN_EMAIL)
    for path in ("/admin/", "/admin/posts", "/admin/authors", "/admin/media", "/admin/comments"):
        assert rita.get(path).headers["Location"] == "/admin/account/two-factor", path
    page = text(rita.get("/admin/account/two-factor"))
    assert "Admins of this blog must set up two-factor authentication before anything else." in page
    # Authors are not held back.
    ada = app.test_client()
    log_in(ada)
    assert ada.get("/admin/").status_code == 200

    set_up_two_factor(rita)
    assert rita.get("/admin/").status_code == 200


def test_the_command_line_turns_an_authors_second_factor_off(app, runner, author, ada_with_2fa):
    result = runner.invoke(args=["two-factor", "off", "ADA@example.com"])
    assert result.exit_code == 0, result.output
    assert "Two-factor authentication is off for ada@example.com" in result.output
    assert log_in(app.test_client()).headers["Location"] == "/admin/"
    again = runner.invoke(args=["two-factor", "off", "ada@example.com"])
    assert "already off" in again.output
    unknown = runner.invoke(args=["two-factor", "off", "nobody@example.com"])
    assert unknown.exit_code == 1 and "No author has the email nobody@example.com." in unknown.output


def test_not_required_by_default(app, admin, auth):
    assert auth.log_in(ADMIN_EMAIL).get("/admin/").status_code == 200


# --- the migration ----------------------------------------------------------------------------------------------


def test_the_two_factor_migration_keeps_authors_and_leaves_two_factor_off(empty_database):
    before_2fa = "e5a1c0b7d9f2"
    assert flask_cli(empty_database, "db", "upgrade", before_2fa).returncode == 0
    engine = sa.create_engine(empty_database)
    now = "2026-11-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, created_at) VALUES "
                "(1, 'ada@example.com', 'Ada', 'scrypt:x', 'author', true, :now), "
                "(2, 'rita@example.com', 'Rita', 'scrypt:y', 'admin', false, :now)"
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
                "INSERT INTO user_sessions (id, token_digest, user_id, created_at, last_seen_at, device, remember) "
                "VALUES (1, 'digest', 1, :now, :now, 'Firefox on Linux', false)"
            ),
            {"now": now},
        )
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        users = conn.execute(
            sa.text(
                "SELECT id, email, role, active, totp_secret, totp_enabled_at, totp_last_step FROM users ORDER BY id"
            )
        ).all()
        assert [tuple(row) for row in users] == [
            (1, "ada@example.com", "author", True, None, None, None),
            (2, "rita@example.com", "admin", False, None, None, None),
        ]
        assert conn.execute(sa.text("SELECT count(*) FROM recovery_codes")).scalar() == 0
    assert flask_cli(empty_database, "db", "check").returncode == 0

    downgrade = flask_cli(empty_database, "db", "downgrade", before_2fa)
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, email FROM users ORDER BY id")).all() == [
            (1, "ada@example.com"),
            (2, "rita@example.com"),
        ]
        assert conn.execute(sa.text("SELECT id, author_id FROM posts")).all() == [(1, 1)]
        assert conn.execute(sa.text("SELECT id, user_id FROM user_sessions")).all() == [(1, 1)]
        assert "recovery_codes" not in sa.inspect(conn).get_table_names()
    engine.dispose()
