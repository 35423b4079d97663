"""Browser fixtures: Debian's Chromium driven by Playwright against a live server on the demo site."""

import os
import shutil
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from blog import create_app
from blog.extensions import db

from ..conftest import BASE_CONFIG, migrate_database

AUTHOR_EMAIL = "bea@example.com"
AUTHOR_PASSWORD = "browser passphrase"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use the system's Chromium; never a browser Playwright would download."""
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_FLAGS}


@contextmanager
def demo_site(tmp_path_factory, **settings):
    """The demo site, with an admin author, served on a free local port until the block ends."""
    path = tmp_path_factory.mktemp("live") / "blog.sqlite3"
    url = f"sqlite:///{path}"
    migrate_database(url)
    app = create_app(
        {
            **BASE_CONFIG,
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": url,
            "COMMENT_MIN_SECONDS": 1,
            "CONTACT_MIN_SECONDS": 1,
            "MEDIA_ROOT": str(path.parent / "media"),
            **settings,
        }
    )
    runner = app.test_cli_runner()
    for args in (
        ["seed-demo"],
        ["create-author", AUTHOR_EMAIL, "--name", "Bea Browser", "--admin", "--password", AUTHOR_PASSWORD],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The demo site served on a free local port for the whole browser session."""
    with demo_site(tmp_path_factory) as url:
        yield url


def log_in_as_author(page, site_url):
    page.goto(site_url + "/login")
    page.get_by_label("Email").fill(AUTHOR_EMAIL)
    page.get_by_label("Password").fill(AUTHOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(site_url + "/admin/")
    return page


@pytest.fixture
def logged_in_page(page, live_server):
    """A page whose browser has logged in as the admin author."""
    return log_in_as_author(page, live_server)
