"""`make bench`: load against the render floor and the blog side by side, then the scale table.

1. Load (wrk -t2 -c32, 2 gunicorn workers each, rounds alternating A B A B): the render floor, the article
   cold (page cache off), the article from the page cache when the app has one, the home page; on SQLite
   and, with TEST_DATABASE_URL, PostgreSQL. Columns: req/s, p50, p99, bytes, queries per request.
2. Scale: every reader page one request at a time, in-process, at 100 posts and at 100,000 posts /
   1,000,000 comments, with the ratio (the goal: within 2x).

Data sets are built on first use and kept under instance/bench (and in PostgreSQL databases
blog_bench_small / blog_bench_large) while the schema stays the same; --fresh rebuilds them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from . import data

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "instance" / "bench"
SECRET = "bench-secret-key-0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_has_setting(name: str) -> bool:
    """Whether blog/config.py reads this setting (the page cache is another branch's work)."""
    return name in (ROOT / "blog" / "config.py").read_text()


class Server:
    """One gunicorn with 2 workers, stopped by its own process id."""

    def __init__(self, label: str, app: str, env: dict[str, str]):
        self.label, self.port = label, free_port()
        self.log = open(FOLDER / f"gunicorn-{label.replace(' ', '-')}.log", "w")
        cmd = [
            sys.executable, "-m", "gunicorn", "-w", "2", "--no-control-socket",
            "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", app,
        ]  # fmt: skip
        self.process = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=self.log)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path: str) -> None:
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url(path), timeout=5).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"{self.label}: gunicorn exited; see {self.log.name}") from None
                time.sleep(0.2)
        raise SystemExit(f"{self.label}: no answer on {path}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def wrk(url: str, seconds: int) -> dict:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--timeout", "30s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


@contextmanager
def blog_app(url: str, **config):
    from blog import create_app
    from blog.extensions import db

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, **config})
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(*args):
        counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield app, counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        with app.app_context():
            db.engine.dispose()


def get(client, counter, path: str) -> tuple[float, int, int, int]:
    """(milliseconds, queries, status, bytes) of one request."""
    before = counter["n"]
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, counter["n"] - before, response.status_code, len(response.data)


def setting_value(text: str):
    """A setting as the app's config holds it: in-process settings are not parsed from text ("false" would
    be a true string)."""
    return {"false": False, "0": False, "no": False, "true": True, "1": True, "yes": True}.get(text.lower(), text)


def queries_for(url: str, path: str, env: dict[str, str]) -> int:
    config = {k: setting_value(v) for k, v in env.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    with blog_app(url, **config) as (app, counter):
        client = app.test_client()
        get(client, counter, path)
        return get(client, counter, path)[1]


def load_table(targets: dict[str, data.Target], seconds: int, rounds: int, cache_setting: str) -> None:
    content = data.article_content(targets["sqlite"].url)
    floor_json = FOLDER / "floor.json"
    floor_json.write_text(json.dumps(content))
    article = f"/posts/{data.ARTICLE_SLUG}"
    name, _, off = cache_setting.partition("=")
    cold_env = {name: off} if name else {}
    has_cache = bool(name) and app_has_setting(name)
    servers = {"floor": Server("floor", "bench.floor:app", {"BENCH_FLOOR_CONTENT": str(floor_json)})}
    rows = [("render floor", "floor", article, {})]
    for backend, target in targets.items():
        env = {"DATABASE_URL": target.url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": "false"}
        servers[f"{backend} cold"] = Server(f"{backend} cold", "wsgi:app", {**env, **cold_env})
        rows.append((f"article cold, {backend}", f"{backend} cold", article, {**env, **cold_env}))
        if has_cache:
            servers[f"{backend} cached"] = Server(f"{backend} cached", "wsgi:app", env)
            rows.append((f"article cached, {backend}", f"{backend} cached", article, env))
        rows.append((f"home cold, {backend}", f"{backend} cold", "/", {**env, **cold_env}))
    if not has_cache:
        print(f"(no {name or 'page cache'} setting in blog/config.py: the cached-article row is left out)")
    try:
        for server in servers.values():
            server.wait(article)
        results: dict[str, list[dict]] = {row[0]: [] for row in rows}
        for n in range(rounds):  # A B A B: every row once per round, in the same order
            for label, server_name, path, _ in rows:
                url = servers[server_name].url(path)
                wrk(url, 1)  # warm up
                results[label].append(wrk(url, seconds))
            print(f"  round {n + 1}/{rounds} done")
        sizes = {row[0]: len(urllib.request.urlopen(servers[row[1]].url(row[2])).read()) for row in rows}
    finally:
        for server in servers.values():
            server.stop()
    floor_rps = statistics.mean(r["rps"] for r in results["render floor"])
    print(f"\nLoad: wrk -t2 -c32 -d{seconds}s, 2 gunicorn workers, {rounds} rounds A B A B (means of rounds)")
    print(f"{'':28} {'req/s':>8} {'x floor':>8} {'p50 ms':>8} {'p99 ms':>8} {'bytes':>8} {'queries':>8}")
    for label, _server, path, env in rows:
        runs = results[label]
        rps = statistics.mean(r["rps"] for r in runs)
        queries = "-" if not env else str(queries_for(env["DATABASE_URL"], path, env))
        errors = sum(r["errors"] for r in runs)
        print(
            f"{label:28} {rps:8.0f} {rps / floor_rps:8.2f} {statistics.mean(r['p50'] for r in runs):8.1f} "
            f"{statistics.mean(r['p99'] for r in runs):8.1f} {sizes[label]:8d} {queries:>8}"
            + (f"  ({errors} errors or timeouts)" if errors else "")
        )


def scale_rows() -> list[tuple[str, str, str]]:
    """(page, path at 100 posts, path at 100,000): deep pages compare with the small set's last page."""
    small_posts = data.SIZES["small"][0]
    small_tagged = small_posts // 8
    month = f"/archive/{data.EPOCH.year:04d}/{data.EPOCH.month - 1:02d}"
    return [
        ("home", "/", "/"),
        ("archive page 1", "/posts/", "/posts/"),
        ("archive page 5,000 (small: last)", f"/posts/?page={-(-small_posts // 10)}", "/posts/?page=5000"),
        ("tag page 1", f"/tags/{data.COMMON_TAG}", f"/tags/{data.COMMON_TAG}"),
        ("tag page 100 (small: last)", f"/tags/{data.COMMON_TAG}?page={-(-small_tagged // 10)}",
         f"/tags/{data.COMMON_TAG}?page=100"),
        ("a month", month, month),
        ("most-commented article", f"/posts/{data.BUSIEST_SLUG}", f"/posts/{data.BUSIEST_SLUG}"),
        ("the 50-comment article", f"/posts/{data.ARTICLE_SLUG}", f"/posts/{data.ARTICLE_SLUG}"),
        ("search: a third of posts", f"/search?q={data.COMMON_WORD}", f"/search?q={data.COMMON_WORD}"),
        ("search: two words", f"/search?q={data.COMMON_WORD}+{data.SECOND_WORD}",
         f"/search?q={data.COMMON_WORD}+{data.SECOND_WORD}"),
        ("feed", "/feed.atom", "/feed.atom"),
        ("sitemap", "/sitemap.xml", "/sitemap.xml"),
    ]  # fmt: skip


def scale_table(backend: str, small: data.Target, large: data.Target, repeats: int, cache_setting: str) -> bool:
    name, _, off = cache_setting.partition("=")
    config = {name: setting_value(off)} if name and app_has_setting(name) else {}
    timings: dict[str, dict[str, tuple[float, int, int, int]]] = {}
    for size, target in (("small", small), ("large", large)):
        with blog_app(target.url, **config) as (app, counter):
            client = app.test_client()
            for label, small_path, large_path in scale_rows():
                path = small_path if size == "small" else large_path
                get(client, counter, path)  # warm: templates compiled, statements cached
                runs = [get(client, counter, path) for _ in range(repeats)]
                ms = statistics.median(r[0] for r in runs)
                timings.setdefault(label, {})[size] = (ms, runs[-1][1], runs[-1][2], runs[-1][3])
    print(f"\nScale, {backend}: one request at a time in-process, median of {repeats}")
    print(f"{'':34} {'100 posts':>10} {'100,000':>10} {'ratio':>6} {'queries':>9} {'bytes':>8}")
    flat = True
    for label, sizes in timings.items():
        (s_ms, s_q, s_status, _), (l_ms, l_q, l_status, l_bytes) = sizes["small"], sizes["large"]
        ratio = l_ms / s_ms if s_ms else float("nan")
        flat &= ratio <= 2
        status = "" if s_status == l_status == 200 else f"  (status {s_status}/{l_status})"
        print(
            f"{label:34} {s_ms:8.1f}ms {l_ms:8.1f}ms {ratio:6.2f} {s_q:>4}/{l_q:<4} {l_bytes:8d}"
            + ("" if ratio <= 2 else "  > 2x")
            + status
        )
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per run (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds of the load table (default 2)")
    parser.add_argument("--repeats", type=int, default=7, help="sequential requests per scale row (default 7)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the data sets")
    parser.add_argument("--drop-postgres", action="store_true", help="drop the PostgreSQL bench databases at the end")
    parser.add_argument("--no-load", action="store_true", help="only the scale table")
    parser.add_argument("--no-scale", action="store_true", help="only the load table")
    parser.add_argument(
        "--page-cache-setting",
        default="PAGE_CACHE=false",
        help="SETTING=value that turns the page cache off for the cold rows (default PAGE_CACHE=false)",
    )
    args = parser.parse_args(argv)
    if not args.no_load and shutil.which("wrk") is None:
        print("make bench needs wrk (https://github.com/wg/wrk): apt-get install wrk", file=sys.stderr)
        return 2
    FOLDER.mkdir(parents=True, exist_ok=True)
    print("Data sets:")
    sets: dict[str, dict[str, data.Target]] = {
        "sqlite": {size: data.sqlite_target(size, FOLDER) for size in data.SIZES}
    }
    if os.environ.get("TEST_DATABASE_URL"):
        sets["postgresql"] = {size: data.postgres_target(size, os.environ["TEST_DATABASE_URL"]) for size in data.SIZES}
    for targets in sets.values():
        for target in targets.values():
            data.ensure(target, FOLDER, fresh=args.fresh)
    try:
        if not args.no_load:
            load_table({b: t["large"] for b, t in sets.items()}, args.seconds, args.rounds, args.page_cache_setting)
        flat = True
        if not args.no_scale:
            for backend, targets in sets.items():
                flat &= scale_table(backend, targets["small"], targets["large"], args.repeats, args.page_cache_setting)
            print("\nEvery scale row within 2x." if flat else "\nSome scale rows are over 2x (marked).")
    finally:
        if args.drop_postgres:
            for target in sets.get("postgresql", {}).values():
                data.drop(target)
                data.meta_path(target, FOLDER).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
