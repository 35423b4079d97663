"""The site keeps working under hostile paths, a busy SQLite file and a database outage; start-up guards."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from blog import create_app
from blog.extensions import db
from blog.models import ContactMessage

from .conftest import BASE_CONFIG, NOW, TEST_DATABASE_URL
from .helpers import text

ROOT = Path(__file__).resolve().parent.parent


# --- hostile paths and parameters: 404 or 400, never a 500 -------------------------------------------------

HOSTILE_PATHS = [
    "/%00",
    "/posts/%00",
    "/posts/a%00b",
    "/tags/%00",
    "/posts/x/comments.atom%00",
    "/%00/../etc/passwd",
    "/archive/9999/12",
    "/archive/9999/01",
    "/archive/0000/01",
    "/archive/2024/00",
    "/archive/2024/13",
    "/archive/1899/12",
    "/archive/99999/01",
    "/archive/-001/01",
    "/?page=%00",
    "/?page=0",
    "/?page=-1",
    "/?page=99999999999999999999",
    "/posts/?page=1e9",
    "/posts/?page=%C2%B2",
    "/search?q=%00",
    "/search?q=%00%00%00&page=%00",
    "/search?q=" + "a" * 5000,
    "/search?q=%22%22%22*()-:^",
    "/posts/" + "a" * 3000,
    "/tags/" + "%C3%A9" * 500,
    "/%ff%fe",
    "/posts/%c0%af",
    "/posts/..%2f..%2fetc%2fpasswd",
    "/comments/99999999999999999999",
    "/comments/%00",
    "/comments/-1",
    "/posts/hello?cpage=%00",
    "/posts/hello?cpage=99999999",
    "/posts/hello?reply_to=%00",
    "/posts/hello?reply_to=99999999999999999999",
    "/login?next=%00",
    "/login?next=//evil.example",
    "/feed.atom?x=%00",
    "/static/%00",
    "/static/../wsgi.py",
    "/contact?x=%00",
    "/admin/comments?status=%00",
    "/admin/posts/99999999999/edit",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_and_parameters_never_give_a_server_error(client, content, path):
    content.post("Hello")
    response = client.get(path)
    assert response.status_code in (200, 301, 302, 400, 404), (path, response.status_code)
    assert "Traceback" not in text(response)


def test_a_nul_in_a_path_is_a_404_page_and_in_a_search_a_query_without_matches(client, content):
    content.post("Hello")
    missing = client.get("/posts/hel%00lo")
    assert missing.status_code == 404 and "Test Blog" in text(missing)
    search = client.get("/search?q=hel%00lo")
    assert search.status_code == 200 and "Test Blog" in text(search)


def test_the_last_possible_month_is_a_plain_404(client, content):
    content.post("Far future", published_at=NOW - timedelta(days=3))
    response = client.get("/archive/9999/12")
    assert response.status_code == 404 and "Page not found" in text(response)


# --- SQLite: a long read doesn't make writes fail --------------------------------------------------------


def contact_writes(base: str, count: int) -> list[int]:
    """POST the contact form `count` times at once from threads; the status of each."""
    page = urllib.request.urlopen(base + "/contact", timeout=30).read().decode()
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    statuses: list[int] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        data = urllib.parse.urlencode(
            {
                "token": token,
                "name": f"Writer {n}",
                "email": f"w{n}@example.com",
                "message": f"Message number {n} arrives while a report reads.",
            }
        ).encode()
        request = urllib.request.Request(base + "/contact", data=data, method="POST")
        opener = urllib.request.build_opener(NoRedirect)
        try:
            status = opener.open(request, timeout=60).status
        except urllib.error.HTTPError as error:
            status = error.code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_sqlite_writes_succeed_while_a_long_read_is_held(tmp_path, sqlite_template):
    path = tmp_path / "busy.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    app = create_app(
        {
            **BASE_CONFIG,
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "CONTACT_MIN_SECONDS": 0,
            "CONTACT_RATE_LIMIT": "1000 per minute",
            "RATELIMIT_ENABLED": True,
            "SQLITE_BUSY_TIMEOUT": 15,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        urllib.request.urlopen(base + "/", timeout=30).read()  # the app's first connection switches to WAL
        reader = sqlite3.connect(path, timeout=0, check_same_thread=False)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM contact_messages").fetchone()  # a report holding its read
        done = threading.Event()
        # Hold the read longer than Python's default 5 s busy timeout, which is what made writes fail.
        holder = threading.Thread(target=lambda: (time.sleep(7), reader.rollback(), done.set()))
        holder.start()
        statuses = contact_writes(base, 40)
        assert not done.is_set(), "the writes should have run while the read was held"
        holder.join()
        reader.close()
    finally:
        server.shutdown()
    assert statuses.count(302) == 40, sorted(statuses)
    with app.app_context():
        assert db.session.query(ContactMessage).count() == 40
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        db.engine.dispose()


# --- a database outage is a 503 page, and the site comes back by itself ----------------------------------


def test_an_unreachable_sqlite_database_gives_a_503_page_and_the_site_recovers(tmp_path, sqlite_template):
    folder = tmp_path / "data"
    app = create_app({**BASE_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/blog.sqlite3"})
    client = app.test_client()
    for path in ("/", "/posts/", "/feed.atom", "/contact"):
        response = client.get(path)
        page = text(response)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert "Back soon" in page and "Please try again in a minute" in page
        for leak in ("Traceback", "OperationalError", "sqlite", "SELECT", "blog.sqlite3"):
            assert leak not in page
    folder.mkdir()
    (folder / "blog.sqlite3").write_bytes(sqlite_template.read_bytes())
    response = client.get("/")
    assert response.status_code == 200 and "Recent Posts" in text(response)
    with app.app_context():
        db.engine.dispose()


class TcpRelay:
    """A TCP relay in front of the PostgreSQL server that can be cut and restored, like a network outage."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(50)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.up = False
        for s in self.open:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open.clear()

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_a_postgresql_outage_gives_503_pages_and_the_site_recovers_by_itself(postgres_url):
    from sqlalchemy.engine import make_url

    from .conftest import truncate_all

    truncate_all(postgres_url)
    url = make_url(postgres_url)
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = create_app({**BASE_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": relayed})
    client = app.test_client()
    try:
        assert client.get("/").status_code == 200  # a pooled connection now exists
        relay.cut()
        for path in ("/", "/posts/", "/feed.atom"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.headers["Retry-After"] == "30" and "Back soon" in text(response)
            assert "psycopg" not in text(response) and "Traceback" not in text(response)
        relay.restore()
        response = client.get("/")
        assert response.status_code == 200 and "Recent Posts" in text(response)
    finally:
        with app.app_context():
            db.engine.dispose()
        relay.close()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("idle_ping_seconds", [0.0, 3600.0])
def test_a_connection_that_died_while_the_site_was_idle_costs_no_reader_an_error(
    postgres_url, monkeypatch, idle_ping_seconds
):
    """The pooled connection is cut while no request uses it (a database restart at night): the next reader
    gets the page, because a connection idle longer than IDLE_PING_SECONDS is tested first. Without that
    test (a long threshold), the same reader gets the 503 page. (The page cache is off: its middleware's
    failed read of the version would replace the connection before the page is made.)"""
    from sqlalchemy.engine import make_url

    from blog import extensions

    from .conftest import truncate_all

    truncate_all(postgres_url)
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", idle_ping_seconds)
    url = make_url(postgres_url)
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = create_app({**BASE_CONFIG, "TESTING": False, "PAGE_CACHE": False, "SQLALCHEMY_DATABASE_URI": relayed})
    client = app.test_client()
    try:
        assert client.get("/").status_code == 200  # the connection goes back to the pool
        relay.cut()
        relay.restore()
        response = client.get("/")
        if idle_ping_seconds == 0:
            assert response.status_code == 200 and "Recent Posts" in text(response)
        else:
            assert response.status_code == 503 and "Back soon" in text(response)
    finally:
        with app.app_context():
            db.engine.dispose()
        relay.close()


def test_the_server_error_page_needs_no_database(tmp_path):
    broken = f"sqlite:///{tmp_path}/missing-dir/nowhere.sqlite3"
    app = create_app({**BASE_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": broken})

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom")
    assert response.status_code == 500 and "Server error" in text(response)
    assert "RuntimeError" not in text(response) and "Traceback" not in text(response)


# --- start-up and protocol guards -----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "short", "x" * 31])
def test_wsgi_refuses_a_missing_or_short_secret_key(key):
    env = {**os.environ, "SECRET_KEY": key}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "refusing to start" in result.stderr
    assert ("is not set" if not key else "shorter than 32 characters") in result.stderr


def test_hsts_only_when_the_site_is_served_over_https(make_app):
    secure = make_app(SITE_URL="https://blog.example.com").test_client().get("/")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = make_app(SITE_URL="http://blog.example.com").test_client().get("/")
    assert "Strict-Transport-Security" not in plain.headers


@pytest.mark.parametrize("password", ["pw", "seven77", "x" * 1025])
def test_create_author_applies_the_password_rules_of_the_web_form(runner, password):
    result = runner.invoke(args=["create-author", "sam@example.com", "--name", "Sam", "--password", password])
    assert result.exit_code == 1
    assert "The password must have 8 to 1024 characters." in result.output
    ok = runner.invoke(args=["create-author", "sam@example.com", "--name", "Sam", "--password", "eight888"])
    assert ok.exit_code == 0, ok.output


def test_a_scheduled_posts_atom_entry_is_never_updated_before_it_is_published(client, content):
    post_id = content.post("Written early", published_at=NOW - timedelta(hours=1))
    with client.application.app_context():
        from blog.models import Post

        post = db.session.get(Post, post_id)
        post.updated_at = NOW - timedelta(days=5)  # written days ago, scheduled for an hour ago
        db.session.commit()
    feed = text(client.get("/feed.atom"))
    published = re.search(r"<published>([^<]+)</published>", feed).group(1)
    updated = re.search(r"<entry>.*?<updated>([^<]+)</updated>", feed, re.S).group(1)
    assert updated >= published
    assert re.search(r"</generator>", feed) and re.search(r"<feed[^>]*>\s*<title>", feed)


def test_without_a_mail_server_each_queued_mail_is_written_to_the_log(tmp_path, sqlite_template):
    """What a person running `make run` sees in the terminal after sending the contact form."""
    path = tmp_path / "log.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    script = (
        "import re\n"
        "from blog import create_app\n"
        "app = create_app()\n"
        "client = app.test_client()\n"
        "page = client.get('/contact').get_data(as_text=True)\n"
        'token = re.search(r\'name="token" type="hidden" value="([^"]+)"\', page).group(1)\n'
        "r = client.post('/contact', data={'token': token, 'name': 'Lou Reader', 'email': 'lou@example.com',\n"
        "    'message': 'Hello from the log test, this is my message.'})\n"
        "print(r.status_code, r.headers.get('Location'))\n"
    )
    env = {
        **os.environ,
        "SECRET_KEY": "k" * 32,
        "DATABASE_URL": f"sqlite:///{path}",
        "CONTACT_MIN_SECONDS": "0",
        "CONTACT_RECIPIENT": "owner@example.com",
    }
    env.pop("MAIL_SERVER", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "302 /contact/thanks" in result.stdout
    log = result.stderr
    assert "MAIL_SERVER is not set" in log
    assert "owner@example.com" in log and "Lou Reader" in log
    assert "Hello from the log test, this is my message." in log
