"""Sessions per device, their expiry, the editor's kept text after a lost session, and the security log."""

import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from blog.extensions import db
from blog.models import EditorStash, Post, User, UserSession, utcnow

from .conftest import Content
from .helpers import PASSWORD, change_password, csrf_token_of, log_in, text

LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Mobile/15E148 Safari/604.1"
)
KEPT = "Your text was kept: it is not saved yet. Press Publish or Save draft to save it."
GONE = "The text kept from your last session is no longer available"


def device(app, user_agent=None):
    """A test client that sends this User-Agent on every request, like one browser would."""
    client = app.test_client()
    if user_agent:
        client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def logged_in(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200 and "Hello, Ada Writer" in text(response)


def session_rows(app) -> list[UserSession]:
    with app.app_context():
        rows = db.session.scalars(select(UserSession).order_by(UserSession.id)).all()
        db.session.expunge_all()
        return rows


def age_sessions(app, **changes):
    """Move every session's timestamps back in time: the frozen-clock stand-in."""
    with app.app_context():
        values = {name: utcnow() - delta for name, delta in changes.items()}
        db.session.execute(update(UserSession).values(**values))
        db.session.commit()


def count(app, column) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(column)))


@pytest.fixture
def ada(app):
    Content(app).author()
    return app


# --- two devices ------------------------------------------------------------------------------------------


def test_two_devices_stay_logged_in_and_each_ends_its_own_session(ada):
    laptop, phone = device(ada, LAPTOP), device(ada, PHONE)
    log_in(laptop)
    log_in(phone)
    assert logged_in(laptop) and logged_in(phone)
    assert [(row.device, row.remember) for row in session_rows(ada)] == [
        ("Chrome on Linux", False),
        ("Safari on iPhone", False),
    ]

    account = text(phone.get("/admin/account"))
    assert '<h2 id="sessions-heading">Your sessions</h2>' in account
    assert account.count("Chrome on Linux") == 2 and account.count("Safari on iPhone") == 1  # name + button label
    assert account.count("This device") == 1
    assert "Sign out everywhere else" in account

    phone.post("/logout")
    assert not logged_in(phone) and logged_in(laptop)
    assert [row.device for row in session_rows(ada)] == ["Chrome on Linux"]


def test_sign_out_ends_the_other_device_and_the_editor_post_from_there_goes_to_login(ada):
    laptop, phone = device(ada, LAPTOP), device(ada, PHONE)
    log_in(laptop)
    log_in(phone)
    laptop_session = session_rows(ada)[0].id
    response = phone.post(f"/admin/account/sessions/{laptop_session}/sign-out")
    assert response.headers["Location"] == "/admin/account"
    page = text(phone.get("/admin/account"))
    assert "That session has ended: the device is signed out." in page and "Chrome on Linux" not in page
    assert not logged_in(laptop) and logged_in(phone)


def test_sign_out_everywhere_else_keeps_only_this_device(ada):
    clients = [device(ada, LAPTOP), device(ada, PHONE), device(ada)]
    for client in clients:
        log_in(client)
    response = clients[1].post("/admin/account/sessions/sign-out-others")
    assert response.headers["Location"] == "/admin/account"
    assert "2 other sessions have ended." in text(clients[1].get("/admin/account"))
    assert [logged_in(client) for client in clients] == [False, True, False]
    assert "Sign out everywhere else" not in text(clients[1].get("/admin/account"))


def test_an_author_cannot_end_someone_elses_session(ada):
    Content(ada).author(email="bo@example.com", name="Bo Builder")
    ada_client, bo = device(ada), device(ada)
    log_in(ada_client)
    log_in(bo, email="bo@example.com")
    ada_session = session_rows(ada)[0].id
    assert bo.post(f"/admin/account/sessions/{ada_session}/sign-out").status_code == 404
    assert bo.post("/admin/account/sessions/99999/sign-out").status_code == 404
    assert logged_in(ada_client)


def test_session_buttons_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    laptop, phone = device(app, LAPTOP), device(app, PHONE)
    for client in (laptop, phone):
        log_in(client, csrf_token=csrf_token_of(client.get("/login")))
    account = phone.get("/admin/account")
    laptop_session = session_rows(app)[0].id
    assert phone.post(f"/admin/account/sessions/{laptop_session}/sign-out").status_code == 400
    assert phone.post("/admin/account/sessions/sign-out-others").status_code == 400
    assert logged_in(laptop)
    phone.post(f"/admin/account/sessions/{laptop_session}/sign-out", data={"csrf_token": csrf_token_of(account)})
    assert not logged_in(laptop) and logged_in(phone)


def test_reset_and_deactivation_end_every_session_of_the_author(ada):
    Content(ada).author(email="rita@example.com", name="Rita Root", role="admin")
    laptop, phone, rita = device(ada, LAPTOP), device(ada, PHONE), device(ada)
    log_in(laptop)
    log_in(phone, remember="y")
    log_in(rita, email="rita@example.com")
    ada_id = session_rows(ada)[0].user_id
    rita.post(f"/admin/authors/{ada_id}/password", data={"password": "a fresh start"})
    assert not logged_in(laptop) and not logged_in(phone)
    assert [row.user_id for row in session_rows(ada)] == [session_rows(ada)[0].user_id]  # only Rita's is left
    log_in(laptop, password="a fresh start")
    rita.post(f"/admin/authors/{ada_id}/deactivate")
    assert not logged_in(laptop) and len(session_rows(ada)) == 1


# --- expiry -------------------------------------------------------------------------------------------------


def test_a_session_ends_after_the_idle_days_without_use(ada):
    laptop = device(ada)
    log_in(laptop, remember="y")
    age_sessions(ada, last_seen_at=timedelta(days=13, hours=23))
    assert logged_in(laptop)  # used within 14 days: goes on, and "last seen" moves to now
    assert utcnow() - session_rows(ada)[0].last_seen_at < timedelta(minutes=1)

    age_sessions(ada, last_seen_at=timedelta(days=14, minutes=1))
    assert not logged_in(laptop)
    assert session_rows(ada) == []  # the expired session is deleted, its remember-me cookie with it
    restarted = device(ada)
    restarted.set_cookie("remember_token", laptop.get_cookie("remember_token").value)
    assert not logged_in(restarted)


def test_a_session_ends_after_the_max_days_even_when_used_every_day(ada):
    laptop = device(ada)
    log_in(laptop, remember="y")
    remembered = laptop.get_cookie("remember_token").value
    age_sessions(ada, created_at=timedelta(days=59, hours=23), last_seen_at=timedelta(hours=1))
    assert logged_in(laptop)
    age_sessions(ada, created_at=timedelta(days=60, minutes=1), last_seen_at=timedelta(hours=1))
    restarted = device(ada)
    restarted.set_cookie("remember_token", remembered)
    assert not logged_in(restarted) and not logged_in(laptop)
    assert session_rows(ada) == []


def test_session_limits_follow_the_settings(make_app):
    app = make_app(SESSION_IDLE_DAYS=1, SESSION_MAX_DAYS=3)
    Content(app).author()
    laptop = device(app)
    log_in(laptop, remember="y")
    assert laptop.get_cookie("remember_token") is not None
    account = text(laptop.get("/admin/account"))
    assert "A session ends after 1 days without use, and 3 days after logging in." in account
    age_sessions(app, last_seen_at=timedelta(days=1, minutes=1))
    assert not logged_in(laptop)
    log_in(laptop)
    age_sessions(app, created_at=timedelta(days=3, minutes=1))
    assert not logged_in(laptop)


def test_last_seen_is_written_at_most_every_few_minutes(ada):
    laptop = device(ada)
    log_in(laptop)
    age_sessions(ada, last_seen_at=timedelta(minutes=3))
    before = session_rows(ada)[0].last_seen_at
    for _ in range(3):
        assert logged_in(laptop)
    assert session_rows(ada)[0].last_seen_at == before  # no write per request
    age_sessions(ada, last_seen_at=timedelta(minutes=6))
    assert logged_in(laptop)
    assert utcnow() - session_rows(ada)[0].last_seen_at < timedelta(minutes=1)


# --- the pre-login session ---------------------------------------------------------------------------------


def test_a_csrf_token_planted_before_login_stops_working_after_login(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    victim = device(app)
    planted = csrf_token_of(victim.get("/login"))  # an attacker who set this browser's session knows it
    log_in(victim, csrf_token=planted)
    assert logged_in(victim)
    refused = victim.post("/logout", data={"csrf_token": planted})
    assert refused.status_code == 400 and "The CSRF tokens do not match." in text(refused)
    assert logged_in(victim)
    dashboard = victim.get("/admin/")
    assert victim.post("/logout", data={"csrf_token": csrf_token_of(dashboard)}).headers["Location"] == "/"


# --- the editor's text after a lost session ---------------------------------------------------------------


def write(client, url="/admin/posts/new", button="publish", **fields):
    data = {
        "title": "Packing For The Coast",
        "body": "Three things: a notebook, a map, patience.",
        "excerpt": "",
        "tags": "Travel, Lists",
        "slug": "",
        "publish_at": "",
        **fields,
    }
    data[button] = button.replace("_", " ").title()
    return client.post(url, data=data)


def assert_sent_to_login_with_the_text_kept(response, editor_path="/admin/posts/new") -> str:
    """The redirect to the login page; returns the editor address it leads back to."""
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login", response.headers["Location"]
    back_to = parse_qs(location.query)["next"][0]
    assert urlsplit(back_to).path == editor_path and parse_qs(urlsplit(back_to).query)["stash"]
    return back_to


def published(app) -> list[tuple[str, str, bool]]:
    with app.app_context():
        return [(post.title, post.body, post.is_draft) for post in db.session.scalars(select(Post))]


def test_publish_after_the_session_ended_elsewhere_keeps_every_field_until_the_author_logs_in(ada):
    laptop, phone = device(ada, LAPTOP), device(ada, PHONE)
    log_in(laptop)
    log_in(phone)
    phone.post("/admin/account/sessions/sign-out-others")

    response = write(
        laptop, tags="Travel, Lists", slug="coast-packing", excerpt="What I took.", publish_at="2030-05-01T09:30"
    )
    back_to = assert_sent_to_login_with_the_text_kept(response)
    assert published(ada) == [] and count(ada, EditorStash.id) == 1
    login_page = text(laptop.get(response.headers["Location"]))
    assert "Log in again and the editor comes back with everything you typed." in login_page

    after_login = log_in(laptop, next_path=back_to)
    assert after_login.headers["Location"] == back_to
    editor = text(laptop.get(back_to))
    assert KEPT in editor
    assert (
        'value="Packing For The Coast"' in editor
        and ">\r\nThree things: a notebook, a map, patience.</textarea>" in editor
    )
    assert 'value="Travel, Lists"' in editor and 'value="coast-packing"' in editor
    assert ">\r\nWhat I took.</textarea>" in editor and 'value="2030-05-01T09:30"' in editor
    assert published(ada) == [] and count(ada, EditorStash.id) == 0  # restored once, then gone

    assert GONE in text(laptop.get(back_to))  # the same address again shows no stale text
    saved = write(laptop, tags="Travel, Lists")
    assert re.fullmatch(r"/admin/posts/\d+/edit", saved.headers["Location"])
    assert published(ada) == [("Packing For The Coast", "Three things: a notebook, a map, patience.", False)]


def test_update_of_a_live_post_after_the_session_ended_comes_back_to_that_post(ada):
    with ada.app_context():
        ada_id = db.session.scalar(select(User.id))
    post_id = Content(ada).post("Old Title", body="Old body.", author_id=ada_id)
    laptop = device(ada)
    log_in(laptop)
    age_sessions(ada, last_seen_at=timedelta(days=15))
    url = f"/admin/posts/{post_id}/edit"
    back_to = assert_sent_to_login_with_the_text_kept(write(laptop, url, "update", title="New Title"), url)
    log_in(laptop, next_path=back_to)
    editor = text(laptop.get(back_to))
    assert "Your text was kept: it is not saved yet. Press Update to save it." in editor
    assert 'value="New Title"' in editor
    assert published(ada) == [("Old Title", "Old body.", False)]


def test_preview_after_the_session_ended_is_kept_too(ada):
    laptop = device(ada)
    log_in(laptop)
    laptop.post("/logout")  # as if ended: the browser still names Ada in its signed session
    log_in(device(ada))
    back_to = assert_sent_to_login_with_the_text_kept(write(laptop, button="preview"))
    log_in(laptop, next_path=back_to)
    assert KEPT in text(laptop.get(back_to))


def test_kept_text_goes_back_only_to_the_account_that_typed_it(ada):
    Content(ada).author(email="bo@example.com", name="Bo Builder")
    laptop = device(ada)
    log_in(laptop)
    age_sessions(ada, last_seen_at=timedelta(days=15))
    back_to = assert_sent_to_login_with_the_text_kept(write(laptop, title="Ada's Secret Draft"))
    log_in(laptop, email="bo@example.com", next_path=back_to)
    editor = text(laptop.get(back_to))
    assert GONE in editor and "Ada&#39;s Secret Draft" not in editor
    assert count(ada, EditorStash.id) == 1  # still there for Ada
    laptop.post("/logout")
    log_in(laptop, next_path=back_to)
    assert "Ada&#39;s Secret Draft" in text(laptop.get(back_to))


def test_a_session_started_from_the_remember_me_cookie_keeps_text_for_its_own_account_only(ada):
    laptop = device(ada)
    log_in(laptop, remember="y")
    restarted = device(ada)  # the browser was restarted: only the remember-me cookie is left
    restarted.set_cookie("remember_token", laptop.get_cookie("remember_token").value)
    assert logged_in(restarted)
    age_sessions(ada, last_seen_at=timedelta(days=15))
    assert_sent_to_login_with_the_text_kept(write(restarted))
    with ada.app_context():
        assert db.session.scalars(select(EditorStash.user_id)).all() == [db.session.scalar(select(User.id))]


def test_signing_out_this_device_from_the_list_logs_out(ada):
    laptop = device(ada)
    log_in(laptop)
    response = laptop.post(f"/admin/account/sessions/{session_rows(ada)[0].id}/sign-out")
    assert response.headers["Location"] == "/" and "You have logged out." in text(laptop.get("/"))
    assert not logged_in(laptop) and session_rows(ada) == []


def test_with_csrf_on_a_lost_session_cookie_keeps_the_text_for_an_author_who_may_edit(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    laptop = device(app)
    log_in(laptop, csrf_token=csrf_token_of(laptop.get("/login")))
    editor = laptop.get("/admin/posts/new")
    token = csrf_token_of(editor)
    laptop.delete_cookie("session")  # the browser lost its session cookie while the author typed
    response = write(laptop, title="Typed Without A Session", csrf_token=token)
    back_to = assert_sent_to_login_with_the_text_kept(response)
    login_page = laptop.get(response.headers["Location"])
    after = log_in(laptop, next_path=back_to, csrf_token=csrf_token_of(login_page))
    assert after.headers["Location"] == back_to
    page = laptop.get(back_to)
    assert KEPT in text(page) and 'value="Typed Without A Session"' in text(page)
    saved = write(laptop, title="Typed Without A Session", csrf_token=csrf_token_of(page))
    assert re.fullmatch(r"/admin/posts/\d+/edit", saved.headers["Location"])
    assert published(app)[0][:2] == ("Typed Without A Session", "Three things: a notebook, a map, patience.")


def test_a_cross_site_editor_post_is_not_kept(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    victim = device(app)
    response = victim.post(
        "/admin/posts/new",
        data={"title": "Forged", "body": "Forged body", "publish": "Publish"},
        headers={"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 400 and count(app, EditorStash.id) == 0
    without_csrf = make_app()
    response = device(without_csrf).post(
        "/admin/posts/new",
        data={"title": "Forged", "body": "Forged body"},
        headers={"Origin": "https://attacker.example"},
    )
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Fposts%2Fnew"
    assert count(app, EditorStash.id) == 0


def test_a_tampered_or_expired_stash_token_restores_nothing(make_app):
    app = make_app(EDITOR_STASH_HOURS=2)
    Content(app).author()
    laptop = device(app)
    log_in(laptop)
    age_sessions(app, last_seen_at=timedelta(days=15))
    back_to = assert_sent_to_login_with_the_text_kept(write(laptop, title="Typed Long Ago"))
    log_in(laptop)
    stash = parse_qs(urlsplit(back_to).query)["stash"][0]
    for bad in ("garbage", stash[:-2] + "xx", stash + "A"):
        page = laptop.get("/admin/posts/new", query_string={"stash": bad})
        assert page.status_code == 200 and GONE in text(page) and "Typed Long Ago" not in text(page)
    with app.app_context():
        db.session.execute(update(EditorStash).values(created_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    page = text(laptop.get(back_to))
    assert GONE in page and "Typed Long Ago" not in page
    assert count(app, EditorStash.id) == 1  # an expired stash is deleted by the next one kept


# --- the security log -----------------------------------------------------------------------------------


def security_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "blog.security"]


def test_security_events_are_logged_one_line_each_without_secrets(make_app, caplog):
    caplog.set_level(logging.INFO, logger="blog.security")
    app = make_app(LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
    content = Content(app)
    ada_id = content.author()
    content.author(email="rita@example.com", name="Rita Root", role="admin")
    laptop, phone, rita = device(app, LAPTOP), device(app, PHONE), device(app)
    log_in(laptop, password="wrong password")
    log_in(laptop, email="nobody@example.com", password="wrong password")
    log_in(laptop, remember="y")
    log_in(phone)
    log_in(rita, email="rita@example.com")
    change_password(phone)
    rita.post(f"/admin/authors/{ada_id}/password", data={"password": "a fresh start"})
    rita.post(f"/admin/authors/{ada_id}/deactivate")
    rita.post("/logout")
    for _ in range(3):
        log_in(device(app), email="rita@example.com", password="wrong password")
    app.test_client().post("/contact", data={"email": "vera@example.com", "message": "Hello", "token": "garbage"})

    lines = security_lines(caplog)
    assert all("\n" not in line for line in lines)
    assert "event=login_failed email=ada@example.com ip=127.0.0.1 reason=bad_password" in lines
    assert "event=login_failed email=nobody@example.com ip=127.0.0.1 reason=unknown_email" in lines
    assert 'event=login email=ada@example.com ip=127.0.0.1 device="Chrome on Linux" remember=True' in lines
    assert "event=password_changed email=ada@example.com ip=127.0.0.1" in lines
    assert "event=session_ended email=ada@example.com ip=127.0.0.1 reason=password_changed count=1" in lines
    assert ("event=password_reset email=ada@example.com ip=127.0.0.1 by=rita@example.com") in lines
    assert "event=session_ended email=ada@example.com ip=127.0.0.1 reason=password_reset count=1" in lines
    assert "event=author_deactivated email=ada@example.com ip=127.0.0.1 by=rita@example.com" in lines
    assert "event=logout email=rita@example.com ip=127.0.0.1" in lines
    assert any(
        line.startswith("event=throttled email=rita@example.com ip=127.0.0.1 endpoint=auth.login") for line in lines
    )
    assert 'event=form_token_rejected email=- ip=127.0.0.1 form=contact reason="bad signature"' in lines
    log = "\n".join(lines)
    for secret in ("wrong password", PASSWORD, "a new passphrase", "a fresh start", "garbage"):
        assert secret not in log
    assert laptop.get_cookie("remember_token").value not in log and laptop.get_cookie("session").value not in log


def test_rejected_csrf_tokens_and_expired_sessions_are_logged(make_app, caplog):
    caplog.set_level(logging.INFO, logger="blog.security")
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    laptop = device(app)
    log_in(laptop, csrf_token=csrf_token_of(laptop.get("/login")))
    assert logged_in(laptop)
    laptop.post("/logout", data={"csrf_token": "forged"})
    age_sessions(app, last_seen_at=timedelta(days=15))
    laptop.get("/admin/")
    lines = security_lines(caplog)
    assert (
        'event=csrf_rejected email=ada@example.com ip=127.0.0.1 path=/logout reason="The CSRF token is invalid."'
    ) in lines
    assert "event=session_ended email=ada@example.com ip=127.0.0.1 reason=expired device=-" in lines


def test_security_log_lines_reach_the_apps_log_handler(app):
    assert logging.getLogger("blog.security").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("blog.security").parent is app.logger
