"""Command-line tasks: seed-demo, create-author, and the migrations themselves."""

import ast
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import func, select

from blog.demo_content import DEMO_PAGES, DEMO_POSTS
from blog.extensions import db
from blog.models import Post, Tag, User

from .helpers import flask_cli

ROOT = Path(__file__).resolve().parent.parent


def count(app, column):
    with app.app_context():
        return db.session.scalar(select(func.count(column)))


def test_seed_demo_loads_five_articles_once(app, runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "5 article(s) added" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "0 article(s) added, 5 already there" in second.output
    assert count(app, Post.id) == 5 + len(DEMO_PAGES) and count(app, User.id) == 1
    with app.app_context():
        tag_slugs = db.session.scalars(select(Tag.slug)).all()
    assert len(tag_slugs) == len(set(tag_slugs))

    home = client.get("/").get_data(as_text=True)
    for post in DEMO_POSTS:
        assert client.get(f"/posts/{post['slug']}").status_code == 200
    assert "The IOM: Navigating Migration Challenges with Compassion and Expertise" in home
    mission = client.get("/posts/mission-and-goals").get_data(as_text=True)
    assert "<h2>History and Structure</h2>" in mission and "<ul>" in mission


def test_the_indonesian_demo_has_its_article_and_its_about_page_in_indonesian(make_app):
    app = make_app(SITE_LANGUAGE="id")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "6 article(s) added" in result.output
    home = app.test_client().get("/").get_data(as_text=True)
    assert "IOM di Indonesia: Menemani Orang yang Berpindah" in home
    # The header's page link reads in the site's language, and the English About page is not loaded.
    assert '<a href="/tentang">Tentang</a>' in home and ">About<" not in home


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
    result = runner.invoke(
        args=["create-author", "Grace@Example.com", "--name", "Grace", "--admin", "--password", "a long passphrase"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin Grace <Grace@example.com>" in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == "admin" and user.check_password("a long passphrase")
        assert user.password_hash.startswith("scrypt:")


def test_create_author_prompts_twice_for_a_hidden_password(app, runner):
    result = runner.invoke(
        args=["create-author", "lin@example.com", "--name", "Lin"], input="s3cret pass\ns3cret pass\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output and "Repeat for confirmation: " in result.output
    assert "s3cret" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == "author" and user.check_password("s3cret pass")


def test_create_author_refuses_bad_and_duplicate_emails(app, runner):
    bad = runner.invoke(args=["create-author", "not-an-email", "--name", "X", "--password", "pw"])
    assert bad.exit_code == 1 and "not a valid email address" in bad.output
    runner.invoke(args=["create-author", "sam@example.com", "--name", "Sam", "--password", "a passphrase"])
    duplicate = runner.invoke(args=["create-author", "SAM@example.com", "--name", "Sam", "--password", "a passphrase"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    assert count(app, User.id) == 1


def test_migrations_build_the_schema_the_models_describe(empty_database):
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    check = flask_cli(empty_database, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    downgrade = flask_cli(empty_database, "db", "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr


def test_no_migration_imports_application_code():
    """A migration must still run after the code it was written against has changed."""
    for script in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] != "blog", f"{script.name} imports {name}"


def test_the_search_index_migration_indexes_posts_that_were_already_there(empty_database):
    assert flask_cli(empty_database, "db", "upgrade", "e38b4e3d5f83").returncode == 0
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, session_token, created_at) "
                "VALUES (1, 'old@example.com', 'Old Timer', 'x', 'author', true, 'tok', '2024-01-01 00:00:00+00')"
            )
        )
        for n, (title, html) in enumerate(
            [
                ("Crossing borders", "<p>Stories of <em>migration</em> and café</p>"),
                ("Garden notes", "<p>Tomatoes and beans</p>"),
            ],
            start=1,
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                    "published_at, created_at, updated_at, author_id, comments_open) VALUES (:id, :title, :slug, "
                    "'x', :html, '', 1, false, '2024-01-02 00:00:00+00', '2024-01-02 00:00:00+00', "
                    "'2024-01-02 00:00:00+00', 1, true)"
                ),
                {"id": n, "title": title, "slug": f"post-{n}", "html": html},
            )
        conn.execute(sa.text("INSERT INTO tags (id, name, slug) VALUES (1, 'Seasons', 'seasons')"))
        conn.execute(sa.text("INSERT INTO post_tags (post_id, tag_id) VALUES (2, 1)"))
    engine.dispose()
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    from blog import create_app

    from .conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    client = app.test_client()
    # The stemmed index needs the app's code, which migrations never import: until the reindex the README's
    # upgrade steps run, search says so instead of answering from the old index.
    page = client.get("/search", query_string={"q": "migration"}).get_data(as_text=True)
    assert "The search index is being rebuilt" in page and "Crossing borders</a></h2>" not in page
    with app.app_context():
        db.engine.dispose()
    reindex = flask_cli(empty_database, "search", "reindex", "--if-stale")
    assert reindex.returncode == 0 and "Indexed 2 post(s)." in reindex.stdout, reindex.stderr
    for query, title in (("migrations", "Crossing borders"), ("cafe", "Crossing borders"), ("seasons", "Garden notes")):
        page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert f"{title}</a></h2>" in page, query
    assert "Did you mean" in client.get("/search", query_string={"q": "migratoin"}).get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_mismatched_password_prompts_are_asked_again(app, runner):
    result = runner.invoke(
        args=["create-author", "kim@example.com", "--name", "Kim"], input="one\ntwo\nsame pass\nsame pass\n"
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    with app.app_context():
        assert db.session.scalar(select(User)).check_password("same pass")


OLD_HEAD = "66a1b5616c5d"  # the revision before ids were made never to be reused on SQLite


def row_ids(engine) -> dict[str, list]:
    """Every table's rows by id (or by primary key, or all columns where there is none), search index tables
    included: a column a later migration adds changes no row's key."""
    found = {}
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            columns = [c["name"] for c in sa.inspect(conn).get_columns(table)]
            columns = sa.inspect(conn).get_pk_constraint(table)["constrained_columns"] or columns
            key = "id" if "id" in columns else ", ".join(f'"{c}"' for c in columns)
            found[table] = [tuple(row) for row in conn.execute(sa.text(f'SELECT {key} FROM "{table}" ORDER BY 1'))]
    return found


def fill_blog(app) -> None:
    """A blog with a bit of everything, written by the app itself (so the search index is filled too)."""
    from blog.comments.services import create_comment
    from blog.contact.services import store_message

    from .conftest import Content

    content = Content(app)
    content.author("rita@example.com", "Rita Admin", role="admin")
    post_ids = [
        content.post(f"Lighthouse walk {n}", f"Gulls over the harbour, part {n}.", tags=["Coast", f"T{n}"])
        for n in range(3)
    ]
    with app.test_request_context():
        from blog.models import Comment, Post, Redirect

        for post_id in post_ids:
            post = db.session.get(Post, post_id)
            parent = None
            for n in range(3):
                parent = create_comment(
                    post,
                    parent,
                    name=f"Reader {n}",
                    email=f"r{n}@example.com",
                    body=f"Comment {n} on {post.title}.",
                    client_address="192.0.2.1",
                    honeypot=False,
                )
                db.session.flush()
        db.session.add(Redirect(old_path="/old/lighthouse", post_id=post_ids[0]))
        for n in range(2):
            store_message(
                name=f"Vera {n}", email=f"vera{n}@example.com", message=f"Hello number {n}.", client_address="192.0.2.2"
            )
        db.session.commit()
        # A hole in the ids, as on a real blog: the comment in the middle of the second thread is gone.
        middle = db.session.scalars(select(Comment).where(Comment.post_id == post_ids[1], Comment.depth == 3))
        for comment in middle:
            db.session.delete(comment)
        db.session.commit()


def columns_added_later(engine) -> list[tuple[str, str]]:
    """(table, column) the models have but this older schema lacks: later migrations add them."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        present = set(inspector.get_table_names())
        return [
            (table.name, column.name)
            for table in db.metadata.sorted_tables
            if table.name in present
            for column in table.columns
            if column.name not in {c["name"] for c in inspector.get_columns(table.name)}
        ]


def with_later_columns(engine, fill) -> None:
    """Run today's code (`fill`) on an older schema: the columns added since exist, empty, only while it runs."""
    added = columns_added_later(engine)
    with engine.begin() as conn:
        for table, column in added:
            kind = db.metadata.tables[table].columns[column].type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}'))
    fill()
    with engine.begin() as conn:
        for table, column in added:
            conn.execute(sa.text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))


def test_the_ids_migration_keeps_every_row_and_id_and_ids_are_never_reused(empty_database):
    from blog import create_app
    from blog.models import Comment, ContactMessage, Post

    assert flask_cli(empty_database, "db", "upgrade", OLD_HEAD).returncode == 0
    settings = {
        "TESTING": True,
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": empty_database,
        "COMMENT_MODERATION": "none",
    }
    app = create_app(settings)
    engine = sa.create_engine(empty_database)

    def fill():
        fill_blog(app)
        with app.app_context():
            db.engine.dispose()

    with_later_columns(engine, fill)
    before = row_ids(engine)
    assert len(before["posts"]) == 3 and len(before["comments"]) == 8 and len(before["contact_messages"]) == 2
    assert before["outbox"] and before["post_tags"] and before["redirects"] and before["users"]

    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    after = row_ids(engine)
    # Every row and id of every table that was there (later migrations may add tables of their own).
    assert {t: rows for t, rows in after.items() if t in before and t != "alembic_version"} == {
        t: rows for t, rows in before.items() if t != "alembic_version"
    }
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    engine.dispose()
    assert flask_cli(empty_database, "search", "reindex", "--if-stale").returncode == 0  # the README's next step

    app = create_app(settings)
    client = app.test_client()
    assert "Lighthouse walk 2" in client.get("/search?q=harbour").get_data(as_text=True)  # the index follows
    assert "Comment 2 on Lighthouse walk 0." in client.get("/posts/lighthouse-walk-0").get_data(as_text=True)
    assert "Lighthouse walk 1" in client.get("/").get_data(as_text=True)  # old posts are listed posts, not pages
    with app.app_context():  # the highest id of each table deleted, then a new row: it gets a new id
        for model, make in [
            (
                Comment,
                lambda: Comment(
                    post_id=before["posts"][0][0],
                    name="New",
                    email="new@example.com",
                    body="New.",
                    body_html="<p>New.</p>",
                    status=Comment.APPROVED,
                ),
            ),
            (ContactMessage, lambda: ContactMessage(email="new@example.com", message="New.")),
        ]:
            highest = db.session.scalar(select(func.max(model.id)))
            db.session.delete(db.session.get(model, highest))
            db.session.commit()
            fresh = make()
            db.session.add(fresh)
            db.session.commit()
            assert fresh.id > highest, model.__name__
        newest_post = db.session.scalar(select(func.max(Post.id)))
        db.session.delete(db.session.get(Post, newest_post))
        db.session.commit()
    from .conftest import Content

    assert Content(app).post("Another walk", author_id=1) > newest_post
    with app.app_context():
        db.engine.dispose()

    engine = sa.create_engine(empty_database)
    before = row_ids(engine)
    downgrade = flask_cli(empty_database, "db", "downgrade", OLD_HEAD)
    assert downgrade.returncode == 0, downgrade.stderr
    after = row_ids(engine)
    assert {t: rows for t, rows in after.items() if t != "alembic_version"} == {
        t: rows for t, rows in before.items() if t in after and t != "alembic_version"
    }


def test_per_device_sessions_migration_keeps_every_author_post_and_comment(empty_database):
    """users.session_token is dropped by copying the users table on SQLite: nothing written may go with it."""
    assert flask_cli(empty_database, "db", "upgrade", "7ff56a6132ec").returncode == 0
    engine = sa.create_engine(empty_database)
    now = "2026-11-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, session_token, created_at) VALUES "
                "(1, 'ada@example.com', 'Ada', 'scrypt:x', 'author', true, 'token-one', :now), "
                "(2, 'rita@example.com', 'Rita', 'scrypt:y', 'admin', false, 'token-two', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, created_at, "
                "updated_at, author_id, comments_open) VALUES (1, 'Kept', 'kept', 'Body', '<p>Body</p>', 'Body', 1, "
                "false, :now, :now, 1, true), (2, 'Draft', 'draft', 'B', '<p>B</p>', 'B', 1, true, :now, :now, 2, true)"
            ),
            {"now": now},
        )
        conn.execute(sa.text("INSERT INTO post_tags (post_id, tag_id) SELECT 1, id FROM tags"))
        conn.execute(
            sa.text(
                "INSERT INTO comments (id, post_id, depth, name, email, body, body_html, status, created_at, "
                "updated_at)"
                " VALUES (1, 1, 1, 'Vera', 'vera@example.com', 'Nice', '<p>Nice</p>', 'approved', :now, :now)"
            ),
            {"now": now},
        )
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        users = conn.execute(sa.text("SELECT id, email, name, role, active FROM users ORDER BY id")).all()
        assert [tuple(row) for row in users] == [
            (1, "ada@example.com", "Ada", "author", True),
            (2, "rita@example.com", "Rita", "admin", False),
        ]
        assert conn.execute(sa.text("SELECT id, author_id, title FROM posts ORDER BY id")).all() == [
            (1, 1, "Kept"),
            (2, 2, "Draft"),
        ]
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
