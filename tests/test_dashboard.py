"""The dashboard home: what needs attention, each count linking to its filtered list, in a fixed number of queries."""

import html
import re
from datetime import timedelta

from blog.extensions import db
from blog.models import Comment, ContactMessage, MailStatus, NavItem, OutboxMail

from .conftest import NOW, Content
from .helpers import ADMIN_EMAIL, PASSWORD, count_queries, csrf_token_of, log_in, text


def attention(page: str) -> dict[str, tuple[int, str]]:
    """The "Needs attention" items as the page shows them: phrase ("2 comments waiting") -> (count, link)."""
    section = page[page.index('aria-labelledby="attention-heading"') :]
    section = section[: section.index("</section>")]
    items = re.findall(
        r'<a href="([^"]+)">.*?<span class="attention-label">(<span class="attention-count">(\d+)</span>[^<]+)</span>',
        section,
        re.S,
    )
    return {re.sub(r"<[^>]+>", "", label): (int(count), html.unescape(href)) for href, label, count in items}


def fill_blog(app, content, ids, scale=1):
    """Ada's and Rita's posts, comments waiting and approved, messages read and unread, mails sent and failed."""
    live = content.post("Ada Live", author_id=ids["ada"])
    for i in range(scale):
        content.post(f"Ada Draft {i}", author_id=ids["ada"], draft=True)
        content.post(f"Ada Later {i}", author_id=ids["ada"], published_at=NOW + timedelta(days=1 + i))
        content.post(f"Rita Draft {i}", author_id=ids["rita"], draft=True)
    rita_live = content.post("Rita Live", author_id=ids["rita"])
    with app.app_context():
        for i in range(scale):
            for post_id, status in ((live, Comment.PENDING), (live, Comment.APPROVED), (rita_live, Comment.PENDING)):
                db.session.add(
                    Comment(
                        post_id=post_id,
                        name=f"Reader {i}",
                        email="reader@example.com",
                        body="Nice.",
                        body_html="<p>Nice.</p>",
                        status=status,
                        client_address="192.0.2.7",
                    )
                )
            db.session.add(ContactMessage(email=f"unread{i}@example.com", message=f"Unread hello {i}."))
            db.session.add(ContactMessage(email=f"read{i}@example.com", message=f"Read hello {i}.", is_read=True))
            db.session.add(
                ContactMessage(email=f"old{i}@example.com", message=f"Archived hello {i}.", is_archived=True)
            )
            db.session.add(
                OutboxMail(
                    to_addresses="owner@example.com",
                    subject=f"Bounced {i}",
                    body="Hello",
                    status=MailStatus.FAILED,
                    attempts=5,
                    last_error="550 mailbox unavailable",
                )
            )
            db.session.add(
                OutboxMail(
                    to_addresses="owner@example.com", subject=f"Delivered {i}", body="Hi", status=MailStatus.SENT
                )
            )
        db.session.commit()


def test_the_dashboard_home_counts_what_needs_attention_and_links_to_each_list(app, content, team):
    ids, clients = team
    fill_blog(app, content, ids)
    rita, ada = clients["rita"], clients["ada"]

    items = attention(text(rita.get("/admin/")))
    assert items == {
        "2 comments waiting": (2, "/admin/comments?status=pending"),
        "1 unread message": (1, "/admin/messages?unread=1"),
        "1 failed mail": (1, "/admin/mail/failed"),
        "1 scheduled post": (1, "/admin/posts?kind=post&status=scheduled"),
        "2 drafts": (2, "/admin/posts?kind=post&status=draft"),
    }

    drafts = text(rita.get(items["2 drafts"][1]))
    assert "Ada Draft 0" in drafts and "Rita Draft 0" in drafts
    assert "Ada Later 0" not in drafts and "Ada Live" not in drafts
    scheduled = text(rita.get(items["1 scheduled post"][1]))
    assert "Ada Later 0" in scheduled and "Ada Draft 0" not in scheduled and "Rita Live" not in scheduled
    unread = text(rita.get(items["1 unread message"][1]))
    assert "Unread hello 0." in unread and "Read hello 0." not in unread and "Archived hello 0." not in unread
    failed = text(rita.get(items["1 failed mail"][1]))
    assert "Bounced 0" in failed and "550 mailbox unavailable" in failed and "Delivered 0" not in failed
    pending = text(rita.get(items["2 comments waiting"][1]))
    assert pending.count('class="queue-item"') == 2

    # An author is told about her own posts' comments and posts; messages and mails are the admins'.
    assert attention(text(ada.get("/admin/"))) == {
        "1 comment waiting": (1, "/admin/comments?status=pending"),
        "1 scheduled post": (1, "/admin/posts?kind=post&status=scheduled"),
        "1 draft": (1, "/admin/posts?kind=post&status=draft"),
    }
    # The panels' counts are whole phrases too, singular for one.
    ada_home = text(ada.get("/admin/"))
    assert "<li><strong>1</strong> draft</li>" in ada_home and "<strong>0</strong> pages</a>" in ada_home
    assert "<strong>1</strong> failed mail</li>" in text(rita.get("/admin/"))
    assert "Rita Draft 0" not in text(ada.get("/admin/posts?kind=post&status=draft"))
    assert ada.get("/admin/mail/failed").status_code == 403


def test_a_new_site_has_nothing_waiting(writer):
    page = text(writer.get("/admin/"))
    assert {label: count for label, (count, _) in attention(page).items()} == {
        "0 comments waiting": 0,
        "0 scheduled posts": 0,
        "0 drafts": 0,
    }
    assert "Nothing is waiting for you." in page


def test_the_dashboard_home_runs_the_same_queries_however_much_there_is(app, content, team):
    ids, clients = team
    rita = clients["rita"]
    rita.get("/admin/")  # the session's first request may refresh its last-seen time

    def queries() -> int:
        with count_queries(app) as statements:
            assert rita.get("/admin/").status_code == 200
        return len(statements)

    empty = queries()
    fill_blog(app, content, ids, scale=5)
    assert queries() == empty
    # The user (with the device session), the content version with the site's settings, then one count each:
    # posts, comments, unread messages, failed mails, authors.
    assert empty == 7


def dashboard_menu(page: str) -> str:
    start = page.index('<nav class="dash-nav"')
    return page[start : page.index("</nav>", start)]


def menu_labels(page: str) -> list[str]:
    return re.findall(r"<span>([^<]+)</span></a>", dashboard_menu(page))


def test_the_dashboard_pages_use_the_dashboard_layout_with_its_menu(app, team):
    _, clients = team
    page = text(clients["rita"].get("/admin/posts?status=draft"))
    assert "css/admin.css" in page and "css/site.css" not in page
    assert ">View site</span></a>" in page and 'class="site-header"' not in page
    assert [label for label in menu_labels(page) if label != "Settings"] == [
        "Dashboard",
        "Posts",
        "Comments",
        "Messages",
        "Media",
        "Authors",
        "Navigation",
        "Export",
        "Account",
    ]
    assert '<a href="/admin/posts" aria-current="page">' in dashboard_menu(page)
    two_factor = text(clients["ada"].get("/admin/account/two-factor"))  # an author's menu, on another blueprint's page
    assert menu_labels(two_factor) == ["Dashboard", "Posts", "Comments", "Media", "Account"]
    assert '<a href="/admin/account" aria-current="page">' in dashboard_menu(two_factor)


def test_the_menu_links_to_settings_once_the_app_serves_them(app, author, admin, auth):
    if "/admin/settings" not in {rule.rule for rule in app.url_map.iter_rules()}:
        app.add_url_rule("/admin/settings", "stand_in_settings", lambda: "Settings")  # before its own page is merged
    admin_page = text(auth.log_in(ADMIN_EMAIL).get("/admin/"))
    assert menu_labels(admin_page)[-2:] == ["Settings", "Account"] and '<a href="/admin/settings">' in admin_page
    assert "Settings" not in menu_labels(text(auth.log_in().get("/admin/")))


def test_the_posts_list_offers_new_post_once(writer):
    page = text(writer.get("/admin/posts"))
    assert page.count('href="/admin/posts/new"') == 1 and page.count(">New post<") == 1


def test_with_csrf_on_no_dashboard_list_repeats_an_id(make_app):
    """A list with a button per row gives each button's form a token, but the id="csrf_token" only once."""
    app = make_app(WTF_CSRF_ENABLED=True)
    content = Content(app)
    ids = {"ada": content.author(), "rita": content.author(email=ADMIN_EMAIL, name="Rita Root", role="admin")}
    fill_blog(app, content, ids, scale=2)
    with app.app_context():
        db.session.add_all([NavItem(position=i, label=f"Link {i}", url=f"/tags/t{i}") for i in range(3)])
        db.session.commit()
    clients = [app.test_client() for _ in range(3)]  # three sessions: two to sign out on the account page
    for client in clients:
        log_in(client, ADMIN_EMAIL, PASSWORD, csrf_token=csrf_token_of(client.get("/login")))
    for path in ("/admin/comments", "/admin/messages", "/admin/authors", "/admin/navigation", "/admin/account"):
        page = text(clients[0].get(path))
        found = re.findall(r'\sid="([^"]+)"', page)
        assert len(page.split('name="csrf_token"')) > 2, path  # several forms, each with its token
        assert sorted(found) == sorted(set(found)), f"{path} repeats {sorted({i for i in found if found.count(i) > 1})}"
