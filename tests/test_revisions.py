"""Revisions, autosave, restore: nothing an author writes is lost, and the live post changes only on save."""
# The editor's fixtures (writer, team) and the migration's (empty_database) are imported, then named as arguments.

import html
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Post, PostRevision

from .conftest import Content
from .helpers import (
    count_queries,
    csrf_token_of,
    flask_cli,
    log_in,
    saved_id,
    stored_post,
    text,
    user_id_of,
    write,
)

BANNER = "You have unsaved changes from"


def stored_revisions(app, post_id) -> list[dict]:
    """The post's revisions, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post_id)
            .order_by(PostRevision.created_at, PostRevision.id)
        )
        return [
            {
                "kind": r.kind,
                "title": r.title,
                "body": r.body,
                "excerpt": r.excerpt,
                "tags": r.tags,
                "author_id": r.author_id,
                "created_at": r.created_at,
            }
            for r in rows
        ]


def autosave(client, post_id=None, **fields):
    url = f"/admin/posts/{post_id}/autosave" if post_id else "/admin/posts/autosave"
    return client.post(url, data=fields)


def field_value(page: str, name: str) -> str:
    """What the editor's field holds, as the browser would show it."""
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    if found is None:
        found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def restore_button_urls(page: str) -> list[str]:
    return re.findall(r'action="(/admin/posts/\d+/revisions/\d+/restore)"', page)


# --- a revision on every save -------------------------------------------------------------------------------


def test_save_draft_publish_and_update_each_store_a_revision(app, writer):
    post_id = saved_id(write(writer, title="First Draft", body="One.", tags="Travel"))
    write(writer, title="Second Draft", body="One. Two.", tags="Food, Travel", button="publish", post_id=post_id)
    write(writer, title="Third", body="One. Two. Three.", excerpt="Short.", button="update", post_id=post_id)

    rows = stored_revisions(app, post_id)
    assert [(r["kind"], r["title"], r["body"], r["tags"]) for r in rows] == [
        ("saved", "First Draft", "One.", "Travel"),
        ("saved", "Second Draft", "One. Two.", "Food, Travel"),
        ("saved", "Third", "One. Two. Three.", ""),
    ]
    assert rows[0]["excerpt"] == "One." and rows[2]["excerpt"] == "Short."
    assert {r["author_id"] for r in rows} == {user_id_of(app)}
    assert rows[0]["created_at"] < rows[1]["created_at"] < rows[2]["created_at"]
    assert "Revisions (3)" in text(writer.get(f"/admin/posts/{post_id}/edit"))


def test_a_preview_and_a_refused_save_store_no_revision(app, writer):
    post_id = saved_id(write(writer, title="Kept"))
    write(writer, title="Only Previewed", button="preview", post_id=post_id)
    write(writer, title="", button="save_draft", post_id=post_id)
    assert [r["title"] for r in stored_revisions(app, post_id)] == ["Kept"]


# --- the revisions page and "Restore this revision" ---------------------------------------------------------


def test_revisions_page_lists_each_revision_with_an_escaped_diff_against_the_current_text(app, writer):
    post_id = saved_id(write(writer, title="Harbour Notes", body="Boats at dawn.\n\n<script>alert(1)</script>"))
    write(writer, title="Harbour Notes", body="Boats at dawn.\n\nGulls at noon.", post_id=post_id)

    page = text(writer.get(f"/admin/posts/{post_id}/revisions"))
    assert "Revisions of “Harbour Notes”" in page
    assert page.count("&middot; Ada Writer") == 2 and page.count("Restore this revision") == 2
    assert page.count(">Saved</span>") == 2
    assert "Same as the current text." in page  # the newest is the current text
    assert "<del>− Gulls at noon.</del>" in page
    assert "<ins>+ &lt;script&gt;alert(1)&lt;/script&gt;</ins>" in page
    assert "<script>alert" not in page


def test_restore_this_revision_brings_the_old_text_back_keeps_the_status_and_records_it(app, writer):
    post_id = saved_id(write(writer, title="Market Day", body="Figs and bread.", tags="Food", button="publish"))
    write(writer, title="Market Day, Revised", body="Only bread.", tags="Bread", button="update", post_id=post_id)
    page = text(writer.get(f"/admin/posts/{post_id}/revisions"))
    oldest = restore_button_urls(page)[-1]

    response = writer.post(oldest)
    assert response.headers["Location"] == f"/admin/posts/{post_id}/edit"
    assert "Restored the revision from" in text(writer.get(response.headers["Location"]))
    post = stored_post(app, post_id)
    assert (post["title"], post["body"], post["tags"], post["status"]) == (
        "Market Day",
        "Figs and bread.",
        {"Food"},
        "published",
    )
    assert "Figs and bread." in text(writer.get(f"/posts/{post['slug']}"))
    rows = stored_revisions(app, post_id)
    assert [(r["kind"], r["title"]) for r in rows] == [
        ("saved", "Market Day"),
        ("saved", "Market Day, Revised"),
        ("restored", "Market Day"),
    ]


def test_revisions_are_the_owners_and_admins_only(app, team, content):
    ids, clients = team
    post_id = saved_id(write(clients["ada"], title="Ada Post"))
    restore = restore_button_urls(text(clients["ada"].get(f"/admin/posts/{post_id}/revisions")))[0]
    other = content.post("Someone Else", author_id=content.author(email="bo@example.com", name="Bo"))

    assert clients["ada"].get(f"/admin/posts/{other}/revisions").status_code == 403
    assert clients["ada"].post(f"/admin/posts/{other}/autosave", data={"title": "Mine now"}).status_code == 403
    wrong_post = restore.replace(f"/posts/{post_id}/", f"/posts/{other}/")
    assert clients["rita"].post(wrong_post).status_code == 404
    assert "Ada Post" in text(clients["rita"].get(f"/admin/posts/{post_id}/revisions"))
    anonymous = app.test_client().get(f"/admin/posts/{post_id}/revisions")
    assert anonymous.headers["Location"].startswith("/login?next=")


def test_editor_and_revisions_page_run_a_fixed_number_of_queries(app, writer):
    counts = {}
    for saves in (1, 6):
        post_id = saved_id(write(writer, title=f"Saved {saves} times", tags="A, B"))
        for n in range(saves - 1):
            write(writer, title=f"Saved {saves} times", body=f"Take {n}.", tags="A, B", post_id=post_id)
        autosave(writer, post_id, title="Unsaved", body="Typing...")
        for url in (f"/admin/posts/{post_id}/edit", f"/admin/posts/{post_id}/revisions"):
            with count_queries(app) as statements:
                assert writer.get(url).status_code == 200
            counts[(saves, url.rsplit("/", 1)[1])] = len(statements)
    assert counts[(1, "edit")] == counts[(6, "edit")]
    assert counts[(1, "revisions")] == counts[(6, "revisions")]


# --- autosave ----------------------------------------------------------------------------------------------


def test_autosave_keeps_unsaved_text_without_touching_the_live_post(app, writer):
    post_id = saved_id(write(writer, title="Lighthouse", body="The lamp turns.", button="publish"))
    response = autosave(writer, post_id, title="Lighthouse at Night", body="The lamp turns. Ships pass.", tags="Sea")
    assert response.status_code == 200
    assert response.json["post_id"] == post_id and response.json["edit_url"] == f"/admin/posts/{post_id}/edit"
    autosave(writer, post_id, title="Lighthouse at Night", body="The lamp turns. Ships pass. Fog.", tags="Sea")

    post = stored_post(app, post_id)
    assert (post["title"], post["body"], post["status"]) == ("Lighthouse", "The lamp turns.", "published")
    assert "Ships pass" not in text(writer.get(f"/posts/{post['slug']}"))
    autosaves = [r for r in stored_revisions(app, post_id) if r["kind"] == "autosave"]
    assert [r["body"] for r in autosaves] == ["The lamp turns. Ships pass. Fog."]  # one, rewritten in place

    editor = text(writer.get(f"/admin/posts/{post_id}/edit"))
    assert BANNER in editor and ">Restore</button>" in editor and ">Discard</button>" in editor
    assert field_value(editor, "body") == "The lamp turns."  # the live text until the author restores

    restored = text(writer.post(f"/admin/posts/{post_id}/autosave/restore"))
    assert field_value(restored, "title") == "Lighthouse at Night"
    assert field_value(restored, "body") == "The lamp turns. Ships pass. Fog."
    assert field_value(restored, "tags") == "Sea"
    assert f'action="/admin/posts/{post_id}/edit"' in restored
    assert stored_post(app, post_id)["body"] == "The lamp turns."  # still not live

    write(
        writer,
        title="Lighthouse at Night",
        body="The lamp turns. Ships pass. Fog.",
        tags="Sea",
        button="update",
        post_id=post_id,
    )
    assert stored_post(app, post_id)["body"] == "The lamp turns. Ships pass. Fog."
    assert BANNER not in text(writer.get(f"/admin/posts/{post_id}/edit"))


def test_discard_deletes_the_autosave_and_the_banner(app, writer):
    post_id = saved_id(write(writer, title="Tide Tables"))
    autosave(writer, post_id, title="Tide Tables", body="High water at six.")
    assert BANNER in text(writer.get(f"/admin/posts/{post_id}/edit"))

    response = writer.post(f"/admin/posts/{post_id}/autosave/discard")
    assert response.headers["Location"] == f"/admin/posts/{post_id}/edit"
    editor = text(writer.get(response.headers["Location"]))
    assert "Discarded the unsaved changes." in editor and BANNER not in editor
    assert [r["kind"] for r in stored_revisions(app, post_id)] == ["saved"]
    assert "There are no unsaved changes to restore." in text(
        writer.post(f"/admin/posts/{post_id}/autosave/restore", follow_redirects=True)
    )


def test_first_autosave_of_a_new_post_creates_one_draft_that_later_saves_reuse(app, writer):
    first = autosave(writer, title="Half Written", body="So far, so", tags="Drafts")
    assert first.status_code == 200
    post_id = first.json["post_id"]
    assert first.json["edit_url"] == f"/admin/posts/{post_id}/edit"
    assert first.json["autosave_url"] == f"/admin/posts/{post_id}/autosave"
    autosave(writer, post_id, title="Half Written", body="So far, so good.", tags="Drafts")

    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 1
    post = stored_post(app, post_id)
    assert (post["title"], post["body"], post["status"], post["tags"]) == (
        "Half Written",
        "So far, so",
        "draft",
        {"Drafts"},
    )
    listing = text(writer.get("/admin/posts"))
    assert "Half Written" in listing and "status-draft" in listing
    editor = text(writer.get(f"/admin/posts/{post_id}/edit"))
    assert BANNER in editor
    assert field_value(text(writer.post(f"/admin/posts/{post_id}/autosave/restore")), "body") == "So far, so good."
    assert writer.get("/posts/half-written").status_code == 404  # a draft: readers don't see it

    # Its address comes from the title it has when it is saved, not the half-typed one the autosave saw.
    write(
        writer, title="Fully Written", body="So far, so good.", slug="half-written", button="publish", post_id=post_id
    )  # the editor, opened again, shows the draft's slug
    assert stored_post(app, post_id)["slug"] == "fully-written"
    write(writer, title="Fully Written, Renamed", body="So far, so good.", button="update", post_id=post_id)
    assert stored_post(app, post_id)["slug"] == "fully-written"  # a saved post keeps its address


def test_autosave_without_a_title_yet_keeps_the_body(app, writer):
    response = autosave(writer, title="", body="A first line before any title.")
    post = stored_post(app, response.json["post_id"])
    assert (post["title"], post["body"], post["status"]) == ("Untitled", "A first line before any title.", "draft")


def test_autosave_refuses_empty_and_control_characters_with_json_errors(app, writer):
    empty = autosave(writer, title="", body="  ")
    assert empty.status_code == 400 and empty.json["errors"]["body"] == ["Nothing to save yet."]
    nul = autosave(writer, title="Fine", body="bad \x00 byte")
    assert nul.status_code == 400 and nul.json["errors"]["body"] == ["Remove the control characters from this field."]
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0


def test_an_admins_autosave_of_an_authors_post_is_the_admins_own(app, team):
    ids, clients = team
    post_id = saved_id(write(clients["ada"], title="Shared Work"))
    autosave(clients["rita"], post_id, title="Shared Work", body="Rita's edits.")
    assert BANNER in text(clients["rita"].get(f"/admin/posts/{post_id}/edit"))
    assert BANNER not in text(clients["ada"].get(f"/admin/posts/{post_id}/edit"))
    autosave_rows = [r for r in stored_revisions(app, post_id) if r["kind"] == "autosave"]
    assert [r["author_id"] for r in autosave_rows] == [ids["rita"]]


def test_with_csrf_on_autosave_needs_the_pages_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    Content(app).author()
    client = app.test_client()
    log_in(client, csrf_token=csrf_token_of(client.get("/login")))
    token = csrf_token_of(client.get("/admin/posts/new"))

    refused = autosave(client, title="No Token", body="Words.")
    assert refused.status_code == 400 and "The CSRF token is missing." in text(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0
    saved = client.post(
        "/admin/posts/autosave", data={"title": "Header Token", "body": "Words."}, headers={"X-CSRFToken": token}
    )
    assert saved.status_code == 200
    editor = client.get(saved.json["edit_url"])
    restored = client.post(
        f"/admin/posts/{saved.json['post_id']}/autosave/discard", data={"csrf_token": csrf_token_of(editor)}
    )
    assert restored.headers["Location"] == saved.json["edit_url"]


# --- keeping the newest REVISIONS_KEEP ----------------------------------------------------------------------


def test_only_the_newest_revisions_are_kept_autosaves_first_to_go(make_app):
    app = make_app(REVISIONS_KEEP=3)
    Content(app).author()
    client = app.test_client()
    log_in(client)
    post_id = saved_id(write(client, title="Take 1"))
    autosave(client, post_id, title="Typing", body="Unsaved words.")
    write(client, title="Take 2", post_id=post_id)
    assert [r["title"] for r in stored_revisions(app, post_id)] == ["Take 1", "Typing", "Take 2"]

    write(client, title="Take 3", post_id=post_id)  # over the limit: the autosave goes, not "Take 1"
    assert [r["title"] for r in stored_revisions(app, post_id)] == ["Take 1", "Take 2", "Take 3"]
    autosave(client, post_id, title="Typing again", body="More.")  # the newest is never the one pruned
    assert [r["title"] for r in stored_revisions(app, post_id)] == ["Take 2", "Take 3", "Typing again"]
    for n in (4, 5):
        write(client, title=f"Take {n}", post_id=post_id)
    assert [r["title"] for r in stored_revisions(app, post_id)] == ["Take 3", "Take 4", "Take 5"]


def test_deleting_a_post_deletes_its_revisions(app, writer):
    post_id = saved_id(write(writer, title="Short Lived"))
    autosave(writer, post_id, title="Short Lived", body="Gone soon.")
    writer.post(f"/admin/posts/{post_id}/delete")
    with app.app_context():
        assert db.session.scalar(select(func.count(PostRevision.id))) == 0


# --- the migration on a database with posts in it ------------------------------------------------------------


def test_the_migration_gives_every_existing_post_a_first_revision_and_loses_nothing(empty_database):
    assert flask_cli(empty_database, "db", "upgrade", "7ff56a6132ec").returncode == 0
    engine = sa.create_engine(empty_database)
    zone = "" if engine.dialect.name == "sqlite" else "+00"  # as each database stores an aware time

    def at(day, hour):
        return f"'2026-01-0{day} {hour}:00:00{zone}'"

    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, active, session_token, created_at) VALUES "
                f"(1, 'ada@example.com', 'Ada', 'x', 'author', true, 't1', {at(1, 10)})"
            )
        )
        for n in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO posts (id, title, slug, body, body_html, excerpt, reading_minutes, is_draft, "
                    "published_at, created_at, updated_at, author_id, comments_open) VALUES "
                    f"({n}, 'Post {n}', 'post-{n}', 'Body {n} ✓', '<p>Body {n} ✓</p>', 'Body {n}', 1, false, "
                    f"{at(n, 10)}, {at(n, 10)}, {at(n, 11)}, 1, true)"
                )
            )
        conn.execute(sa.text("INSERT INTO tags (id, name, slug) VALUES (1, 'Travel', 'travel'), (2, 'Food', 'food')"))
        conn.execute(sa.text("INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1), (1, 2)"))

    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT post_id, kind, title, body, excerpt, tags, author_id FROM post_revisions ORDER BY post_id")
        ).all()
        assert [tuple(row) for row in rows] == [
            (1, "saved", "Post 1", "Body 1 ✓", "Body 1", "Food, Travel", 1),
            (2, "saved", "Post 2", "Body 2 ✓", "Body 2", "", 1),
        ]
        assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 2

    downgrade = flask_cli(empty_database, "db", "downgrade", "7ff56a6132ec")
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT title, body FROM posts ORDER BY id")).all() == [
            ("Post 1", "Body 1 ✓"),
            ("Post 2", "Body 2 ✓"),
        ]
    engine.dispose()


def test_autosave_interval_reaches_the_editor_and_settings_below_1_are_refused(make_app, monkeypatch):
    app = make_app(AUTOSAVE_SECONDS=7)
    Content(app).author()
    client = app.test_client()
    log_in(client)
    assert 'data-autosave-seconds="7"' in text(client.get("/admin/posts/new"))
    assert 'src="/static/js/autosave.js" defer' in text(client.get("/admin/posts/new"))
    for name in ("REVISIONS_KEEP", "AUTOSAVE_SECONDS"):
        monkeypatch.setenv(name, "0")
        with pytest.raises(ValueError, match="REVISIONS_KEEP and AUTOSAVE_SECONDS must be at least 1"):
            make_app()
        monkeypatch.delenv(name)
