"""Export: the WordPress file (flask export, /admin/export) and the contact messages as CSV."""

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from blog.extensions import db
from blog.models import ContactMessage, OutboxMail, Post, User
from blog.transfer.exporter import BLOG_NAMESPACE, cdata, wxr_chunks

from .helpers import ADMIN_EMAIL, EMAIL, count_queries, fill_export_blog, log_in, text

NOW = datetime.now(UTC).replace(microsecond=0)
NS = {
    "wp": "http://wordpress.org/export/1.2/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "blog": BLOG_NAMESPACE,
}
SITE = "https://blog.example.com"


@pytest.fixture
def export_app(make_app):
    return make_app(SITE_URL=SITE, SITE_TIMEZONE="Europe/Berlin")


@pytest.fixture
def blog(export_app):
    return fill_export_blog(export_app, NOW)


def parse(data: bytes):
    # The parser a careful reader uses: no entities resolved, nothing fetched.
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def export_file(app, tmp_path) -> bytes:
    path = tmp_path / "blog.xml"
    result = app.test_cli_runner().invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Exported 4 post(s), 1 page(s), 8 comment(s), 2 tag(s), 2 author(s), 2 redirect(s) to {path}." in (
        result.output
    )
    assert not (tmp_path / "blog.xml.part").exists()
    return path.read_bytes()


def items_by_id(root) -> dict[int, etree._Element]:
    return {int(item.findtext("wp:post_id", namespaces=NS)): item for item in root.iter("item")}


def field(element, name: str) -> str | None:
    return element.findtext(name, namespaces=NS)


def stored_hashes(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(User.password_hash)))


def test_export_command_writes_every_post_page_tag_author_and_comment(export_app, blog, tmp_path):
    data = export_file(export_app, tmp_path)
    root = parse(data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert field(channel, "title") == "Test Blog"
    assert field(channel, "link") == SITE
    assert field(channel, "wp:wxr_version") == "1.2"
    assert field(channel, "wp:base_site_url") == field(channel, "wp:base_blog_url") == SITE
    assert field(channel, "language") == "en"

    authors = {
        field(a, "wp:author_email"): (field(a, "wp:author_login"), field(a, "wp:author_display_name"))
        for a in channel.findall("wp:author", NS)
    }
    assert authors == {EMAIL: (EMAIL, "Ada Writer"), ADMIN_EMAIL: (ADMIN_EMAIL, "Rita Root")}
    for password_hash in stored_hashes(export_app):
        assert password_hash.encode() not in data
    assert b"scrypt:" not in data and b"pbkdf2:" not in data and b"password_hash" not in data
    tags = {field(t, "wp:tag_slug"): field(t, "wp:tag_name") for t in channel.findall("wp:tag", NS)}
    assert tags == {"travel": "Travel", "café": "Café"}

    items = items_by_id(root)
    assert set(items) == {blog[k] for k in ("journey", "about", "scheduled", "draft", "closed")}
    kinds = {post_id: (field(i, "wp:post_type"), field(i, "wp:status")) for post_id, i in items.items()}
    assert kinds == {
        blog["journey"]: ("post", "publish"),
        blog["about"]: ("page", "publish"),
        blog["scheduled"]: ("post", "future"),
        blog["draft"]: ("post", "draft"),
        blog["closed"]: ("post", "publish"),
    }

    journey = items[blog["journey"]]
    assert field(journey, "title") == "Über die Grenze ]]> 旅"
    assert field(journey, "wp:post_name") == "uber-die-grenze"
    assert field(journey, "link") == f"{SITE}/posts/uber-die-grenze"
    assert field(journey, "guid") == f"{SITE}/?p={blog['journey']}"
    assert journey.find("guid").get("isPermaLink") == "false"
    assert field(journey, "dc:creator") == EMAIL
    html = field(journey, "content:encoded")
    assert "CDATA end ]]&gt; inside" in html and "<h2>Café</h2>" in html and "<script" not in html
    assert field(journey, "blog:markdown").startswith("Intro with a CDATA end ]]> inside, and <script>")
    assert field(journey, "excerpt:encoded") == "Excerpt of Über die Grenze ]]> 旅"
    assert field(journey, "wp:comment_status") == "open"
    assert field(items[blog["closed"]], "wp:comment_status") == "closed"
    assert [(c.get("domain"), c.get("nicename"), c.text) for c in journey.findall("category")] == [
        ("post_tag", "café", "Café"),
        ("post_tag", "travel", "Travel"),
    ]
    assert [p.text for p in journey.findall("blog:old_path", NS)] == [
        "/2019/05/uber-die-grenze.html",
        "/posts/old-journey",
    ]
    assert field(items[blog["about"]], "link") == f"{SITE}/about"

    # Dates: GMT as stored, local in the site's zone (Berlin), RFC 2822 pubDate; a draft has no GMT date.
    published = NOW - timedelta(days=3)
    assert field(journey, "wp:post_date_gmt") == published.strftime("%Y-%m-%d %H:%M:%S")
    local = published.astimezone(ZoneInfo("Europe/Berlin"))
    assert field(journey, "wp:post_date") == local.strftime("%Y-%m-%d %H:%M:%S")
    assert field(journey, "wp:post_date") != field(journey, "wp:post_date_gmt")
    assert field(journey, "pubDate") == published.strftime("%a, %d %b %Y %H:%M:%S +0000")
    scheduled_at = NOW + timedelta(days=2)
    assert field(items[blog["scheduled"]], "wp:post_date_gmt") == scheduled_at.strftime("%Y-%m-%d %H:%M:%S")
    assert field(items[blog["draft"]], "wp:post_date_gmt") == "0000-00-00 00:00:00"
    assert items[blog["draft"]].find("pubDate") is None

    comments = {int(field(c, "wp:comment_id")): c for c in journey.findall("wp:comment", NS)}
    assert set(comments) == {blog[k] for k in ("first", "reply", "deep", "pending", "spam", "gone", "orphan")}
    parents = {cid: int(field(c, "wp:comment_parent")) for cid, c in comments.items()}
    assert parents == {
        blog["first"]: 0,
        blog["reply"]: blog["first"],
        blog["deep"]: blog["reply"],
        blog["pending"]: 0,
        blog["spam"]: 0,
        blog["gone"]: 0,
        blog["orphan"]: blog["gone"],
    }
    approved = {cid: field(c, "wp:comment_approved") for cid, c in comments.items()}
    assert approved[blog["first"]] == approved[blog["deep"]] == "1"
    assert approved[blog["pending"]] == "0"
    assert approved[blog["spam"]] == "spam"
    deleted = {cid for cid, c in comments.items() if field(c, "blog:comment_deleted") == "1"}
    assert deleted == {blog["gone"]}
    gone = comments[blog["gone"]]
    assert field(gone, "wp:comment_author") == field(gone, "wp:comment_content") == ""
    first = comments[blog["first"]]
    assert field(first, "wp:comment_author") == "Lena Reader"
    assert field(first, "wp:comment_author_email") == "lena@example.com"
    assert field(first, "wp:comment_content") == "Lovely trip!"
    assert field(first, "wp:comment_date_gmt") == (NOW - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    assert field(first, "wp:comment_type") == "comment"
    on_draft = items[blog["draft"]].findall("wp:comment", NS)
    assert [field(c, "wp:comment_content") for c in on_draft] == ["A comment on a draft."]


def test_cdata_sections_split_on_their_end_marker_and_drop_what_xml_cannot_hold():
    value = "a]]>b]]]]>c\x00\x0b\x1f ✓ \U0001f600"
    document = f"<x>{cdata(value)}</x>".encode()
    assert parse(document).text == "a]]>b]]]]>c ✓ \U0001f600"


def test_export_reads_posts_in_pages_and_gives_the_same_file_whatever_the_page_size(export_app, blog):
    with export_app.test_request_context():
        small = "".join(wxr_chunks(batch_size=2))
        large = "".join(wxr_chunks(batch_size=500))
        # One chunk per post besides the header, the channel's authors and tags, and the closing tags.
        assert len(list(wxr_chunks(batch_size=2))) == 5 + 3

    def without_pubdate(document: str) -> str:
        return "\n".join(line for line in document.splitlines() if "<pubDate>" not in line or "\t\t" in line)

    assert without_pubdate(small) == without_pubdate(large)


def test_export_runs_the_same_queries_for_each_page_of_posts(export_app, blog):
    with count_queries(export_app) as statements, export_app.test_request_context():
        for _chunk in wxr_chunks(batch_size=2):
            pass
    # The site's settings (read with the content version); authors and tags; then for each page of two posts:
    # the posts, their tags, comments and redirects (5 posts: 3 pages); then the query that finds no more posts.
    assert len(statements) == 1 + 2 + 3 * 4 + 1


def test_export_of_a_big_blog_keeps_memory_flat(export_app, tmp_path):
    with export_app.app_context():
        author = User(email=EMAIL, name="Ada Writer", password_hash="x")
        db.session.add(author)
        db.session.flush()
        author_id = author.id
        body = "A paragraph of travel notes that goes on for a while. " * 20
        html = f"<p>{body}</p>"
        db.session.execute(
            db.insert(Post),
            [
                {
                    "title": f"Post {n}",
                    "slug": f"post-{n}",
                    "body": body,
                    "body_html": html,
                    "excerpt": "Notes",
                    "is_draft": False,
                    "published_at": NOW - timedelta(minutes=n),
                    "author_id": author_id,
                }
                for n in range(3000)
            ],
        )
        db.session.commit()
    path = tmp_path / "big.xml"
    tracemalloc.start()
    try:
        result = export_app.test_cli_runner().invoke(args=["export", str(path)])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.output
    assert "Exported 3000 post(s)" in result.output
    size = path.stat().st_size
    assert size > 8_000_000
    # Pages of 200 posts: the peak is a fraction of the file, whatever the number of posts.
    assert peak < size / 4, (peak, size)
    assert len(items_by_id(parse(path.read_bytes()))) == 3000


def test_export_command_into_a_missing_folder_fails_with_one_line(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", str(tmp_path / "missing" / "blog.xml")])
    assert result.exit_code == 1
    assert "Could not write" in result.output and "Traceback" not in result.output


def test_export_without_site_url_says_where_links_point(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", str(tmp_path / "blog.xml")])
    assert result.exit_code == 0
    assert "SITE_URL is not set: the links in the file point at http://localhost." in result.output
    channel = parse((tmp_path / "blog.xml").read_bytes()).find("channel")
    assert field(channel, "wp:base_site_url") == "http://localhost"
    assert channel.find("item") is None


def test_export_page_is_for_admins_only(export_app, blog):
    anonymous = export_app.test_client()
    for url in ("/admin/export", "/admin/export/download", "/admin/messages/export.csv"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        writer = export_app.test_client()
        log_in(writer, EMAIL)
        assert writer.get(url).status_code == 403
    writer = export_app.test_client()
    log_in(writer, EMAIL)
    assert "/admin/export" not in text(writer.get("/admin/"))


def test_admin_downloads_the_export_from_the_dashboard(export_app, blog):
    client = export_app.test_client()
    log_in(client, ADMIN_EMAIL)
    dashboard = text(client.get("/admin/"))
    assert 'href="/admin/export"' in dashboard
    page = text(client.get("/admin/export"))
    assert "Download export" in page and 'href="/admin/export/download"' in page
    assert "Passwords, sessions and sign-in data are never in it." in page

    response = client.get("/admin/export/download")
    assert response.status_code == 200
    assert response.is_streamed
    today = datetime.now(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == f'attachment; filename="test-blog-{today}.xml"'
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"].split(", ")
    data = response.get_data()
    root = parse(data)
    assert len(items_by_id(root)) == 5
    for password_hash in stored_hashes(export_app):
        assert password_hash.encode() not in data


# --- contact messages as CSV ----------------------------------------------------------------------------------


@pytest.fixture
def messages(app, admin):
    """Four messages: mailed, failed, queued, and one stored with no recipient; odd and hostile text."""
    with app.app_context():
        rows = [
            ("Lena", "lena@example.com", 'Hello, "quoted" and\nmultiline; ünïcode ✓', OutboxMail.SENT, None),
            ("=cmd|' /C calc'!A0", "x@example.com", "+SUM(1,2)", OutboxMail.FAILED, "550 mailbox unavailable"),
            (None, "anon@example.com", "-2+3", OutboxMail.QUEUED, None),
            ("@Visitor", "quiet@example.com", "\tTabbed", None, None),
        ]
        for minutes, (name, email, message, status, error) in enumerate(rows):
            contact = ContactMessage(
                name=name, email=email, message=message, created_at=datetime(2026, 3, 1, 12, minutes, tzinfo=UTC)
            )
            db.session.add(contact)
            if status is not None:
                db.session.add(
                    OutboxMail(
                        to_addresses="rita@example.com",
                        subject="Contact",
                        body=message,
                        status=status,
                        attempts=3 if status == OutboxMail.FAILED else 1,
                        last_error=error,
                        contact_message=contact,
                    )
                )
        db.session.commit()


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # so Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


EXPECTED_ROWS = [
    ["id", "received_at", "name", "email", "message", "read", "archived", "delivery", "attempts", "last_error"],
    ["1", "2026-03-01T12:00:00+00:00", "Lena", "lena@example.com", 'Hello, "quoted" and\nmultiline; ünïcode ✓']
    + ["no", "no", "sent", "1", ""],
    ["2", "2026-03-01T12:01:00+00:00", "'=cmd|' /C calc'!A0", "x@example.com", "'+SUM(1,2)"]
    + ["no", "no", "failed", "3", "550 mailbox unavailable"],
    ["3", "2026-03-01T12:02:00+00:00", "", "anon@example.com", "'-2+3", "no", "no", "queued", "1", ""],
    ["4", "2026-03-01T12:03:00+00:00", "'@Visitor", "quiet@example.com", "'\tTabbed", "no", "no", "not sent", "0", ""],
]


def test_export_messages_command_writes_every_message_with_its_delivery(app, messages, tmp_path):
    path = tmp_path / "messages.csv"
    result = app.test_cli_runner().invoke(args=["export-messages", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Exported 4 message(s) to {path}." in result.output
    data = path.read_bytes()
    assert b"\r\n" in data
    assert read_csv(data) == EXPECTED_ROWS


def test_inbox_download_csv_button(app, messages, auth):
    client = auth.log_in(ADMIN_EMAIL)
    inbox = text(client.get("/admin/messages"))
    assert "Download CSV" in inbox and 'href="/admin/messages/export.csv"' in inbox
    response = client.get("/admin/messages/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == f'attachment; filename="test-blog-{today}-messages.csv"'
    assert read_csv(response.get_data()) == EXPECTED_ROWS
