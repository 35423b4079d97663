"""Helpers shared by the test modules: page text, logging in, form tokens, field errors, query counts, ports,
pictures drawn with Pillow."""

import io
import os
import re
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import event, select

from blog.extensions import db
from blog.models import MediaVariant, Post, User

ROOT = Path(__file__).resolve().parent.parent
AUTHOR_EMAIL = EMAIL = "ada@example.com"
ADMIN_EMAIL = "rita@example.com"
PASSWORD = "correct horse"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
BODY = """Three things I packed:

- a notebook
- a [map of the coast](https://example.com/map)
- **patience**
"""
_PUBLIC_TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def log_in(client, email=EMAIL, password=PASSWORD, next_path=None, **kwargs):
    """POST the login form; remember and csrf_token go in the form, other options (query_string, headers) on."""
    form = {"email": email, "password": password}
    for name in ("remember", "csrf_token"):
        if name in kwargs:
            form[name] = kwargs.pop(name)
    if next_path:
        kwargs["query_string"] = {"next": next_path}
    return client.post("/login", data=form, **kwargs)


def csrf_token_of(response) -> str:
    """The CSRF token of a page behind login (Flask-WTF's csrf_token field)."""
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', text(response)).group(1)


def token_of(response) -> str:
    """The signed token of a public form (comments, contact)."""
    found = _PUBLIC_TOKEN.search(text(response))
    assert found, "no form token on the page"
    return found.group(1)


def field_errors(response) -> dict[str, str]:
    """Each field's error text, by the field's id."""
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', text(response)))


def error_messages(response) -> list[str]:
    """The fields' error texts in page order."""
    return list(field_errors(response).values())


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_for(app, client, url) -> int:
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask_cli(database_url, *args):
    """`flask --app blog ...` in a process of its own, on this database."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blog", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the editor -----------------------------------------------------------------------------------------------


def write(client, title="Packing For The Coast", body=BODY, button="save_draft", post_id=None, **fields):
    """Submit the editor with one of its buttons (save_draft, preview, publish, update, unpublish)."""
    url = f"/admin/posts/{post_id}/edit" if post_id else "/admin/posts/new"
    return client.post(url, data={"title": title, "body": body, button: button.replace("_", " ").title(), **fields})


def saved_id(response) -> int:
    """The post id from the editor's redirect after a save."""
    assert response.status_code == 302, text(response)
    found = re.fullmatch(r"/admin/posts/(\d+)/edit", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def stored_post(app, post_id) -> dict | None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        if post is None:
            return None
        return {
            "title": post.title,
            "slug": post.slug,
            "body": post.body,
            "excerpt": post.excerpt,
            "author_id": post.author_id,
            "is_draft": post.is_draft,
            "published_at": post.published_at,
            "status": post.status,
            "tags": {tag.name for tag in post.tags},
        }


def user_id_of(app, email=EMAIL) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


# --- pictures ---------------------------------------------------------------------------------------------

ALT = "A red square on a blue field"


def picture(fmt="JPEG", size=(1200, 800), mode="RGB", **save_options) -> bytes:
    """A picture drawn with Pillow: left half red, right half blue (so a rotation shows)."""
    image = Image.new(mode, size, "blue" if mode != "L" else 200)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1]), fill="red" if mode != "L" else 50)
    out = io.BytesIO()
    image.save(out, format=fmt, **save_options)
    return out.getvalue()


def noise(size: tuple[int, int]) -> bytes:
    """A PNG that doesn't compress: its file size is about 3 bytes per pixel."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def upload(client, data: bytes, filename="photo.jpg", alt=ALT, decorative=False, **kwargs):
    """POST a picture to the media library as its form does."""
    form = {"image": (io.BytesIO(data), filename), "alt": alt}
    if decorative:
        form["decorative"] = "y"
    return client.post("/admin/media", data=form, content_type="multipart/form-data", **kwargs)


def full_size_name(app) -> str:
    """The name the editor inserts: the largest version in the uploaded format."""
    with app.app_context():
        return db.session.scalar(
            select(MediaVariant.name).where(MediaVariant.format != "WEBP").order_by(MediaVariant.width.desc()).limit(1)
        )


# --- the account page ----------------------------------------------------------------------------------------


def account_form(**changes):
    """The account page's fields as Ada has them, with `changes` on top."""
    return {
        "name": "Ada Writer",
        "email": EMAIL,
        "new_password": "",
        "confirm_password": "",
        "current_password": PASSWORD,
        **changes,
    }


def change_password(client, new_password="a new passphrase"):
    """Ada changes her password on the account page."""
    return client.post("/admin/account", data=account_form(new_password=new_password, confirm_password=new_password))


# --- a blog to export (tests/test_export.py, tests/test_transfer_roundtrip.py) ------------------------------

EXPORT_BODY = "Intro with a CDATA end ]]> inside, and <script>alert(1)</script> that sanitising drops.\n\n## Café\n"


def fill_export_blog(app, now) -> dict:
    """Authors, posts, a page, a scheduled post, a draft, tags, a redirect and a three-deep comment thread
    with approved, pending, spam and deleted comments: what an export must carry. Returns the ids."""
    from datetime import timedelta

    from blog.markdown import render_comment
    from blog.models import Comment, PostKind, Redirect, Role
    from blog.posts.services import tag_named

    with app.app_context():
        ada = User(email=EMAIL, name="Ada Writer", role=Role.AUTHOR)
        ada.set_password(PASSWORD)
        rita = User(email=ADMIN_EMAIL, name="Rita Root", role=Role.ADMIN)
        rita.set_password(PASSWORD)
        db.session.add_all([ada, rita])
        db.session.flush()

        def post(title, slug, *, author=ada, published_at=None, draft=False, kind=PostKind.POST, tags=(), body=None):
            item = Post(
                title=title,
                slug=slug,
                excerpt=f"Excerpt of {title}",
                is_draft=draft,
                published_at=published_at,
                author=author,
                kind=kind,
                tags=[tag_named(name) for name in tags],
                created_at=now - timedelta(days=30),
            )
            item.set_body(body or f"The words of {title}.")
            db.session.add(item)
            db.session.flush()
            return item

        journey = post(
            "Über die Grenze ]]> 旅",
            "uber-die-grenze",
            published_at=now - timedelta(days=3),
            tags=["Travel", "Café"],
            body=EXPORT_BODY,
        )
        about = post("About", "about", author=rita, published_at=now - timedelta(days=10), kind=PostKind.PAGE)
        scheduled = post("Coming soon", "coming-soon", published_at=now + timedelta(days=2), tags=["Travel"])
        draft = post("Half written", "half-written", draft=True)
        closed = post("Closed thread", "closed-thread", author=rita, published_at=now - timedelta(days=5))
        closed.comments_open = False
        db.session.add(Redirect(old_path="/2019/05/uber-die-grenze.html", post_id=journey.id))
        db.session.add(Redirect(old_path="/posts/old-journey", post_id=journey.id))

        def comment(post_id, name, body, status=Comment.APPROVED, parent=None, minutes=0):
            item = Comment(
                post_id=post_id,
                name=name,
                email=f"{name.lower().split()[0]}@example.com",
                body=body,
                body_html=render_comment(body),
                status=status,
                client_address="192.0.2.7",
                created_at=now - timedelta(days=2) + timedelta(minutes=minutes),
            )
            if parent is not None:
                item.parent_id, item.root_id, item.depth = parent.id, parent.thread_root_id, parent.depth + 1
            db.session.add(item)
            db.session.flush()
            return item

        first = comment(journey.id, "Lena Reader", "Lovely trip!")
        reply = comment(journey.id, "Ada Writer", "Thank you, Lena.", parent=first, minutes=5)
        deep = comment(journey.id, "Lena Reader", "Third level.", parent=reply, minutes=10)
        pending = comment(journey.id, "Newcomer", "Held for review.", Comment.PENDING, minutes=15)
        spam = comment(journey.id, "Cheap Pills", "=HYPERLINK(spam)", Comment.SPAM, minutes=20)
        gone = comment(journey.id, "Removed Person", "They deleted this.", Comment.DELETED, minutes=25)
        gone.name, gone.email, gone.body, gone.body_html = "", "", "", ""
        orphan = comment(journey.id, "Max Answer", "Reply under a deleted one.", parent=gone, minutes=30)
        on_draft = comment(draft.id, "Early Bird", "A comment on a draft.", minutes=35)
        db.session.commit()
        return {
            "journey": journey.id,
            "about": about.id,
            "scheduled": scheduled.id,
            "draft": draft.id,
            "closed": closed.id,
            "first": first.id,
            "reply": reply.id,
            "deep": deep.id,
            "pending": pending.id,
            "spam": spam.id,
            "gone": gone.id,
            "orphan": orphan.id,
            "on_draft": on_draft.id,
            "ada": ada.id,
            "rita": rita.id,
        }


# Ada's byline on articles and listing cards: her name links to her author page.
BYLINE = 'By <a href="/authors/ada-writer" rel="author">Ada Writer</a>'


# --- delivered mail ------------------------------------------------------------------------------------------


def plain_text(message) -> str:
    """The plain-text part of a delivered mail (every mail the app makes also has an HTML part)."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_text(message) -> str:
    return message.get_body(("html",)).get_content()
