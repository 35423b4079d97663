"""Bench data sets: the 1,284-word article with 50 comments, at 100 posts and at 100,000 posts / 1,000,000 comments.

Both sets hold the same three pages that the scale table compares (the article, the busiest article with
1,482 comments, and the tag/month/search pages), so a slower page at 100,000 posts is the cost of size alone.
The schema comes from the app's migrations; the rows go in with bulk inserts (executemany on SQLite, COPY
on PostgreSQL), the search index in bulk too. Generated sets are kept and reused while the schema is the same.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

GENERATOR_VERSION = 4  # 4: the search index holds stems, and the vocabulary is filled
SEED = 13
ARTICLE_SLUG = "bench-article"
BUSIEST_SLUG = "bench-busiest"
COMMON_WORD = "lantern"  # in every third post
SECOND_WORD = "harbor"  # in every fifth post
COMMON_TAG = "python"  # on every eighth post: 12,500 posts, so page 100 exists at 100,000 posts
ARTICLE_WORDS = 1284
ARTICLE_COMMENTS = 50
BUSIEST_COMMENTS = 1482
EPOCH = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the newest post; fixed so both sets share months

SIZES = {"small": (100, 2000), "large": (100_000, 1_000_000)}

VOCABULARY = (
    "river city morning letter train window garden kitchen winter summer market bridge mountain island "
    "language family journey border passport village coffee bread music street station airport ferry "
    "notebook story memory friend neighbour school office evening season harvest coast forest valley "
    "question answer promise habit routine weekend holiday recipe journal photograph postcard suitcase"
).split()
TAG_NAMES = [COMMON_TAG] + [f"topic-{n:02d}" for n in range(1, 40)]


@dataclass
class Target:
    """Where a set lives: a SQLite file or a PostgreSQL database of its own."""

    name: str
    url: str
    backend: str


def sqlite_target(size: str, folder: Path) -> Target:
    folder.mkdir(parents=True, exist_ok=True)
    return Target(size, f"sqlite:///{folder / f'bench-{size}.sqlite3'}", "sqlite")


def postgres_target(size: str, server_url: str) -> Target:
    url = make_url(server_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    # BENCH_PG_PREFIX lets two checkouts on one server keep their own databases.
    prefix = os.environ.get("BENCH_PG_PREFIX", "blog_bench")
    return Target(size, url.set(database=f"{prefix}_{size}").render_as_string(hide_password=False), "postgresql")


def words(rng: random.Random, count: int, extra: tuple[str, ...] = ()) -> list[str]:
    chosen = [rng.choice(VOCABULARY) for _ in range(count)]
    for word in extra:
        chosen[rng.randrange(count)] = word
    return chosen


def paragraphs(chosen: list[str], size: int = 90) -> tuple[str, str]:
    """(markdown, html) of these words in paragraphs."""
    parts = [" ".join(chosen[i : i + size]).capitalize() + "." for i in range(0, len(chosen), size)]
    return "\n\n".join(parts), "".join(f"<p>{p}</p>\n" for p in parts)


def schema_fingerprint(url: str) -> str:
    """The generator's version and a digest of the migration scripts the set was built with."""
    import hashlib

    digest = hashlib.sha256()
    for script in sorted((Path(__file__).resolve().parent.parent / "migrations" / "versions").glob("*.py")):
        digest.update(script.name.encode() + script.read_bytes())
    return f"{GENERATOR_VERSION}:{digest.hexdigest()[:16]}"


def meta_path(target: Target, folder: Path) -> Path:
    return folder / f"bench-{target.backend}-{target.name}.json"


def is_current(target: Target, folder: Path) -> bool:
    path = meta_path(target, folder)
    if not path.exists():
        return False
    meta = json.loads(path.read_text())
    if meta.get("fingerprint") != schema_fingerprint(target.url):
        return False
    if target.backend == "sqlite":
        return Path(make_url(target.url).database or "").exists()
    try:
        engine = sa.create_engine(target.url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1 FROM posts LIMIT 1"))
        engine.dispose()
        return True
    except sa.exc.SQLAlchemyError:
        return False


def recreate(target: Target) -> None:
    if target.backend == "sqlite":
        path = Path(make_url(target.url).database or "")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    url = make_url(target.url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def drop(target: Target) -> None:
    if target.backend == "postgresql":
        url = make_url(target.url)
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()
    else:
        recreate(target)


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    from blog import create_app
    from blog.extensions import db

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def generate_rows(size: str):
    """Every row of the set, as dicts per table, built in memory from a fixed seed."""
    n_posts, n_comments = SIZES[size]
    rng = random.Random(SEED)
    now = EPOCH
    users = [
        {
            "id": i,
            "email": f"author{i}@example.com",
            "name": name,
            "slug": name.lower().replace(" ", "-"),  # author pages: unique
            "password_hash": "!",
            "role": "admin" if i == 1 else "author",
            "active": True,
            "created_at": now - timedelta(days=4000),
        }
        for i, name in enumerate(["Ana Bench", "Budi Load", "Chen Scale"], start=1)
    ]
    tags = [{"id": i, "name": name, "slug": name} for i, name in enumerate(TAG_NAMES, start=1)]
    # Posts from newest (id n) to oldest (id 1), evenly spaced: 100,000 posts over about ten years.
    spacing = timedelta(minutes=53) if size == "large" else timedelta(days=1)
    posts, post_tags = [], []
    for i in range(1, n_posts + 1):
        published = now - spacing * (n_posts - i)
        extra = tuple(w for w, every in ((COMMON_WORD, 3), (SECOND_WORD, 5)) if i % every == 0)
        if i == n_posts:
            slug, title, count = ARTICLE_SLUG, "Learning a language at forty: a year of notes", ARTICLE_WORDS
        elif i == n_posts - 1:
            slug, title, count = BUSIEST_SLUG, "The post everybody answered", 300
        else:
            slug, title, count = f"post-{i}", f"Post {i}: {rng.choice(VOCABULARY)} and {rng.choice(VOCABULARY)}", 0
            count = rng.randint(60, 160)
        body, html = paragraphs(words(rng, count, extra))
        posts.append(
            {
                "id": i,
                "title": title,
                "slug": slug,
                "body": body,
                "body_html": html,
                "excerpt": body[:200],
                "reading_minutes": max(1, round(count / 200)),
                "is_draft": False,
                "published_at": published,
                "created_at": published,
                "updated_at": published,
                "author_id": 1 + i % 3,
                "kind": "post",
                "comments_open": True,
            }
        )
        chosen = {1 + i % 39 + 1}
        if i % 8 == 0:
            chosen.add(1)
        chosen.add(1 + (i * 7) % 39 + 1)
        post_tags.extend({"post_id": i, "tag_id": t} for t in sorted(chosen))
    # Comments: the article's 50 and the busiest post's 1,482 first, the rest spread over the others.
    per_post: dict[int, int] = {n_posts: ARTICLE_COMMENTS, n_posts - 1: BUSIEST_COMMENTS}
    rest = n_comments - ARTICLE_COMMENTS - BUSIEST_COMMENTS
    others = list(range(1, n_posts - 1))
    for _ in range(max(0, rest)):
        pid = rng.choice(others)
        per_post[pid] = per_post.get(pid, 0) + 1
    comments = []
    next_id = 1
    for pid in sorted(per_post):
        base = posts[pid - 1]["published_at"]
        in_post: list[tuple[int, int | None, int]] = []  # id, root, depth
        for k in range(per_post[pid]):
            created = base + timedelta(minutes=5 + k * 3)
            parent = None
            if in_post and rng.random() < 0.35:
                parent = rng.choice(in_post[-20:])
            root_id = None if parent is None else (parent[1] or parent[0])
            depth = 1 if parent is None else parent[2] + 1
            roll = rng.random()
            status = "approved" if roll < 0.95 else ("pending" if roll < 0.98 else "spam")
            body = " ".join(words(rng, rng.randint(12, 40))).capitalize() + "."
            comments.append(
                {
                    "id": next_id,
                    "post_id": pid,
                    "parent_id": parent[0] if parent else None,
                    "root_id": root_id,
                    "depth": depth,
                    "name": f"Reader {next_id % 997}",
                    "email": f"reader{next_id % 997}@example.com",
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "status": status,
                    "held_reason": None,
                    "client_address": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            in_post.append((next_id, root_id, depth))
            next_id += 1
    return {"users": users, "tags": tags, "posts": posts, "post_tags": post_tags, "comments": comments}


def table_columns(conn, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(conn).get_columns(table)]


def derived_columns(conn, rows: dict) -> None:
    """Columns later migrations add to posts (kept on write by the app): filled here the same way."""
    post_cols = set(table_columns(conn, "posts"))
    if "comment_count" in post_cols:
        counts = comment_counts(rows["comments"])
        for post in rows["posts"]:
            post["comment_count"] = counts.get(post["id"], 0)
    if "listed_at" in set(table_columns(conn, "post_tags")):
        # Every bench post is a published article: listed at its time, counted on each of its tags.
        published = {post["id"]: post["published_at"] for post in rows["posts"]}
        per_tag: dict[int, int] = {}
        for link in rows["post_tags"]:
            link["listed_at"] = published[link["post_id"]]
            per_tag[link["tag_id"]] = per_tag.get(link["tag_id"], 0) + 1
        for tag in rows["tags"]:
            tag["post_count"] = per_tag.get(tag["id"], 0)
    if "published_month" in post_cols:
        import os
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(os.environ.get("SITE_TIMEZONE", "UTC") or "UTC")
        for post in rows["posts"]:
            local = post["published_at"].astimezone(zone)
            post["published_month"] = local.year * 100 + local.month


def archive_count(conn, rows: dict) -> None:
    """The archive's kept counts (site_state.post_count, archive_months), once the posts are in."""
    if "post_count" in table_columns(conn, "site_state"):
        conn.execute(sa.text("UPDATE site_state SET post_count = :n WHERE id = 1"), {"n": len(rows["posts"])})
    if sa.inspect(conn).has_table("archive_months"):  # every bench post is a listed article
        conn.execute(
            sa.text(
                "INSERT INTO archive_months (month, post_count) SELECT published_month, count(*) FROM posts "
                "WHERE published_month IS NOT NULL GROUP BY published_month"
            )
        )


def comment_counts(comments: list[dict]) -> dict[int, int]:
    """What readers see: approved comments whose thread's top-level comment is approved or a placeholder."""
    status = {c["id"]: c["status"] for c in comments}
    counts: dict[int, int] = {}
    for c in comments:
        if c["status"] != "approved":
            continue
        if c["root_id"] is not None and status.get(c["root_id"]) not in ("approved", "deleted"):
            continue
        counts[c["post_id"]] = counts.get(c["post_id"], 0) + 1
    return counts


def search_documents(rows: dict) -> list[dict]:
    """What blog/search/index.py writes for each post: the stems of its words, in the site's language."""
    from blog.search.words import stemmed_text

    language = os.environ.get("SITE_LANGUAGE", "en") or "en"
    names = {t["id"]: t["name"] for t in rows["tags"]}
    tags: dict[int, list[str]] = {}
    for pt in rows["post_tags"]:
        tags.setdefault(pt["post_id"], []).append(names[pt["tag_id"]])
    strip = re.compile(r"<[^>]+>")
    return [
        {
            "id": p["id"],
            "title": stemmed_text(p["title"], language),
            "tags": stemmed_text(" ".join(sorted(tags.get(p["id"], []))), language),
            "excerpt": stemmed_text(p["excerpt"], language),
            "body": stemmed_text(strip.sub(" ", p["body_html"]), language),
        }
        for p in rows["posts"]
    ]


def vocabulary_rows(rows: dict) -> list[dict]:
    """The search vocabulary ("Did you mean"): every word of the set under its lookup keys."""
    from blog.search.words import lookup_keys, vocabulary_words

    found: set[str] = {word for t in rows["tags"] for word in vocabulary_words(t["name"])}
    for p in rows["posts"]:
        found |= vocabulary_words(p["title"] + " " + p["body"])
    return [{"key": key, "word": word} for word in sorted(found) for key in sorted(lookup_keys(word))]


def load_sqlite(engine, rows: dict) -> None:
    with engine.begin() as conn:
        derived_columns(conn, rows)
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        meta = sa.MetaData()
        for table in ("users", "tags", "posts", "post_tags", "comments"):
            t = sa.Table(table, meta, autoload_with=conn)
            batch = rows[table]
            for start in range(0, len(batch), 50_000):
                conn.execute(sa.insert(t), batch[start : start + 50_000])
        archive_count(conn, rows)
        conn.execute(
            sa.text(
                "INSERT INTO post_search (rowid, title, tags, excerpt, body) "
                "VALUES (:id, :title, :tags, :excerpt, :body)"
            ),
            search_documents(rows),
        )
        conn.execute(sa.text("INSERT INTO search_words (key, word) VALUES (:key, :word)"), vocabulary_rows(rows))
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def load_postgres(engine, rows: dict) -> None:
    with engine.begin() as conn:
        derived_columns(conn, rows)
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        for table in ("users", "tags", "posts", "post_tags", "comments"):
            batch = rows[table]
            cols = list(batch[0].keys())
            with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row([row[c] for c in cols])
        archive_count(conn, rows)
        # The search vector in one set-based statement, with the same weights as blog/search/index.py.
        cursor.execute("CREATE TEMP TABLE bench_docs (id int, title text, tags text, excerpt text, body text)")
        with cursor.copy("COPY bench_docs (id, title, tags, excerpt, body) FROM STDIN") as copy:
            for doc in search_documents(rows):
                copy.write_row([doc["id"], doc["title"], doc["tags"], doc["excerpt"], doc["body"]])
        cursor.execute(
            "UPDATE posts SET search_vector = setweight(to_tsvector('simple', d.title), 'A') || "
            "setweight(to_tsvector('simple', d.tags), 'B') || setweight(to_tsvector('simple', d.excerpt), 'C') || "
            "setweight(to_tsvector('simple', d.body), 'D') FROM bench_docs d WHERE d.id = posts.id"
        )
        with cursor.copy("COPY search_words (key, word) FROM STDIN") as copy:
            for row in vocabulary_rows(rows):
                copy.write_row([row["key"], row["word"]])
        for table in ("users", "tags", "posts", "comments"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def ensure(target: Target, folder: Path, fresh: bool = False, log=print) -> Target:
    """Build the set unless a current copy is kept; returns the target."""
    if not fresh and is_current(target, folder):
        log(f"  {target.backend} {target.name}: kept from an earlier run")
        return target
    started = time.monotonic()
    log(f"  {target.backend} {target.name}: generating {SIZES[target.name][0]:,} posts ...")
    recreate(target)
    migrate(target.url)
    rows = generate_rows(target.name)
    engine = sa.create_engine(target.url)
    (load_postgres if target.backend == "postgresql" else load_sqlite)(engine, rows)
    engine.dispose()
    meta_path(target, folder).write_text(json.dumps({"fingerprint": schema_fingerprint(target.url)}))
    log(
        f"  {target.backend} {target.name}: {len(rows['posts']):,} posts, {len(rows['comments']):,} comments "
        f"in {time.monotonic() - started:.0f} s"
    )
    return target


def article_content(url: str) -> dict:
    """What the render floor shows: the article's text and its 50 comments, read once from the set."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        post = conn.execute(
            sa.text("SELECT id, title, body_html, published_at FROM posts WHERE slug = :s"), {"s": ARTICLE_SLUG}
        ).one()
        comments = conn.execute(
            sa.text(
                "SELECT id, parent_id, name, body_html, created_at FROM comments "
                "WHERE post_id = :p AND status = 'approved' ORDER BY created_at, id"
            ),
            {"p": post.id},
        ).all()
    engine.dispose()
    return {
        "title": post.title,
        "body_html": post.body_html,
        "published_at": str(post.published_at),
        "comments": [
            {"id": c.id, "parent_id": c.parent_id, "name": c.name, "body_html": c.body_html, "at": str(c.created_at)}
            for c in comments
        ],
    }
