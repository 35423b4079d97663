"""Logging in and out: the form, safe redirects, passwords, throttling, session tokens, cookies and CSRF."""

import re

import pytest

from blog.extensions import db
from blog.models import User

from .conftest import Content
from .helpers import EMAIL, PASSWORD, change_password, csrf_token_of, log_in, text

INCORRECT = "The email or password is incorrect."
THROTTLED = re.compile(r"Too many attempts\. Please try again in (\d+) seconds?\.")


def form_error(response) -> str:
    """The login page's message above the form (empty when there is none)."""
    found = re.search(r'<p class="form-error" role="alert">(.*?)</p>', text(response))
    return found.group(1) if found else ""


def set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers of a response, by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def assert_sent_to_login(response, next_path="/admin/"):
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert response.headers["Location"] == "/login?next=" + next_path.replace("/", "%2F")


# --- the form, logging in and out ------------------------------------------------------------------------


def test_login_page_has_labelled_fields_remember_me_and_a_log_in_button(client):
    page = text(client.get("/login"))
    assert "<h1>Log in</h1>" in page
    assert '<label for="email">Email</label>' in page and 'name="email"' in page and 'type="email"' in page
    assert '<label for="password">Password</label>' in page and 'type="password"' in page
    assert (
        '<input id="remember" name="remember" type="checkbox" value="y"> <label for="remember">Remember me</label>'
        in page
    )
    assert 'type="submit" value="Log in"' in page


def test_login_page_passes_next_on_in_the_form_action(client):
    page = text(client.get("/login", query_string={"next": "/admin/posts"}))
    assert 'action="/login?next=/admin/posts"' in page or 'action="/login?next=%2Fadmin%2Fposts"' in page


def test_login_goes_to_the_dashboard_and_logout_is_a_post_button(client, content):
    content.author()
    response = log_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    dashboard = text(client.get("/admin/"))
    assert "Welcome back, Ada Writer." in dashboard and "Hello, Ada Writer" in dashboard
    assert '<form method="post" action="/logout"' in dashboard and ">Log out</button>" in dashboard
    assert 'href="/logout"' not in dashboard

    refused = client.get("/logout")
    assert refused.status_code == 405 and "Method Not Allowed" in text(refused)
    assert "Hello, Ada Writer" in text(client.get("/admin/"))  # GET did not log out

    out = client.post("/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/"
    assert "You have logged out." in text(client.get("/"))
    assert_sent_to_login(client.get("/admin/"))


def test_visiting_login_while_logged_in_goes_to_the_dashboard(client, content):
    content.author()
    log_in(client)
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_email_is_matched_whatever_its_case(client, content):
    content.author()
    response = log_in(client, email="  ADA@Example.COM ")
    assert response.headers["Location"] == "/admin/"


def test_anonymous_visitors_are_sent_to_login_from_every_dashboard_page(client, content):
    post_id = content.post("Someone's Post", slug="someones-post")
    response = client.get("/admin/")
    assert_sent_to_login(response)
    assert "Please log in to see that page." in text(client.get(response.headers["Location"]))
    for path in [
        "/admin/posts",
        "/admin/posts/new",
        f"/admin/posts/{post_id}/edit",
        f"/admin/posts/{post_id}/delete",
        "/admin/account",
        "/admin/authors",
        "/admin/authors/new",
    ]:
        assert_sent_to_login(client.get(path), path)
    for path in ["/admin/posts/new", f"/admin/posts/{post_id}/delete", "/admin/authors/1/deactivate"]:
        response = client.post(path, data={"title": "Sneaky", "body": "Sneaky"})
        assert response.headers["Location"].startswith("/login"), path
    assert client.get("/posts/someones-post").status_code == 200  # not deleted
    anonymous_logout = client.post("/logout")
    assert anonymous_logout.headers["Location"].startswith("/login")


# --- where the login goes next ------------------------------------------------------------------------------

SAFE_NEXT = ["/admin/posts", "/admin/posts?page=2", "/admin/account", "/posts/some-article"]
UNSAFE_NEXT = [
    "//evil.example",
    "//evil.example/admin/",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "https://evil.example/admin/",
    "http://localhost/admin/posts",
    "javascript:alert(1)",
    "evil.example",
    "/ad\r\nmin",
    "/admin/\x00",
    "/\t/evil.example",
    " //evil.example",
    "",
]


def test_login_follows_next_only_to_paths_on_this_site(client, content):
    content.author()
    for i, target in enumerate(SAFE_NEXT + UNSAFE_NEXT):
        fresh = client.application.test_client()
        # Each attempt from its own address: the test is about redirects, not throttling.
        response = log_in(fresh, query_string={"next": target}, environ_base={"REMOTE_ADDR": f"10.1.0.{i + 1}"})
        expected = target if target in SAFE_NEXT else "/admin/"
        assert response.status_code == 302, repr(target)
        assert response.headers["Location"] == expected, repr(target)


def test_login_without_next_goes_to_the_dashboard(client, content):
    content.author()
    assert log_in(client).headers["Location"] == "/admin/"


# --- passwords ----------------------------------------------------------------------------------------------


def test_passwords_are_hashed_with_scrypt(app, make_app, content):
    user_id = content.author()
    with app.app_context():
        stored = db.session.get(User, user_id).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    # Only a TESTING app hashes at a trivial cost (to keep the suite fast): a real one uses scrypt's full cost.
    with make_app(TESTING=False).app_context():
        user = User(email="kai@example.com", name="Kai")
        user.set_password(PASSWORD)
    assert user.password_hash.startswith("scrypt:32768:8:1$") and user.check_password(PASSWORD)


@pytest.mark.parametrize("length", [128, 200])
def test_long_passwords_are_accepted_whole(client, content, length):
    password = "".join(chr(ord("a") + i % 26) for i in range(length))
    content.author(password=password)
    almost = password[:-1] + ("X" if password[-1] != "X" else "Y")  # differs only in the last character
    assert log_in(client, password=almost).status_code == 200
    assert form_error(log_in(client, password=password[:-1])) == INCORRECT
    response = log_in(client, password=password)
    assert response.headers["Location"] == "/admin/"


def test_unknown_email_and_wrong_password_get_the_same_answer(client, content):
    content.author()
    unknown = log_in(client, email="nobody@example.com")
    wrong = log_in(client, password="incorrect horse")
    assert unknown.status_code == wrong.status_code == 200
    assert form_error(unknown) == form_error(wrong) == INCORRECT
    # Apart from the email typed, the two pages are the same.
    assert text(unknown).replace("nobody@example.com", EMAIL) == text(wrong)
    assert "incorrect horse" not in text(wrong)  # the password is never echoed back
    assert 'value="nobody@example.com"' in text(unknown)


def test_deactivated_author_cannot_log_in_and_gets_the_same_message(app, client, content):
    user_id = content.author()
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    response = log_in(client)
    assert response.status_code == 200 and form_error(response) == INCORRECT
    assert_sent_to_login(client.get("/admin/"))


def test_empty_fields_are_errors_next_to_the_fields(client):
    page = text(client.post("/login", data={"email": "", "password": ""}))
    assert "Enter your email." in page and "Enter your password." in page


def test_control_characters_in_the_email_are_a_form_error_not_a_500(client, content):
    content.author()
    response = log_in(client, email="ada\x00@example.com")
    assert response.status_code == 200
    assert "Remove the control characters from this field." in text(response)
    response = log_in(client, password="correct\x00horse")
    assert response.status_code == 200 and form_error(response) == INCORRECT


# --- throttling ---------------------------------------------------------------------------------------------


def assert_throttled(response, email):
    assert response.status_code == 429
    page = text(response)
    found = THROTTLED.search(page)
    assert found, page
    seconds = int(found.group(1))
    assert 1 <= seconds <= 61  # a one-minute window; Flask-Limiter rounds its reset time up a second
    assert response.headers["Retry-After"] == str(seconds)
    assert "<h1>Log in</h1>" in page and 'name="password"' in page  # the form is still there
    assert f'value="{email}"' in page


def test_sixth_wrong_attempt_for_one_email_is_throttled_with_the_form_kept(client, content):
    content.author()
    for _ in range(5):
        response = log_in(client, password="my-guess-123")
        assert response.status_code == 200 and form_error(response) == INCORRECT
    throttled = log_in(client, password="my-guess-123")
    assert_throttled(throttled, EMAIL)
    assert "my-guess-123" not in text(throttled)
    # Even the right password waits now, from this address ...
    assert log_in(client).status_code == 429
    assert_sent_to_login(client.get("/admin/"))
    # ... but another address is not throttled.
    elsewhere = log_in(client.application.test_client(), environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert elsewhere.status_code == 302 and elsewhere.headers["Location"] == "/admin/"


def test_eleventh_attempt_from_one_address_is_throttled_whatever_the_email(client):
    for i in range(10):
        response = log_in(client, email=f"person{i}@example.com", password="guess")
        assert response.status_code == 200 and form_error(response) == INCORRECT, i
    assert_throttled(log_in(client, email="person10@example.com", password="guess"), "person10@example.com")
    other = log_in(client, email="person11@example.com", password="guess", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200 and form_error(other) == INCORRECT


def test_login_rate_limit_setting_is_honoured(make_app):
    client = make_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    for i in range(3):
        assert log_in(client, email=f"person{i}@example.com").status_code == 200
    assert_throttled(log_in(client, email="person3@example.com"), "person3@example.com")


def test_login_account_rate_limit_setting_is_honoured(make_app):
    client = make_app(LOGIN_ACCOUNT_RATE_LIMIT="2 per minute").test_client()
    for _ in range(2):
        assert log_in(client).status_code == 200
    assert_throttled(log_in(client), EMAIL)
    assert log_in(client, email="someone.else@example.com").status_code == 200


def test_with_a_trusted_proxy_each_forwarded_address_is_counted_separately(make_app):
    client = make_app(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="3 per minute").test_client()
    first = {"X-Forwarded-For": "203.0.113.7"}
    for i in range(3):
        assert log_in(client, email=f"person{i}@example.com", headers=first).status_code == 200
    assert log_in(client, email="person3@example.com", headers=first).status_code == 429
    second = log_in(client, email="person4@example.com", headers={"X-Forwarded-For": "203.0.113.8"})
    assert second.status_code == 200 and form_error(second) == INCORRECT


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_limit(make_app):
    client = make_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    for i in range(3):
        forged = {"X-Forwarded-For": f"198.51.100.{i}"}
        assert log_in(client, email=f"person{i}@example.com", headers=forged).status_code == 200
    response = log_in(client, email="person3@example.com", headers={"X-Forwarded-For": "198.51.100.99"})
    assert_throttled(response, "person3@example.com")


# --- sessions per device (more in test_sessions.py) -------------------------------------------------------


def test_logging_in_from_a_second_client_keeps_the_first_session(client, content):
    content.author()
    log_in(client)
    assert "Hello, Ada Writer" in text(client.get("/admin/"))
    second = client.application.test_client()
    log_in(second)
    assert "Hello, Ada Writer" in text(second.get("/admin/"))
    assert "Hello, Ada Writer" in text(client.get("/admin/"))
    assert client.get("/admin/posts").status_code == 200


def test_remember_me_cookie_works_until_that_device_logs_out(client, content):
    content.author()
    response = log_in(client, remember="y")
    assert "remember_token" in set_cookies(response)
    remembered = client.get_cookie("remember_token").value

    restarted = client.application.test_client()
    restarted.set_cookie("remember_token", remembered)
    assert "Hello, Ada Writer" in text(restarted.get("/admin/"))  # the same session, from the cookie alone
    phone = client.application.test_client()
    log_in(phone)

    client.post("/logout")
    assert_sent_to_login(restarted.get("/admin/"))  # the device's session has ended, whichever cookie names it
    only_cookie = client.application.test_client()
    only_cookie.set_cookie("remember_token", remembered)
    assert_sent_to_login(only_cookie.get("/admin/"))
    assert "Hello, Ada Writer" in text(phone.get("/admin/"))  # the phone's session goes on


def test_without_remember_me_no_remember_cookie_is_set(client, content):
    content.author()
    response = log_in(client)
    assert "session" in set_cookies(response) and "remember_token" not in set_cookies(response)


def test_password_change_ends_other_sessions_but_keeps_this_one(client, content):
    content.author()
    log_in(client, remember="y")
    other = client.application.test_client()
    log_in(other)
    assert "Hello, Ada Writer" in text(other.get("/admin/"))

    response = change_password(client)
    assert response.headers["Location"] == "/admin/account"
    assert "Your account is saved." in text(client.get("/admin/account"))
    assert "Hello, Ada Writer" in text(client.get("/admin/"))
    assert_sent_to_login(other.get("/admin/"))


# --- cookies ------------------------------------------------------------------------------------------------


def test_session_and_remember_cookies_are_httponly_and_samesite_lax_but_not_secure_over_http(client, content):
    content.author()
    cookies = set_cookies(log_in(client, remember="y"))
    for name in ("session", "remember_token"):
        assert "; HttpOnly" in cookies[name] and "; SameSite=Lax" in cookies[name], cookies[name]
        assert "Secure" not in cookies[name]


def test_cookies_are_secure_when_the_site_url_is_https(make_app):
    app = make_app(SITE_URL="https://blog.example.com")
    Content(app).author()
    cookies = set_cookies(log_in(app.test_client(), remember="y"))
    for name in ("session", "remember_token"):
        assert "; Secure" in cookies[name] and "; HttpOnly" in cookies[name], cookies[name]
        assert "; SameSite=Lax" in cookies[name]


# --- CSRF ---------------------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    return app


def test_login_without_a_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = log_in(client)
    assert response.status_code == 400 and "The CSRF token is missing." in text(response)
    assert_sent_to_login(client.get("/admin/"))


def test_full_login_and_logout_flow_with_csrf_on(csrf_app):
    client = csrf_app.test_client()
    login_page = client.get("/login")
    response = log_in(client, csrf_token=csrf_token_of(login_page), query_string={"next": "/admin/posts"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/posts"
    dashboard = client.get("/admin/")
    assert "Hello, Ada Writer" in text(dashboard)

    refused = client.post("/logout")
    assert refused.status_code == 400 and "The CSRF token is missing." in text(refused)
    forged = client.post("/logout", data={"csrf_token": "not-a-token"})
    assert forged.status_code == 400
    assert "Hello, Ada Writer" in text(client.get("/admin/"))  # still logged in

    out = client.post("/logout", data={"csrf_token": csrf_token_of(dashboard)})
    assert out.status_code == 302 and out.headers["Location"] == "/"
    assert_sent_to_login(client.get("/admin/"))
