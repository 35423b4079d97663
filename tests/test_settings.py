"""/admin/settings: each setting changes what readers see on the next request (on a second app too), bad
values are refused on the form, only admins may change them, every change is logged; the navigation's
custom links; /theme.css; the settings' defaults from the environment; the migration."""

import html
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from blog import create_app
from blog.extensions import db
from blog.models import Comment, Media, NavItem, OutboxMail, SettingsChange, SiteState
from blog.settings import theme

from .conftest import BASE_CONFIG, Content
from .helpers import (
    ADMIN_EMAIL,
    ROOT,
    count_queries,
    field_errors,
    flask_cli,
    log_in,
    picture,
    text,
    token_of,
    upload,
)


class FormValues(HTMLParser):
    """The values a browser would send for the settings form as the page shows it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "checkbox"):
            self.values[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
            self.values.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(client) -> dict[str, str]:
    page = client.get("/admin/settings")
    assert page.status_code == 200
    parser = FormValues()
    parser.feed(text(page).split('<h2 id="changes-heading">')[0])
    parser.values.pop("csrf_token", None)
    return {name: value.lstrip("\n").replace("\r\n", "\n") for name, value in parser.values.items()}


def save(client, **changes):
    """Send the settings form as the page shows it, with these fields changed."""
    return client.post("/admin/settings", data={**form_values(client), **{k: str(v) for k, v in changes.items()}})


def admin_client(app):
    client = app.test_client()
    assert log_in(client, ADMIN_EMAIL).headers["Location"] == "/admin/"
    return client


def page(app, url="/") -> str:
    response = app.test_client().get(url)
    assert response.status_code == 200, url
    return text(response)


def version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(SiteState.content_version))


def stored(app) -> dict:
    with app.app_context():
        return db.session.scalar(select(SiteState.settings)) or {}


def changes_logged(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(SettingsChange).order_by(SettingsChange.id)).all()
        return [(row.setting, row.old_value, row.new_value, row.user.name if row.user else None) for row in rows]


@pytest.fixture
def two_apps(make_app):
    """Two app instances on one database, each with its own per-process page cache: two servers."""
    settings = {"COMMENT_MIN_SECONDS": 0, "CONTACT_MIN_SECONDS": 0}
    first, second = make_app(**settings), make_app(**settings)
    content = Content(first)
    content.author(email=ADMIN_EMAIL, name="Rita Root", role="admin")
    return first, second, content


def test_only_admins_change_the_settings(app, team):
    _, clients = team
    assert clients["ada"].get("/admin/settings").status_code == 403
    assert clients["ada"].post("/admin/settings", data={"name": "Mine"}).status_code == 403
    assert clients["ada"].post("/admin/navigation/links", data={"label": "x", "url": "/x"}).status_code == 403
    assert app.test_client().get("/admin/settings").headers["Location"].startswith("/login?next=")
    assert stored(app) == {} and changes_logged(app) == []
    page_text = text(clients["rita"].get("/admin/settings"))
    for label in ("Site name", "Tagline", "Accent colour", "Logo", "Favicon", "Footer text", "Posts per page"):
        assert f">{label}</label>" in page_text or f">{label}<span" in page_text, label


def test_the_settings_are_grouped_into_cards(app, admin):
    page_text = text(admin_client(app).get("/admin/settings"))
    cards = re.findall(
        r'<fieldset class="settings-card" id="settings-(\w+)">\s*<legend>([^<]+)</legend>(.*?)</fieldset>',
        page_text,
        re.S,
    )
    assert [(key, legend) for key, legend, _ in cards] == [
        ("identity", "Identity"),
        ("navigation", "Navigation"),
        ("reading", "Reading"),
        ("comments", "Comments"),
        ("contact", "Contact form"),
    ]
    fields = {key: re.findall(r'name="(\w+)"', body) for key, _, body in cards}
    assert fields["identity"] == ["name", "tagline", "description", "accent", "logo", "favicon", "footer_text"]
    assert fields["navigation"] == [] and 'href="/admin/navigation"' in cards[1][2]
    assert fields["reading"] == ["posts_per_page"]
    assert fields["comments"] == ["comment_moderation", "comment_max_links", "comment_close_after_days"]
    assert fields["contact"] == ["contact_recipients"]


def test_site_settings_show_to_readers_at_once_on_every_app(two_apps):
    first, second, content = two_apps
    for n in range(3):
        content.post(f"Walk {n}", days_ago=n + 1)
    home = page(second)  # cached by the second app at this version
    assert "<title>Test Blog</title>" in home and "Walk 2" in home
    old_theme = re.search(r'href="(/theme\.css\?v=\w+)"', home).group(1)
    rita = admin_client(first)
    before = version(first)

    saved = save(
        rita,
        name="Harbour Log",
        tagline="Tides and tea",
        description="A year by the sea, written down.",
        accent="#B52",
        footer_text="Words CC BY 4.0.\nPictures mine.",
        posts_per_page=2,
    )
    assert saved.headers["Location"] == "/admin/settings"
    assert version(first) == before + 1

    home = page(second)
    assert "<title>Harbour Log</title>" in home
    assert '<p class="site-tagline">Tides and tea</p>' in home
    assert '<meta name="description" content="A year by the sea, written down.">' in home
    assert '<p class="footer-text">Words CC BY 4.0.\nPictures mine.</p>' in home
    main = home.split("<main")[1].split("</main>")[0]
    assert "Walk 0" in main and "Walk 1" in main and "Walk 2" not in main  # two posts per page
    assert "Walk 2" in page(second, "/posts/?page=2").split("<main")[1].split("</main>")[0]
    theme_url = re.search(r'href="(/theme\.css\?v=\w+)"', home).group(1)
    assert theme_url != old_theme
    stylesheet = second.test_client().get(theme_url)
    assert "accent colour (#bb5522)" in text(stylesheet) and "--accent: #0b5cad" not in text(stylesheet)
    assert stylesheet.headers["Cache-Control"].endswith("immutable")
    feed = page(second, "/feed.atom")
    assert "<title>Harbour Log</title>" in feed and "<subtitle>Tides and tea</subtitle>" in feed
    assert '"publisher": {"@type": "Organization", "name": "Harbour Log"' in page(second, "/posts/walk-0")


def test_comment_rules_apply_to_the_next_comment(two_apps):
    first, second, content = two_apps
    content.post("Old Walk", days_ago=40)
    content.post("New Walk", days_ago=1)
    rita = admin_client(first)

    def comment(app, slug, body):
        client = app.test_client()
        token = token_of(client.get(f"/posts/{slug}"))
        client.post(
            f"/posts/{slug}/comments", data={"token": token, "name": "Bo", "email": "bo@example.com", "body": body}
        )
        with app.app_context():
            return db.session.scalar(select(Comment.status).where(Comment.body == body))

    assert save(rita, comment_moderation="none").status_code == 302
    assert comment(second, "new-walk", "Lovely light.") == Comment.APPROVED
    assert save(rita, comment_moderation="all").status_code == 302
    assert comment(second, "new-walk", "Lovely light again.") == Comment.PENDING
    assert save(rita, comment_moderation="none", comment_max_links=0).status_code == 302
    assert comment(second, "new-walk", "See https://example.com/a for more.") == Comment.PENDING
    assert comment(second, "new-walk", "No links here.") == Comment.APPROVED

    assert 'id="comment-form"' in page(second, "/posts/old-walk") or "<textarea" in page(second, "/posts/old-walk")
    assert save(rita, comment_close_after_days=30).status_code == 302
    assert "<textarea" not in page(second, "/posts/old-walk")
    assert "<textarea" in page(second, "/posts/new-walk")


def test_contact_mail_goes_to_the_recipients_set_on_the_dashboard(two_apps):
    first, second, _ = two_apps
    rita = admin_client(first)
    assert save(rita, contact_recipients="owner@example.com\nsecond@example.com").status_code == 302
    client = second.test_client()
    token = token_of(client.get("/contact"))
    sent = client.post(
        "/contact", data={"token": token, "name": "Vera", "email": "vera@example.com", "message": "Hello there."}
    )
    assert sent.status_code == 302
    with second.app_context():
        to = db.session.scalar(select(OutboxMail.to_addresses).where(OutboxMail.kind.like("contact%")))
    assert "owner@example.com" in to and "second@example.com" in to and ADMIN_EMAIL not in to


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("accent", "blue", "Enter a colour as # and 6 (or 3) hexadecimal digits, like #0b5cad."),
        ("accent", "#12345", "Enter a colour as # and 6 (or 3) hexadecimal digits, like #0b5cad."),
        ("posts_per_page", "0", "Give a number from 1 to 100."),
        ("posts_per_page", "500", "Give a number from 1 to 100."),
        ("contact_recipients", "owner@example.com, not-an-address", "“not-an-address” is not an email address"),
        ("name", "", "Give the site a name."),
    ],
)
def test_bad_values_are_refused_with_the_field_error_and_kept(app, admin, field, value, error):
    rita = admin_client(app)
    before = version(app)
    refused = save(rita, **{field: value}, tagline="Kept too")
    assert refused.status_code == 400
    assert html.unescape(field_errors(refused)[field]).startswith(error)
    assert "Nothing was saved" in text(refused) or "nothing was saved" in text(refused)
    parser = FormValues()
    parser.feed(text(refused))
    assert parser.values[field].strip() == value and parser.values["tagline"] == "Kept too"
    assert version(app) == before and stored(app) == {} and changes_logged(app) == []


def test_custom_navigation_links_show_in_every_header_and_bad_addresses_are_refused(two_apps):
    first, second, content = two_apps
    rita = admin_client(first)
    assert "Shop" not in page(second)
    for bad in ("javascript:alert(1)", "data:text/html,hi", "//evil.example/x", "ftp://example.com/", "https://"):
        refused = rita.post("/admin/navigation/links", data={"label": "Shop", "url": bad})
        assert refused.status_code == 400, bad
        assert field_errors(refused)["url"].startswith("Give an address starting with https://"), bad
        assert f'value="{html.escape(bad)}"' in text(refused)
    added = rita.post("/admin/navigation/links", data={"label": "Shop", "url": "https://shop.example.com/"})
    assert added.headers["Location"] == "/admin/navigation"
    rita.post("/admin/navigation/links", data={"label": "Travel", "url": "/tags/travel"})
    header = page(second)
    assert header.index('<a href="https://shop.example.com/">Shop</a>') < header.index('<a href="/tags/travel">Travel')

    with first.app_context():
        travel = db.session.scalar(select(NavItem.id).where(NavItem.label == "Travel"))
    assert rita.post(f"/admin/navigation/{travel}/up").headers["Location"] == "/admin/navigation"
    header = page(second)
    assert header.index(">Travel</a>") < header.index(">Shop</a>")
    rita.post(f"/admin/navigation/{travel}/remove")
    assert "Travel" not in page(second)
    assert [row[1:] for row in changes_logged(first)] == [
        ("", "Shop", "Rita Root"),
        ("Shop", "Shop, Travel", "Rita Root"),
        ("Shop, Travel", "Travel, Shop", "Rita Root"),
        ("Travel, Shop", "Shop", "Rita Root"),
    ]
    settings_page = text(rita.get("/admin/settings"))
    assert 'href="/admin/navigation"' in settings_page


def test_each_change_is_logged_and_the_last_twenty_shown(app, admin):
    rita = admin_client(app)
    save(rita, name="Harbour Log", accent="#bb5522")
    save(rita, name="Harbour Log")  # nothing changed: nothing logged, no new version
    assert changes_logged(app) == [
        ("name", "Test Blog", "Harbour Log", "Rita Root"),
        ("accent", "#0b5cad", "#bb5522", "Rita Root"),
    ]
    for n in range(25):
        save(rita, posts_per_page=n + 1)
    shown = text(rita.get("/admin/settings")).split('<h2 id="changes-heading">')[1]
    assert shown.count("<tr>") == 1 + 20  # the head's row and the last twenty
    assert "<td>Posts per page</td>" in shown and "<td>Rita Root</td>" in shown
    assert "<td>Site name</td>" not in shown  # older than the last twenty


def test_a_setting_given_back_its_environment_value_follows_the_environment_again(make_app, admin):
    app = make_app()
    rita = admin_client(app)
    save(rita, name="Harbour Log", tagline="Tides")
    assert stored(app) == {"name": "Harbour Log", "tagline": "Tides"}
    save(rita, name="Test Blog")
    assert stored(app) == {"tagline": "Tides"}
    renamed = make_app(SITE_NAME="Renamed In The Environment")
    home = page(renamed)
    assert "<title>Renamed In The Environment</title>" in home and "Tides" in home


def test_logo_and_favicon_come_from_the_media_library(make_app, admin):
    app = make_app()
    rita = admin_client(app)
    assert upload(rita, picture(size=(600, 200)), filename="logo.png").status_code == 302
    with app.app_context():
        media_id = db.session.scalar(select(Media.id))
    form = text(rita.get("/admin/settings"))
    assert f'<option value="{media_id}">logo.png (600 × 200)</option>' in form
    assert save(rita, logo=media_id, favicon=media_id).status_code == 302
    Content(app).post("Walk")
    home = page(app)
    logo = re.search(r'<img class="site-logo" src="(/media/[\w.-]+)" width="600" height="200" alt="">', home)
    assert logo and f'<link rel="icon" href="{logo.group(1)}" type="image/jpeg">' in home
    assert app.test_client().get(logo.group(1)).status_code == 200
    assert f'"url": "http://localhost{logo.group(1)}"' in page(app, "/posts/walk")

    delete = rita.post(f"/admin/media/{media_id}/delete", data={"confirm": "y"})
    assert delete.headers["Location"] == "/admin/media"
    home = page(app)
    assert "site-logo" not in home and 'href="/static/favicon.svg"' in home
    assert stored(app) == {}
    assert [row[0] for row in changes_logged(app)] == ["logo", "favicon", "logo", "favicon"]


def test_reader_pages_read_the_settings_with_the_content_version(make_app, admin):
    app = make_app()
    content = Content(app)
    content.post("Walk", tags=["Coast"])
    counts = []
    for changes in ({}, {"name": "Harbour Log", "accent": "#bb5522", "footer_text": "Mine.", "posts_per_page": 3}):
        if changes:
            save(admin_client(app), **changes)
        reader = app.test_client()
        row = []
        for url in ("/", "/posts/walk", "/tags/coast"):
            with count_queries(app) as statements:
                assert reader.get(url).headers.get("X-Page-Cache") != "hit"
            row.append(len(statements))
            assert sum("site_state" in statement for statement in statements) == 1, url
        counts.append(row)
    assert counts[0] == counts[1]
    assert "Harbour Log" in page(app)


def test_the_theme_stylesheet(app):
    home = page(app)
    url = re.search(r'<link rel="stylesheet" href="(/theme\.css\?v=\w+)">', home).group(1)
    assert home.index("/static/css/site.css") < home.index(url)
    response = app.test_client().get(url)
    assert response.content_type == "text/css; charset=utf-8" and "Set-Cookie" not in response.headers
    assert "--accent: #0b5cad;" in text(response) and "prefers-color-scheme: dark" in text(response)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert app.test_client().get("/theme.css?v=old").headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("colour", ["#ffff00", "#ffffff", "#000000", "#0b5cad", "#e91e63", "#777"])
def test_every_accent_colour_gives_readable_shades_in_both_schemes(colour):
    shades = theme.shades(colour)
    light, dark = theme.parse(shades["light"]["--accent"]), theme.parse(shades["dark"]["--accent"])
    assert theme.contrast(light, theme.LIGHT_BACKGROUND) >= 4.5 and theme.contrast(light, (255, 255, 255)) >= 4.5
    assert theme.contrast(dark, theme.DARK_BACKGROUND) >= 4.5 and theme.contrast(dark, (0, 0, 0)) >= 4.5
    assert theme.contrast(light, theme.parse(shades["light"]["--on-accent"])) >= 4.5
    assert theme.contrast(dark, theme.parse(shades["dark"]["--on-accent"])) >= 4.5


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("SITE_TIMEZONE", "Mars/Olympus_Mons", "SITE_TIMEZONE 'Mars/Olympus_Mons' is not a known time zone"),
        ("SITE_ACCENT", "blue", "SITE_ACCENT 'blue' is not a colour"),
        ("POSTS_PER_PAGE", 0, "POSTS_PER_PAGE must be between 1 and 100"),
    ],
)
def test_bad_environment_settings_stop_the_start_with_a_clear_error(tmp_path, setting, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3", setting: value})


def test_the_migration_keeps_a_blog_with_rows_and_its_version(empty_database):
    script = next((ROOT / "migrations" / "versions").glob("b7e2c4a9d105_*.py")).read_text()
    before = re.search(r"^down_revision = '(\w+)'", script, re.M).group(1)
    assert flask_cli(empty_database, "db", "upgrade", before).returncode == 0
    engine = sa.create_engine(empty_database)
    now = "2026-11-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (email, name, password_hash, role, active, created_at, slug, bio, comment_mail) "
                "VALUES ('rita@example.com', 'Rita Root', 'x', 'admin', true, :now, 'rita-root', '', 'pending')"
            ),
            {"now": now},
        )
        conn.execute(sa.text("UPDATE site_state SET content_version = 7"))
    upgrade = flask_cli(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT content_version, settings FROM site_state")).one() == (7, None)
        assert conn.execute(sa.text("SELECT count(*) FROM settings_changes")).scalar() == 0
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        user = db.session.scalar(select(func.min(SiteState.id)))
        assert user == 1
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with app.app_context():
        from blog.models import User

        db.session.scalar(select(User)).set_password("correct horse")
        db.session.commit()
    assert log_in(client, ADMIN_EMAIL).headers["Location"] == "/admin/"
    assert save(client, name="Migrated").status_code == 302
    assert "<title>Migrated</title>" in page(app)
    with app.app_context():
        db.engine.dispose()
    downgrade = flask_cli(empty_database, "db", "downgrade", before)
    assert downgrade.returncode == 0, downgrade.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT content_version FROM site_state")).scalar() == 8
        assert "settings_changes" not in sa.inspect(conn).get_table_names()
    engine.dispose()
