"""Login throttling holds across two gunicorn servers that share Redis, as two hosts would."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from .helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"server on {port} did not start")


@pytest.fixture
def two_servers(tmp_path):
    """Start two gunicorn servers on one database with the given rate-limit storage."""
    processes = []

    def start(storage_uri: str) -> list[str]:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path}/shared.sqlite3",
            "SECRET_KEY": "shared-secret-" * 3,
            "RATELIMIT_STORAGE_URI": storage_uri,
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
        for args in (
            ["db", "upgrade"],
            ["create-author", "kai@example.com", "--name", "Kai", "--password", "right password"],
        ):
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "blog", *args],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
        urls = []
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--no-control-socket",
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            processes.append(process)
            wait_for(port, process)
            urls.append(f"http://127.0.0.1:{port}")
        return urls

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def wrong_logins(urls: list[str], attempts: int) -> list[tuple[int, str]]:
    """Alternate failed logins between the servers, with one browser's cookies."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(urls[0] + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    results = []
    for i in range(attempts):
        data = urllib.parse.urlencode(
            {"csrf_token": token, "email": "kai@example.com", "password": f"wrong {i}"}
        ).encode()
        try:
            response = opener.open(urls[i % 2] + "/login", data=data, timeout=10)
            results.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            results.append((error.code, error.read().decode()))
    return results


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_login_limit_is_shared_by_servers_on_redis(two_servers):
    results = wrong_logins(two_servers(TEST_REDIS_URL), 6)
    assert [status for status, _ in results] == [200] * 5 + [429]
    assert "Too many attempts. Please try again in" in results[-1][1]
    assert 'value="kai@example.com"' in results[-1][1]


def test_memory_storage_counts_per_server(two_servers):
    # The control: each server counts alone, so alternating gets past the per-account limit.
    results = wrong_logins(two_servers("memory://"), 6)
    assert [status for status, _ in results] == [200] * 6
