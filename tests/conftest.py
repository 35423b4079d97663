"""Fixtures: an app per test on a fresh, migrated database (SQLite always, PostgreSQL when configured)."""

import email
import email.policy
import os
import re
import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy.engine import make_url
from werkzeug.routing.rules import Rule

from blog import create_app
from blog.extensions import db
from blog.models import Post, User
from blog.posts.services import tag_named

from .helpers import ADMIN_EMAIL, free_port, log_in

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "SITE_NAME": "Test Blog",
    "SITE_TAGLINE": "Notes from the test suite",
    # The page cache stays on, so every test's anonymous pages also check its invalidation; a form's token
    # is dated ahead only in tests/test_page_cache.py, which sets this itself.
    "PAGE_CACHE_FORM_SECONDS": 0,
}


RAM_DISK = "/dev/shm"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Temporary files (each test's SQLite copy, pictures, exports) on a RAM disk when one has room.

    On a disk every SQLite commit waits for fsync (about 3 ms here, several per test). `--basetemp` still wins.
    """
    if config.option.basetemp or not os.path.isdir(RAM_DISK) or not os.access(RAM_DISK, os.W_OK):
        return
    if shutil.disk_usage(RAM_DISK).free < 2 * 1024**3:  # the large import test writes 96 MB
        return
    config.option.basetemp = config._blog_ram_basetemp = tempfile.mkdtemp(prefix="blog-tests-", dir=RAM_DISK)


def pytest_unconfigure(config):
    folder = getattr(config, "_blog_ram_basetemp", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for the whole session, so each test's new app doesn't compile them again.

    Jinja checks each template's source against its checksum; the key also holds what the compiled code
    depends on (extensions, delimiters, autoescape), so an app with different Jinja options compiles its own.
    """

    def __init__(self):
        self.code = {}

    @staticmethod
    def key(bucket):
        env = bucket.environment
        return (
            bucket.key,
            tuple(sorted(env.extensions)),
            getattr(env.autoescape, "__func__", env.autoescape),
            getattr(env.finalize, "__func__", env.finalize),
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            env.is_async,
        )

    def load_bytecode(self, bucket):
        code = self.code.get(self.key(bucket))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.code[self.key(bucket)] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def shared_template_code():
    """Every app the tests build (a few per test) shares compiled templates: about 25 ms a template."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "jinja_options", {**Flask.jinja_options, "bytecode_cache": SharedTemplateCode()})
        yield


@pytest.fixture(scope="session", autouse=True)
def shared_url_builders():
    """Every app the tests build shares the URL builders Werkzeug generates for its routes.

    Compiling a builder (Python code generated for each route) is most of what create_app costs. A builder is
    a function of the rule's text and parts and of its defaults, so an identical rule reuses it.
    """
    compile_builder = Rule._compile_builder
    builders = {}

    def shared_builder(rule, append_unknown=True):
        defaults = rule.defaults or {}
        key = (
            rule.rule,
            append_unknown,
            tuple(rule._trace),
            tuple(
                (name, rule._converters[name].to_url(value) if name in rule._converters else None)
                for name, value in defaults.items()
            ),
        )
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", shared_builder)
        yield


def migrate_database(url: str) -> None:
    """Build the schema the way production does: by running the migrations."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "blog.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A database of our own on the configured server, migrated once, dropped at the end."""
    admin_url = make_url(TEST_DATABASE_URL)
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    name = f"blog_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A throwaway database need not wait for each commit to reach the disk (nothing else changes).
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate_database(url)
        yield url
    finally:
        engine = _emptying_engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_emptying_engines: dict[str, sa.Engine] = {}


def truncate_all(url: str) -> None:
    """Empty every table and start every id again at its first value, as TRUNCATE ... RESTART IDENTITY would.

    DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE gives each of the twenty-odd tables new files
    (0.1 to 1 s per test here); deleting the rows takes milliseconds.
    """
    engine = _emptying_engines.get(url)
    if engine is None:
        engine = _emptying_engines[url] = sa.create_engine(url)
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
    statements.append(
        "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, start_value, false) "
        "FROM pg_sequences WHERE schemaname = current_schema()"
    )
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "blog.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        truncate_all(url)
        yield url


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build test apps on this test's database; extra settings override the defaults."""
    apps = []

    def factory(**settings):
        # Pictures (seed-demo draws some) go to the test's own folder, never the repository's instance/.
        app = create_app(
            {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": str(tmp_path / "media"), **settings}
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


NOW = datetime.now(UTC).replace(microsecond=0)


class Content:
    """Creates authors and posts for a test, each in its own short app context."""

    def __init__(self, app):
        self.app = app
        self._author_id = None

    def author(self, email="ada@example.com", name="Ada Writer", role="author", password="correct horse"):
        with self.app.app_context():
            user = User(email=email, name=name, role=role)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            return user.id

    def post(
        self,
        title,
        body="Some words.",
        *,
        slug=None,
        draft=False,
        published_at=None,
        tags=(),
        excerpt=None,
        days_ago=None,
        author_id=None,
    ):
        if author_id is None:
            if self._author_id is None:
                self._author_id = self.author()
            author_id = self._author_id
        if published_at is None and not draft:
            published_at = NOW - timedelta(days=1 if days_ago is None else days_ago)
        with self.app.app_context():
            post = Post(
                title=title,
                slug=slug or title.lower().replace(" ", "-"),
                excerpt=excerpt or f"Excerpt of {title}",
                is_draft=draft,
                published_at=published_at,
                author_id=author_id,
                tags=[tag_named(name) for name in tags],
            )
            post.set_body(body)
            db.session.add(post)
            db.session.commit()
            return post.id


@pytest.fixture
def content(app):
    return Content(app)


@pytest.fixture
def author(content):
    """Ada Writer, an author (ada@example.com, "correct horse"): her user id."""
    return content.author()


@pytest.fixture
def admin(content):
    """Rita Root, an admin (rita@example.com, "correct horse"): her user id."""
    return content.author(email=ADMIN_EMAIL, name="Rita Root", role="admin")


class AuthActions:
    """Logging in and out on a client of its own, as flaskr's `auth` fixture does."""

    def __init__(self, app):
        self.app = app

    def log_in(self, email="ada@example.com", password="correct horse", client=None):
        client = client or self.app.test_client()
        log_in(client, email, password)
        return client

    def log_out(self, client):
        page = client.get("/admin/")
        token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page.get_data(as_text=True))
        return client.post("/logout", data={"csrf_token": token.group(1) if token else ""})


@pytest.fixture
def auth(app):
    return AuthActions(app)


@pytest.fixture
def writer(client, author, auth):
    """The client, logged in as Ada, an author."""
    return auth.log_in(client=client)


@pytest.fixture
def team(app, author, admin, auth):
    """Ada (author) and Rita (admin), each logged in on a client of their own."""
    return {"ada": author, "rita": admin}, {"ada": auth.log_in(), "rita": auth.log_in(ADMIN_EMAIL)}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    admin_url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"blog_migrate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- pictures: both stores, a media root of the test's own, a logged-in author on that app -----------------


@pytest.fixture(params=["filesystem", "database"])
def storage(request):
    return request.param


@pytest.fixture
def media_root(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def media_app(make_app, media_root, storage):
    return make_app(MEDIA_STORAGE=storage, MEDIA_ROOT=str(media_root))


@pytest.fixture
def media_author(media_app):
    """A logged-in author's client on the media app."""
    Content(media_app).author()
    client = media_app.test_client()
    log_in(client)
    return client


# --- a real SMTP server on a port of our own ----------------------------------------------------------------


class MailServer:
    """aiosmtpd on 127.0.0.1; stopped, its port refuses connections (the mail server is down)."""

    def __init__(self):
        self.port = free_port()
        self.received = []  # envelopes, in the order they arrived
        self.reply = None  # e.g. "451 4.3.0 Try again later" to refuse every DATA
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            return self.reply
        self.received.append(envelope)
        return "250 OK"

    def start(self):
        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.received]

    def settings(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port}


@pytest.fixture
def smtp():
    """The mail server, not started: call smtp.start() when it should be up."""
    server = MailServer()
    yield server
    server.stop()
