"""Site-wide behaviour: headers, cookies, caching, error pages, configuration."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from blog import create_app
from blog.config import env_bool

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
        for tag in re.findall(r"<script[^>]*>", page):  # scripts only from our own files, or JSON-LD data
            assert re.fullmatch(r'<script src="/static/js/[\w.-]+\.js" defer>|<script type="application/ld\+json">',
                                tag), tag


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


@pytest.mark.parametrize("raw,expected", [("true", True), ("1", True), ("YES", True), ("false", False),
                                          ("0", False), ("no", False)])
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
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_wsgi_exposes_the_app_when_configured(tmp_path):
    env = {**os.environ, "SECRET_KEY": "x" * 32, "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3"}
    result = subprocess.run([sys.executable, "-c", "import wsgi; print(wsgi.app.name)"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "blog"
