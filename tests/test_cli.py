"""Command-line tasks: seed-demo, create-author, and the migrations themselves."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from blog.demo_content import DEMO_POSTS
from blog.extensions import db
from blog.models import Post, Tag, User

from .conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent


def count(app, column):
    with app.app_context():
        return db.session.scalar(select(func.count(column)))


def test_seed_demo_loads_five_articles_once(app, runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "5 article(s) added" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "0 article(s) added, 5 already there" in second.output
    assert count(app, Post.id) == 5 and count(app, User.id) == 1
    with app.app_context():
        tag_slugs = db.session.scalars(select(Tag.slug)).all()
    assert len(tag_slugs) == len(set(tag_slugs))

    home = client.get("/").get_data(as_text=True)
    for post in DEMO_POSTS:
        assert client.get(f"/posts/{post['slug']}").status_code == 200
    assert "The IOM: Navigating Migration Challenges with Compassion and Expertise" in home
    mission = client.get("/posts/mission-and-goals").get_data(as_text=True)
    assert "<h2>History and Structure</h2>" in mission and "<ul>" in mission


def test_seed_demo_if_empty_leaves_a_real_blog_alone(app, runner, content):
    content.post("My own post")
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "already has posts" in result.output
    assert count(app, Post.id) == 1


def test_demo_author_cannot_log_in_with_a_known_password(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        author = db.session.scalar(select(User))
        assert not author.is_active


def test_create_author_with_password_option(app, runner):
    result = runner.invoke(args=["create-author", "Grace@Example.com", "--name", "Grace", "--admin",
                                 "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    assert "Created admin Grace <Grace@example.com>" in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == "admin" and user.check_password("a long passphrase")
        assert user.password_hash.startswith("scrypt:")


def test_create_author_prompts_twice_for_a_hidden_password(app, runner):
    result = runner.invoke(args=["create-author", "lin@example.com", "--name", "Lin"],
                           input="s3cret pass\ns3cret pass\n")
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output and "Repeat for confirmation: " in result.output
    assert "s3cret" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == "author" and user.check_password("s3cret pass")


def test_create_author_refuses_bad_and_duplicate_emails(app, runner):
    bad = runner.invoke(args=["create-author", "not-an-email", "--name", "X", "--password", "pw"])
    assert bad.exit_code == 1 and "not a valid email address" in bad.output
    runner.invoke(args=["create-author", "sam@example.com", "--name", "Sam", "--password", "pw"])
    duplicate = runner.invoke(args=["create-author", "SAM@example.com", "--name", "Sam", "--password", "pw"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    assert count(app, User.id) == 1


def flask_cli(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "blog", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


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


def test_migrations_build_the_schema_the_models_describe(empty_database):
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    check = flask_cli(empty_database, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    downgrade = flask_cli(empty_database, "db", "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr


def test_mismatched_password_prompts_are_asked_again(app, runner):
    result = runner.invoke(args=["create-author", "kim@example.com", "--name", "Kim"],
                           input="one\ntwo\nsame pass\nsame pass\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    with app.app_context():
        assert db.session.scalar(select(User)).check_password("same pass")


def test_per_device_sessions_migration_keeps_every_author_post_and_comment(empty_database):
    """users.session_token is dropped by copying the users table on SQLite: nothing written may go with it."""
    assert flask_cli(empty_database, "db", "upgrade", "7ff56a6132ec").returncode == 0
    engine = sa.create_engine(empty_database)
    now = "2026-11-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO users (id, email, name, password_hash, role, active, session_token, created_at) VALUES "
            "(1, 'ada@example.com', 'Ada', 'scrypt:x', 'author', true, 'token-one', :now), "
            "(2, 'rita@example.com', 'Rita', 'scrypt:y', 'admin', false, 'token-two', :now)"), {"now": now})
        conn.execute(sa.text(
            "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, created_at, "
            "updated_at, author_id, comments_open) VALUES (1, 'Kept', 'kept', 'Body', '<p>Body</p>', 'Body', 1, "
            "false, :now, :now, 1, true), (2, 'Draft', 'draft', 'B', '<p>B</p>', 'B', 1, true, :now, :now, 2, true)"),
            {"now": now})
        conn.execute(sa.text("INSERT INTO post_tags (post_id, tag_id) SELECT 1, id FROM tags"))
        conn.execute(sa.text(
            "INSERT INTO comments (id, post_id, depth, name, email, body, body_html, status, created_at, updated_at)"
            " VALUES (1, 1, 1, 'Vera', 'vera@example.com', 'Nice', '<p>Nice</p>', 'approved', :now, :now)"),
            {"now": now})
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        users = conn.execute(sa.text("SELECT id, email, name, role, active FROM users ORDER BY id")).all()
        assert [tuple(row) for row in users] == [(1, "ada@example.com", "Ada", "author", True),
                                                 (2, "rita@example.com", "Rita", "admin", False)]
        assert conn.execute(sa.text("SELECT id, author_id, title FROM posts ORDER BY id")).all() == [
            (1, 1, "Kept"), (2, 2, "Draft")]
        assert conn.execute(sa.text("SELECT id, post_id, body FROM comments")).all() == [(1, 1, "Nice")]
        columns = {column["name"] for column in sa.inspect(conn).get_columns("users")}
        assert "session_token" not in columns
        assert conn.execute(sa.text("SELECT count(*) FROM user_sessions")).scalar() == 0
    downgrade = flask_cli(empty_database, "db", "downgrade", "7ff56a6132ec")
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 2
        tokens = conn.execute(sa.text("SELECT session_token FROM users")).scalars().all()
        assert len(set(tokens)) == 2 and all(tokens)
    engine.dispose()
