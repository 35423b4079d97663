"""The interface in Indonesian: catalogues complete and up to date with the sources, and no English UI word
left on any page type, the JavaScript's strings and a mail included."""

import json
import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import Email, Length

from blog import create_app
from blog.extensions import db
from blog.i18n import TRANSLATIONS, catalogues, untranslated
from blog.models import OutboxMail, Post, User

from .conftest import BASE_CONFIG
from .helpers import ROOT, csrf_token_of, log_in, text, token_of

POT = TRANSLATIONS / "messages.pot"
FIX = (
    "run `make translations`, translate every empty msgstr in blog/translations/<language>/LC_MESSAGES/"
    "messages.po (README, Translations), run `make translations` again and commit the .pot, .po and .mo files"
)
# The same extraction as `make translations` (Makefile); Babel skips folders starting with "_" by default.
EXTRACT = ["-k", "_l", "-k", "lazy_gettext", "-k", "plural_message:1,2", "--no-location"]
EXTRACT += ["--ignore-dirs=.* __pycache__"]


def msgids(path: Path) -> set[str]:
    with path.open("rb") as file:
        catalog = read_po(file)
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def test_the_template_holds_exactly_the_strings_in_the_sources(tmp_path, monkeypatch):
    makefile = (ROOT / "Makefile").read_text()
    assert " ".join(EXTRACT[:-1]) in makefile and '--ignore-dirs=".* __pycache__"' in makefile, "EXTRACT != Makefile"
    fresh = tmp_path / "messages.pot"
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(["pybabel", "-q", "extract", *EXTRACT, "-F", "babel.cfg", "-o", str(fresh), "."])
    new, gone = msgids(fresh) - msgids(POT), msgids(POT) - msgids(fresh)
    assert not new and not gone, f"new strings {sorted(new)}, strings no longer used {sorted(gone)}: {FIX}"


def test_every_catalogue_is_complete_and_compiled():
    languages = catalogues()
    assert "id" in languages
    for po in languages.values():
        assert msgids(po) == msgids(POT), f"{po} is behind messages.pot: {FIX}"
        left = untranslated(po)
        assert not left, f"{po}: {len(left)} entries untranslated or fuzzy, e.g. {left[:5]}: {FIX}"
        with po.open("rb") as file:
            catalog = read_po(file)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        assert (po.parent / "messages.mo").read_bytes() == compiled.getvalue(), (
            f"{po.parent}/messages.mo is stale: {FIX}"
        )
    with languages["id"].open("rb") as file:
        assert read_po(file).plural_forms == "nplurals=1; plural=0;"


def test_the_compiled_catalogue_reads_back():
    with (TRANSLATIONS / "id/LC_MESSAGES/messages.mo").open("rb") as file:
        catalog = read_mo(file)
    assert catalog["Search this blog"].string == "Cari Blog Ini"


def test_wtforms_own_messages_are_in_the_site_language(tmp_path):
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/unused.sqlite3", "SITE_LANGUAGE": "id"}
    )

    class Form(FlaskForm):
        name = StringField(validators=[Length(max=3)])
        email = StringField(validators=[Email()])

    with app.test_request_context(method="POST", data={"name": "Siti", "email": "bukan"}):
        form = Form(meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors == ["Isian tidak boleh lebih dari 3 karakter."]
        assert form.email.errors == ["Alamat email tidak valid."]


# --- no English left on a page ------------------------------------------------------------------------------

# Words written the same in Indonesian, or names that are not translated.
SAME_IN_BOTH = {"email", "blog", "admin", "spam", "markdown", "slug", "status", "media", "bio", "online", "valid"}
SAME_IN_BOTH |= {"data", "format", "folder", "editor", "digit", "feed", "qr", "csv", "token"}
SAME_IN_BOTH |= {
    "menu",
    "atom",
    "per",
    "logo",
    "favicon",
}  # "Menu" and "per" are Indonesian words too; Atom names a format
NAMES = ["Google Authenticator", "1Password", "Aegis", "WordPress", "WXR", "JPEG", "PNG", "WebP", "GIF", "SVG", "XML"]
NAMES += ["HTML", "Ctrl"]
WORD = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*")
# What the pages quote rather than say: addresses, paths, placeholders and the code in <code>.
NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|(?<!\w)/\S*|%\(\w+\)[sd]|flask --app blog \w+( [A-Z]+)?")


def english_words() -> set[str]:
    words = set()
    with POT.open("rb") as file:
        for message in read_po(file):
            for msgid in (message.id,) if isinstance(message.id, str) else message.id:
                msgid = re.sub(r"<[^>]+>|`[^`]*`|\([A-Z_]+ and the others\)", " ", msgid)
                words |= {word.lower() for word in WORD.findall(NOT_WORDS.sub(" ", msgid)) if len(word) > 1}
    return words - SAME_IN_BOTH


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes (not scripts, styles or code), alt, title, aria-label,
    placeholder and the words on buttons."""

    SKIP = {"script", "style", "code", "pre"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("alt", "title", "aria-label", "placeholder"):
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])
        if tag in self.SKIP:
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def english_left(visible: str, english: set[str]) -> set[str]:
    for name in NAMES:
        visible = visible.replace(name, " ")
    return {word for word in WORD.findall(NOT_WORDS.sub(" ", visible)) if word.lower() in english}


def page_english(html: str, english: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return english_left(" ".join(parser.parts), english)


def js_english(html: str, english: set[str]) -> set[str]:
    """The strings served to blog/static/js (the page's i18n block)."""
    found = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', html, re.S)
    assert found, "no i18n block for the page's script"
    strings = json.loads(found.group(1))
    return english_left(" ".join(" ".join(s) if isinstance(s, list) else s for s in strings.values()), english)


# Every user text below is Indonesian, so anything English on a page is the interface's.
ARTICLE = """Perjalanan migrasi dari desa ke kota.

- sebuah buku catatan
- [peta pantai](https://example.com/peta)
"""


@pytest.fixture
def indonesian(make_app):
    app = make_app(
        SITE_LANGUAGE="id",
        SITE_NAME="Catatan Lapangan",
        SITE_TAGLINE=None,
        COMMENT_MODERATION="first-time",
        COMMENT_MIN_SECONDS=0,
        CONTACT_MIN_SECONDS=0,
        CONTACT_RECIPIENT="pemilik@example.com",
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        siti = User(email="siti@example.com", name="Siti Rahma", role="admin")
        siti.set_password("kuda benar sekali")
        budi = User(email="budi@example.com", name="Budi Santoso", role="author")
        budi.set_password("kuda benar sekali")
        db.session.add_all([siti, budi])
        db.session.commit()
    return app


def test_every_page_type_in_indonesian_has_no_english_ui_word(indonesian):
    app, english = indonesian, english_words()
    pages: dict[str, str] = {}
    reader = app.test_client()

    # An author writes a post through the dashboard, so the editor's and the flash's words are seen too.
    desk = app.test_client()
    log_in(desk, "siti@example.com", "kuda benar sekali", csrf_token=csrf_token_of(desk.get("/login")))
    editor = desk.get("/admin/posts/new")
    pages["editor (new)"] = text(editor)
    saved = desk.post(
        "/admin/posts/new",
        data={
            "csrf_token": csrf_token_of(editor),
            "title": "Kabar dari Pelabuhan",
            "body": ARTICLE,
            "tags": "Migrasi, Laut",
            "kind": "post",
            "publish": "y",
        },
    )
    assert saved.status_code == 302, text(saved)
    with app.app_context():
        post = db.session.scalar(select(Post))
        post_id, slug, month = post.id, post.slug, post.published_at.strftime("%Y/%m")
        budi_id = db.session.scalar(select(User.id).where(User.email == "budi@example.com"))
    pages["dashboard after a flash"] = text(desk.get("/admin/"))
    # The counts are whole translated phrases, the number where Indonesian puts it.
    assert '<span class="attention-count">0</span> draf</span>' in pages["dashboard after a flash"]
    assert "<strong>0</strong> halaman</a>" in pages["dashboard after a flash"]

    # A reader comments (held: first time), the admin approves it, another reader's waits in the queue.
    for name, email, body in [
        ("Wati", "wati@example.com", "Terima kasih, tulisannya bagus."),
        ("Agus", "agus@example.com", "Setuju sekali."),
    ]:
        page = reader.get(f"/posts/{slug}")
        sent = reader.post(
            f"/posts/{slug}/comments",
            data={"token": token_of(page), "parent_id": "", "website": "", "name": name, "email": email, "body": body},
        )
        assert sent.status_code == 302, text(sent)
    queue = desk.get("/admin/comments")
    pages["comment queue"] = text(queue)
    first = re.search(r'name="ids" value="(\d+)"', text(queue)).group(1)
    desk.post(f"/admin/comments/{first}/approve", data={"csrf_token": csrf_token_of(queue)})

    contact = reader.get("/contact")
    pages["contact with errors"] = text(
        reader.post("/contact", data={"token": token_of(contact), "email": "bukan-email"})
    )
    # The labels read "Nama", "Email *", "Pesan *" (the mark is on required fields).
    labels = [
        re.sub(r"<[^>]+>", "", label)
        for label in re.findall(r'<label for="(?:name|email|message)">(.*?)</label>', pages["contact with errors"])
    ]
    assert labels == ["Nama", "Email *", "Pesan *"], labels
    sent = reader.post(
        "/contact",
        data={
            "token": token_of(contact),
            "name": "Wati",
            "email": "wati@example.com",
            "message": "Halo, apa kabar? Salam dari Bandung.",
        },
    )
    pages["contact thanks"] = text(reader.get(sent.headers["Location"]))

    stranger = app.test_client()
    login = stranger.get("/login")
    pages.update(
        {
            "home": text(reader.get("/")),
            "article with comments": text(reader.get(f"/posts/{slug}")),
            "archive": text(reader.get("/posts/")),
            "tag": text(reader.get("/tags/migrasi")),
            "month": text(reader.get(f"/archive/{month}")),
            "author": text(reader.get("/authors/siti-rahma")),
            "search with results": text(reader.get("/search?q=pelabuhan")),
            "search with none": text(reader.get("/search?q=xyzzy")),
            "search with no words": text(reader.get("/search?q=%21%21")),
            "login": text(login),
            "login with an error": text(log_in(stranger, "siti@example.com", "salah", csrf_token=csrf_token_of(login))),
            "forgot password": text(reader.get("/reset-password")),
            "404": text(reader.get("/tidak-ada/di-sini")),
            "405": text(reader.post("/posts/")),
        }
    )
    assert "Wati" in pages["article with comments"]
    assert "Kabar dari Pelabuhan" in pages["search with results"]
    for path in [
        "/admin/",
        "/admin/posts",
        f"/admin/posts/{post_id}/edit",
        f"/admin/posts/{post_id}/revisions",
        f"/admin/posts/{post_id}/delete",
        "/admin/account",
        "/admin/account/two-factor",
        "/admin/authors",
        "/admin/authors/new",
        f"/admin/authors/{budi_id}/password",
        "/admin/comments",
        "/admin/messages",
        "/admin/media",
        "/admin/navigation",
        "/admin/export",
    ]:
        response = desk.get(path)
        assert response.status_code == 200, path
        pages[path] = text(response)
    # A form sent back with its errors in the dashboard.
    pages["editor with errors"] = text(desk.post("/admin/posts/new", data={"csrf_token": csrf_token_of(editor)}))
    pages["refused form (CSRF)"] = text(desk.post("/admin/account", data={"name": "Siti"}))

    left = {name: page_english(html, english) for name, html in pages.items()}
    left["comments script"] = js_english(pages["article with comments"], english)
    left["editor scripts"] = js_english(pages["editor (new)"], english)
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail)).all()
        assert mails, "no mail was queued"
        for mail in mails:
            left[f"mail: {mail.subject}"] = english_left(f"{mail.subject}\n{mail.body}", english) | (
                page_english(mail.body_html, english) if mail.body_html else set()
            )
    left = {name: words for name, words in left.items() if words}
    assert not left, f"English words on Indonesian pages: {left}. Wrap the text in _() and {FIX}"
    assert ">Cari Blog Ini</label>" in pages["home"]
