"""Site-wide behaviour: headers, cookies, caching, error pages, configuration."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from blog import create_app
from blog.config import env_bool

from .conftest import BASE_CONFIG, Content

ROOT = Path(__file__).resolve().parent.parent


def test_security_headers_on_every_response(client, content):
    content.post("Hello")
    for url in ["/", "/posts/hello", "/missing", "/static/css/site.css"]:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        # Authors' posts may show pictures from other sites; nothing else may come from elsewhere.
        assert "img-src 'self' data: https:" in csp and "http:" not in csp.replace("https:", "")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_anonymous_readers_get_no_cookie_and_identical_pages(client, content, monkeypatch):
    # The comment form's token carries the time in whole seconds: hold the clock on one second.
    monkeypatch.setattr("blog.public_forms.now", lambda: 1_800_000_000)
    content.post("Cached", tags=["Cache"])
    for url in ["/", "/posts/", "/posts/cached", "/tags/cache", "/nowhere"]:
        first = client.get(url)
        assert "Set-Cookie" not in first.headers, url
        other_reader = client.application.test_client()
        assert other_reader.get(url).data == first.data, url
    assert not client.get_cookie("session")


def test_no_inline_script_or_style_in_pages(client, content):
    content.post("Styled")
    for url in ["/", "/posts/styled", "/missing"]:
        page = client.get(url).get_data(as_text=True)
        assert "<style" not in page and " style=" not in page and " onclick=" not in page
        # Scripts only from our own files, or data never executed: JSON-LD, the scripts' translated strings.
        for tag in re.findall(r"<script[^>]*>", page):
            assert re.fullmatch(
                r'<script src="/static/js/[\w.-]+\.js" defer>|<script type="application/ld\+json">'
                r'|<script type="application/json" id="i18n">',
                tag,
            ), tag


def test_oversized_request_gets_the_413_page(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    response = client.post("/", data={"body": "x" * 5000})
    assert response.status_code == 413
    assert "That was too large" in response.get_data(as_text=True)


def test_method_not_allowed_uses_the_site_layout(client):
    response = client.post("/posts/", data={})
    assert response.status_code == 405
    assert "Method Not Allowed" in response.get_data(as_text=True)
    assert "Test Blog" in response.get_data(as_text=True)


def test_html_lang_follows_site_language(make_app):
    page = make_app(SITE_LANGUAGE="de").test_client().get("/").get_data(as_text=True)
    assert '<html lang="de">' in page


def test_https_site_url_makes_cookies_secure(make_app):
    app = make_app(SITE_URL="https://blog.example.com/")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    assert app.config["SITE_URL"] == "https://blog.example.com"
    assert make_app(SITE_URL="http://blog.example.com").config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    "raw,expected", [("true", True), ("1", True), ("YES", True), ("false", False), ("0", False), ("no", False)]
)
def test_booleans_accept_true_false_one_zero_yes_no(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected


def test_bad_boolean_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ValueError, match="SOME_FLAG must be true/false"):
        env_bool("SOME_FLAG", False)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SITE_NAME", "Env Blog")
    monkeypatch.setenv("SITE_TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SITE_NAME"] == "Env Blog"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Paris"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")
    assert app.config["SECRET_KEY"] == "from-env"


def test_unknown_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("SITE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="SITE_TIMEZONE"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_wsgi_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_wsgi_exposes_the_app_when_configured(tmp_path):
    env = {**os.environ, "SECRET_KEY": "x" * 32, "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.name)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "blog"


# --- the Host header -----------------------------------------------------------------------------------------

FOREIGN_HOSTS = [
    "evil.example",
    "evil.example:8000",
    "blog.example.com.evil.example",
    "localhost.evil.example",
    "evil.example/<b>x</b>",
]
EVERY_KIND_OF_PAGE = [
    "/",
    "/posts/hello",
    "/feed.atom",
    "/posts/hello/comments.atom",
    "/sitemap.xml",
    "/robots.txt",
    "/contact",
    "/login",
    "/missing",
    "/static/css/site.css",
]


@pytest.mark.parametrize("site_url", [None, "https://blog.example.com"], ids=["no-site-url", "site-url"])
def test_a_foreign_host_is_a_400_on_every_page_and_never_reaches_a_link(make_app, site_url):
    app = make_app(SITE_URL=site_url, WTF_CSRF_ENABLED=True)
    Content(app).post("Hello")
    client = app.test_client()
    for host in FOREIGN_HOSTS:
        for path in EVERY_KIND_OF_PAGE:
            response = client.get(path, headers={"Host": host})
            page = response.get_data(as_text=True)
            assert response.status_code == 400, (host, path)
            assert "<h1>Bad request</h1>" in page and "This site is not served at the address" in page
            assert "evil" not in page and "Set-Cookie" not in response.headers
        # a POST too, with CSRF on: the Host is refused before the form is read
        response = client.post("/login", data={"email": "a@example.com", "password": "x"}, headers={"Host": host})
        assert response.status_code == 400 and "This site is not served" in response.get_data(as_text=True)


def test_the_site_url_host_and_local_hosts_are_served(make_app):
    app = make_app(SITE_URL="https://blog.example.com")
    client = app.test_client()
    for host in ["blog.example.com", "localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:8000"]:
        response = client.get("/", headers={"Host": host})
        assert response.status_code == 200 and "Notes from the test suite" in response.get_data(as_text=True), host


def test_trusted_hosts_from_the_environment_add_to_the_site_url_and_local_hosts(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUSTED_HOSTS", "www.example.com, Alias.Example ,")
    monkeypatch.setenv("SITE_URL", "https://blog.example.com")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/hosts.sqlite3"})
    with app.app_context():
        from blog.extensions import db

        db.create_all()
    client = app.test_client()
    for host, status in [
        ("www.example.com", 200),
        ("alias.example", 200),
        ("blog.example.com", 200),
        ("127.0.0.1", 200),
        ("other.example.com", 400),
    ]:
        assert client.get("/robots.txt", headers={"Host": host}).status_code == status, host


def test_without_site_url_only_local_hosts_are_served(make_app):
    client = make_app().test_client()
    assert client.get("/robots.txt", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/robots.txt", headers={"Host": "blog.example.com"}).status_code == 400


def test_with_site_url_every_absolute_url_is_on_it_whatever_the_trusted_host(make_app):
    app = make_app(SITE_URL="https://blog.example.com")
    Content(app).post("Hello", "Plain words.", tags=["Travel"])
    client = app.test_client()
    found = []
    for path in [
        "/",
        "/posts/hello",
        "/tags/travel",
        "/feed.atom",
        "/posts/hello/comments.atom",
        "/sitemap.xml",
        "/robots.txt",
        "/contact",
    ]:
        response = client.get(path, headers={"Host": "127.0.0.1:8000"})
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert "127.0.0.1" not in body and "localhost" not in body, path
        found += re.findall(r"(?:https?://|tag:)[^\s\"'<>]+", body)
    assert len(found) > 20
    for url in found:
        assert url.startswith(
            (
                "https://blog.example.com/",
                "tag:blog.example.com,",
                "http://www.w3.org/",
                "http://www.sitemaps.org/",
                "https://schema.org",
                "https://example.com).",
            )
        ), url  # the comment form's Markdown help


def test_urls_kept_by_url_for_follow_the_host_and_the_mount_point_of_each_request(make_app):
    """url_for keeps the URLs it built (blog/urls.py): a page asked through another host or under a
    prefix (SCRIPT_NAME, behind a proxy) still links to its own host and prefix, never another request's."""
    app = make_app(PAGE_CACHE=False)
    Content(app).post("Walk", slug="walk", tags=["Coast"])
    client = app.test_client()

    def page(host: str, prefix: str = "") -> str:
        response = client.get("/posts/walk", base_url=f"http://{host}{prefix}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    for _ in range(2):  # the second round is served by the kept URLs
        for host, prefix in (("localhost", ""), ("127.0.0.1", ""), ("localhost", "/blog")):
            html = page(host, prefix)
            assert f'<link rel="canonical" href="http://{host}{prefix}/posts/walk">' in html
            assert f'href="{prefix}/tags/coast"' in html and f'action="{prefix}/search"' in html
            other = "/blog" if not prefix else ""
            assert f'href="{other}/tags/coast"' not in html
    assert app._built_urls  # type: ignore[attr-defined]
