"""The production setup: deploy/nginx.conf in front of gunicorn with deploy/gunicorn.conf.py survives slow clients.

Runs Debian's nginx with a configuration of our own (a free port, a temporary prefix), never the system
service. Without nginx the tests skip, except under CI=true, where `.ci/run` installs it.
"""

import gzip
import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import migrate_database
from .helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
HOME_PAGE_TEXT = "Notes from the slow-client test"
SLOW_CLIENTS = 8
WORKERS = 2


def require(program: str, install: str) -> None:
    if not shutil.which(program):
        message = f"{program} not found: install it with `apt-get install -y {install}`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def wait_until_listening(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on port {port} within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def shipped_proxy_conf(tmp_path: Path) -> Path:
    """deploy/nginx-blog-proxy.conf as shipped, its /srv/blog paths pointed at this checkout."""
    conf = tmp_path / "nginx-blog-proxy.conf"
    conf.write_text((DEPLOY / "nginx-blog-proxy.conf").read_text().replace("/srv/blog/", f"{ROOT}/"))
    return conf


@pytest.fixture
def gunicorn(tmp_path):
    """The blog under gunicorn with deploy/gunicorn.conf.py, 2 sync workers, on a free port."""
    database = f"sqlite:///{tmp_path}/blog.sqlite3"
    migrate_database(database)
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": "slow-client-test-" * 3,
        "DATABASE_URL": database,
        "TRUSTED_PROXIES": "1",
        "SITE_TAGLINE": HOME_PAGE_TEXT,
        "HOME": str(tmp_path),
    }
    env.pop("SITE_URL", None)
    env.pop("TRUSTED_HOSTS", None)
    log = open(tmp_path / "gunicorn.log", "wb")  # closed below, after the server
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_listening(port, process, "gunicorn")
        yield port
    finally:
        stop(process)
        log.close()


@pytest.fixture
def nginx(tmp_path, gunicorn):
    """nginx on a free port, plain HTTP, with the shipped proxy directives in front of gunicorn."""
    require(NGINX, "nginx")
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must write the prefix under pytest's tmp
    conf = prefix / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
{temp_paths}
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=blog_pages:1m use_temp_path=off;
    upstream blog_app {{ server 127.0.0.1:{gunicorn}; }}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        include {shipped_proxy_conf(tmp_path)};
    }}
}}
""")
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_listening(port, process, "nginx")
        yield port
    finally:
        stop(process)


class SlowPosts:
    """Clients that send a POST's headers, announce a 100 kB body, then trickle it a byte a second."""

    def __init__(self, port: int, count: int = SLOW_CLIENTS):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(
                b"POST /contact HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nm"
            )
            self.sockets.append(sock)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self):
        while not self._stop.wait(1):
            for sock in self.sockets:
                try:
                    sock.sendall(b"e")
                except OSError:
                    pass

    def waiting(self) -> int:
        """How many are still waiting: no answer yet and not cut off."""
        count = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                sock.recv(1)
            except BlockingIOError:
                count += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return count

    def close(self):
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def home_page(port: int, timeout: float) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_eight_slow_posts_through_nginx_dont_stop_the_home_page(nginx):
    status, page = home_page(nginx, timeout=10)
    assert status == 200 and HOME_PAGE_TEXT in page
    slow = SlowPosts(nginx)
    try:
        time.sleep(2)  # every slow client has been accepted and is trickling
        for _ in range(5):
            status, page = home_page(nginx, timeout=5)
            assert status == 200 and HOME_PAGE_TEXT in page
        assert slow.waiting() == SLOW_CLIENTS  # nginx still holds all eight, buffering their bodies
    finally:
        slow.close()


def test_control_the_same_slow_posts_straight_to_gunicorn_stop_it(gunicorn):
    """Without nginx in front the same clients hold both workers: this is what the test above guards against."""
    status, page = home_page(gunicorn, timeout=10)
    assert status == 200 and HOME_PAGE_TEXT in page
    slow = SlowPosts(gunicorn)
    try:
        time.sleep(2)
        with pytest.raises(TimeoutError):
            home_page(gunicorn, timeout=3)
        assert slow.waiting() == SLOW_CLIENTS
    finally:
        slow.close()


def test_nginx_compresses_pages_and_serves_static_files_with_a_cache_lifetime(nginx):
    connection = http.client.HTTPConnection("127.0.0.1", nginx, timeout=10)
    try:
        connection.request("GET", "/", headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
        assert HOME_PAGE_TEXT in gzip.decompress(body).decode()
        connection.request("GET", "/static/css/site.css")
        response = connection.getresponse()
        assert response.read() == (ROOT / "blog" / "static" / "css" / "site.css").read_bytes()
        assert response.getheader("Cache-Control") == "max-age=604800"
    finally:
        connection.close()


def test_the_shipped_nginx_conf_is_valid(tmp_path):
    """deploy/nginx.conf as a site file in http {}, with a throwaway certificate in place of the real one."""
    require(NGINX, "nginx")
    require("openssl", "openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=blog.example.com",
        ],
        check=True,
        capture_output=True,
    )
    shipped = (DEPLOY / "nginx.conf").read_text()
    assert "include /srv/blog/deploy/nginx-blog-proxy.conf;" in shipped
    site = tmp_path / "site.conf"
    site.write_text(
        shipped.replace("/srv/blog/deploy/nginx-blog-proxy.conf", str(shipped_proxy_conf(tmp_path)))
        .replace("/etc/letsencrypt/live/blog.example.com/fullchain.pem", str(cert))
        .replace("/etc/letsencrypt/live/blog.example.com/privkey.pem", str(key))
        .replace("/var/cache/nginx/blog", str(tmp_path / "cache"))
    )
    main = tmp_path / "main.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; access_log off; include {site}; }}\n"
    )
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Strict-Transport-Security" in shipped and "gzip on;" in (DEPLOY / "nginx-blog-proxy.conf").read_text()


def get(port: int, path: str = "/", headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_nginx_keeps_anonymous_pages_and_passes_sessions_and_commenters_by(nginx):
    """The proxy cache: a HIT for the second anonymous reader, a BYPASS for a session or commenter cookie."""
    status, headers, first = get(nginx)
    assert status == 200 and headers["x-cache-status"] == "MISS"
    assert headers["cache-control"].startswith("public, max-age=")
    status, headers, again = get(nginx)
    assert status == 200 and headers["x-cache-status"] == "HIT" and again == first
    for cookie in ("session=someones", "remember_token=x", "commenter=y"):
        status, headers, body = get(nginx, headers={"Cookie": cookie})
        assert status == 200 and headers["x-cache-status"] == "BYPASS", cookie
        assert headers["cache-control"] == "private, no-store" and HOME_PAGE_TEXT in body.decode()
    status, headers, zipped = get(nginx, headers={"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip" and gzip.decompress(zipped) == first
    assert get(nginx, headers={"Accept-Encoding": "gzip"})[1]["x-cache-status"] == "HIT"
    # What nginx never keeps: the login page (it sets a cookie) stays a MISS.
    assert get(nginx, "/login")[1]["x-cache-status"] == "MISS"
    assert get(nginx, "/login")[1]["x-cache-status"] == "MISS"


CRASHING_APP = """
import ctypes


def crash_here():
    ctypes.string_at(0)  # reads address 0: a segfault, as a broken C extension would cause


def app(environ, start_response):
    crash_here()
"""


def test_a_worker_that_crashes_leaves_a_python_traceback_in_the_log(tmp_path):
    """deploy/gunicorn.conf.py turns faulthandler on in every worker."""
    (tmp_path / "crashing_app.py").write_text(CRASHING_APP)
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(DEPLOY / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--chdir",
                str(tmp_path),
                "crashing_app:app",
            ],
            cwd=ROOT,
            env={**os.environ, "HOME": str(tmp_path)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_listening(port, process, "gunicorn")
            with pytest.raises((http.client.HTTPException, OSError)):
                get(port)
            deadline = time.monotonic() + 10
            while "crash_here" not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop(process)
    output = log_path.read_text()
    assert "Fatal Python error: Segmentation fault" in output
    assert 'crashing_app.py", line 6 in crash_here' in output


def test_a_web_worker_loads_no_command_line_tooling(tmp_path):
    """wsgi.py's app leaves out Flask-Migrate and Alembic (the `flask db` commands) and the QR code library:
    about 13 MB less in every worker. The command line still has `flask db`."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "SECRET_KEY": "k" * 40, "DATABASE_URL": f"sqlite:///{tmp_path}/blog.sqlite3"}
    tools = "{'alembic', 'flask_migrate', 'segno'}"
    probe = f"import sys, wsgi; print(sorted({{m.split('.')[0] for m in sys.modules}} & {tools}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
    commands = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blog", "db", "current"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert commands.returncode == 0, commands.stderr
