"""`flask --app blog import`: WordPress (WXR 1.0-1.2) and Blogger (classic Atom, Takeout .atom and .zip) exports."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Comment, ImportedItem, Post, PostKind, PostRevision, Redirect, Tag, User

from .helpers import ROOT, log_in, text, write

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
WXR = FIXTURES / "wordpress.xml"
CLASSIC = FIXTURES / "blogger-classic.xml"
TAKEOUT = FIXTURES / "blogger-takeout.atom"
COUNTED = (User, Post, Comment, Tag, Redirect, ImportedItem)


def run(runner, path, *options):
    return runner.invoke(args=["import", str(path), *options])


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def threads(app) -> dict[str, list[tuple]]:
    """Each post's comments as (name, status, depth, parent's name), oldest first: the thread shape."""
    with app.app_context():
        shape: dict[str, list[tuple]] = {}
        for comment in db.session.scalars(select(Comment).order_by(Comment.created_at)):
            parent = comment.parent.name if comment.parent else None
            shape.setdefault(comment.post.slug, []).append((comment.name, comment.status, comment.depth, parent))
        return shape


def posts(app) -> dict[str, Post]:
    with app.app_context():
        found = db.session.scalars(select(Post)).all()
        for post in found:
            post.tag_names = sorted(tag.name for tag in post.tags)  # type: ignore[attr-defined]
            post.author_email = post.author.email  # type: ignore[attr-defined]
        db.session.expunge_all()
        return {post.slug: post for post in found}


def wxr_version(tmp_path, version: str) -> Path:
    """The WordPress fixture as another WXR version writes it (only the namespace differs)."""
    path = tmp_path / f"wxr-{version}.xml"
    path.write_text(WXR.read_text(encoding="utf-8").replace("/export/1.2/", f"/export/{version}/"), encoding="utf-8")
    return path


# --- WordPress ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_a_wordpress_export_comes_in_whole(app, runner, client, author, tmp_path, version):
    result = run(runner, wxr_version(tmp_path, version))
    assert result.exit_code == 0, result.output
    assert f"Read a WordPress export (WXR {version})." in result.output
    assert result.output.strip().endswith(
        "Imported 5 post(s), 2 page(s), 6 comment(s) in 4 thread(s), 2 author(s) (1 new), 2 tag(s) (2 new), "
        "12 redirect(s); 3 skipped."
    )
    # What was left out or changed, and why.
    assert "comment 106 (line 109): a pingback, counted and not imported" in result.output
    assert "comment 107 (line 119): in the trash" in result.output
    assert "attachment items: only posts and pages are imported" in result.output
    assert "post 'hello-world' became 'hello-world-2' (already taken)" in result.output
    assert "page 'search' became 'search-2' (a reserved address of the site)" in result.output
    assert "shortcode(s) dropped: [gallery]" in result.output
    assert "'A private note': private, imported as a draft" in result.output
    assert "in item 'Broken entry' from line 212: Namespace prefix junk on plugin_data is not defined" in result.output

    found = posts(app)
    assert sorted(found) == [
        "a-private-note", "about", "broken-entry", "hello-world", "hello-world-2", "notes-for-later", "search-2",
    ]  # fmt: skip
    hello = found["hello-world"]
    assert hello.title == "Héllo wörld: a harbour in ☀ and 雨" and hello.status == "published"
    assert hello.published_at.isoformat() == "2020-03-02T10:00:00+00:00"
    assert hello.updated_at.isoformat() == "2020-03-05T09:30:00+00:00"
    assert hello.tag_names == ["Boats", "Travel"] and found["hello-world-2"].tag_names == ["Boats"]
    assert hello.author_email == "ada@example.com"  # matched to the author already here
    assert found["notes-for-later"].status == "draft" and found["a-private-note"].status == "draft"
    assert found["notes-for-later"].author_email == "marek@example.com"
    assert found["about"].kind == PostKind.PAGE and found["search-2"].kind == PostKind.PAGE
    # The body: structure kept, block comments and shortcodes gone, editable as Markdown.
    assert "<h2>What we saw</h2>" in hello.body_html and "<table>" in hello.body_html
    assert 'alt="A blue boat"' in hello.body_html and "wp:" not in hello.body_html and "[" not in hello.body_html
    assert "## What we saw" in hello.body and "- gulls" in hello.body and "| Hour | Tide |" in hello.body
    assert hello.excerpt.startswith("The boats came in at dawn. What we saw A blue boat gulls nets")
    assert found["hello-world-2"].excerpt == "A hand-written excerpt."
    assert (
        found["notes-for-later"].body_html
        == "<p>Unfinished thoughts.</p>\n<p>A second paragraph<br>\nwith a line break.</p>"
    )

    # The thread: a reply stays a reply to the same parent; pending and spam kept as such; a draft's comment too.
    assert threads(app) == {
        "hello-world": [
            ("Lena", "approved", 1, None),
            ("Ada W.", "approved", 2, "Lena"),
            ("Lena", "approved", 3, "Ada W."),
            ("Pat Pending", "pending", 1, None),
            ("Cheap Pills", "spam", 1, None),
        ],
        "notes-for-later": [("Early Reader", "approved", 1, None)],
    }

    # What readers see: the title, the three visible comments, no script.
    page = text(client.get("/posts/hello-world"))
    assert "Héllo wörld: a harbour in ☀ and 雨" in page and "Thanks, I will go <em>next spring</em>." in page
    assert "Waiting for a moderator" not in page and "Cheap Pills" not in page
    scripted = text(client.get("/posts/hello-world-2"))
    assert "Before the script." in scripted and "After the script." in scripted
    assert "stolen cookies" not in scripted and "onclick" not in scripted
    with app.app_context():
        assert db.session.get(Post, hello.id).comment_count == 3
    assert "Héllo wörld" in text(client.get("/search", query_string={"q": "harbour"}))

    # The new author can't log in until someone gives them a password.
    with app.app_context():
        marek = db.session.scalar(select(User).where(User.email == "marek@example.com"))
        assert not marek.active and not marek.check_password("")
    assert log_in(client.application.test_client(), "marek@example.com", "").status_code != 302


def test_old_wordpress_addresses_answer_301(app, runner, client, author):
    assert run(runner, WXR).exit_code == 0
    for old, new in [
        ("/2020/03/hello-world/", "/posts/hello-world"),
        ("/?p=11", "/posts/hello-world"),
        ("/?p=13", "/posts/hello-world-2"),
        ("/2020/03/hello-world-2/", "/posts/hello-world-2"),
    ]:
        response = client.get(old)
        assert response.status_code == 301 and response.headers["Location"] == new, old
    page = client.get("/?page_id=2")
    assert page.status_code == 301 and page.headers["Location"].endswith("/about")
    # A draft's old id, or an id that never existed, is just the home page.
    for missing in ("/?p=12", "/?p=999", "/?p=abc"):
        response = client.get(missing)
        assert response.status_code == 200 and "Test Blog" in text(response), missing


def test_a_second_run_adds_nothing(app, runner, author):
    assert run(runner, WXR).exit_code == 0
    before, shape = counts(app), threads(app)
    again = run(runner, WXR)
    assert again.exit_code == 0, again.output
    assert "already imported: 6 comment(s), 2 page(s), 5 post(s)" in again.output
    assert "Imported 0 post(s), 0 page(s), 0 comment(s)" in again.output and "(nothing new)" in again.output
    assert counts(app) == before and threads(app) == shape


def test_a_dry_run_writes_nothing(app, runner, author):
    before = counts(app)
    result = run(runner, WXR, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        "Would import 5 post(s), 2 page(s), 6 comment(s) in 4 thread(s), 2 author(s) (1 new), 2 tag(s) (2 new), "
        "12 redirect(s); 3 skipped (dry run: nothing written)."
    )
    assert "page 'search' became 'search-2'" in result.output and "a pingback" in result.output
    assert counts(app) == before


def test_author_option_gives_everything_to_one_author(app, runner, author):
    result = run(runner, WXR, "--author", "ADA@example.com")
    assert result.exit_code == 0, result.output
    assert {post.author_email for post in posts(app).values()} == {"ada@example.com"}
    assert counts(app)["User"] == 1

    unknown = run(runner, WXR, "--author", "nobody@example.com")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "Error: --author: no author with the email nobody@example.com."


# --- Blogger -------------------------------------------------------------------------------------------------------


def test_a_classic_blogger_export_comes_in_whole(app, runner, client):
    result = run(runner, CLASSIC)
    assert result.exit_code == 0, result.output
    assert "Read a Blogger export (classic Atom)." in result.output
    assert (
        "Imported 4 post(s), 1 page(s), 4 comment(s) in 2 thread(s), 1 author(s) (1 new), 2 tag(s) (2 new), "
        "4 redirect(s); 0 skipped."
    ) in result.output
    assert "post 'rain' became 'rain-2' (already taken)" in result.output
    assert "in entry 'Broken entry' from line 60: Namespace prefix media on thumbnail is not defined" in result.output
    found = posts(app)
    assert sorted(found) == ["about-me", "broken-entry", "half-written", "rain", "rain-2"]
    rain = found["rain"]
    assert rain.title == "Deszcz w Łodzi — rain in Łódź" and rain.tag_names == ["weather", "Ślady"]
    assert rain.published_at.isoformat() == "2021-01-10T08:00:00+00:00"
    assert "<script" not in rain.body_html and "document.write" not in rain.body_html
    assert rain.body_html == "<p>It rained <strong>all</strong> week.</p>\n<p>Puddles everywhere.</p>"
    assert rain.body == "It rained **all** week.\n\nPuddles everywhere.\n"
    assert found["half-written"].status == "draft" and found["about-me"].kind == PostKind.PAGE
    assert threads(app) == {
        "rain": [
            ("Kai", "approved", 1, None),
            ("Sol Rivera", "approved", 2, "Kai"),
            ("Kai", "approved", 3, "Sol Rivera"),
        ],
        "half-written": [("Early Reader", "approved", 1, None)],
    }
    response = client.get("/2021/01/rain.html")
    assert response.status_code == 301 and response.headers["Location"] == "/posts/rain"
    assert client.get("/2021/02/rain.html").headers["Location"] == "/posts/rain-2"


def takeout_zip(tmp_path) -> Path:
    path = tmp_path / "takeout-20240101T000000Z-001.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Takeout/Blogger/Blogs/Garden Ledger/theme-classic.xml", "<html/>")
        archive.write(TAKEOUT, "Takeout/Blogger/Blogs/Garden Ledger/feed.atom")
    return path


@pytest.mark.parametrize("packed", [False, True], ids=["feed.atom", "zip"])
def test_a_blogger_takeout_export_comes_in_whole(app, runner, client, tmp_path, packed):
    result = run(runner, takeout_zip(tmp_path) if packed else TAKEOUT)
    assert result.exit_code == 0, result.output
    assert "Read a Blogger Takeout export (feed.atom)." in result.output
    assert (
        "Imported 4 post(s), 1 page(s), 6 comment(s) in 4 thread(s), 1 author(s) (1 new), 1 tag(s) (1 new), "
        "5 redirect(s); 1 skipped."
    ) in result.output
    assert "comment 306 (line 75): in the trash" in result.output
    assert "page 'contact' became 'contact-2' (a reserved address of the site)" in result.output
    assert "post 'tomatoes' became 'tomatoes-2'" in result.output
    found = posts(app)
    assert sorted(found) == ["broken-entry", "compost", "contact-2", "tomatoes", "tomatoes-2"]
    tomatoes = found["tomatoes"]
    assert tomatoes.title == "Tomates & 番茄: a summer" and tomatoes.tag_names == ["vegetables"]
    assert tomatoes.body_html.startswith("<h2>Harvest</h2>") and "alert" not in tomatoes.body_html
    assert found["compost"].status == "draft"
    # The first comment comes before its post in the file: it waits for it.
    assert threads(app) == {
        "tomatoes": [
            ("Ines", "approved", 1, None),
            ("Gus Green", "approved", 2, "Ines"),
            ("Ines", "approved", 3, "Gus Green"),
            ("Pat", "pending", 1, None),
            ("Cheap Seeds", "spam", 1, None),
        ],
        "compost": [("Early Reader", "approved", 1, None)],
    }
    assert client.get("/2022/06/tomatoes.html").headers["Location"] == "/posts/tomatoes"
    assert client.get("/p/contact.html").headers["Location"].endswith("/contact-2")
    before = counts(app)
    again = run(runner, takeout_zip(tmp_path) if packed else TAKEOUT)
    assert "(nothing new)" in again.output and counts(app) == before


# --- bad input -------------------------------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&lol4;</title></item></channel></rss>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&secret;</title>
<wp:post_id>1</wp:post_id><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item></channel></rss>
"""


def truncated(tmp_path) -> Path:
    data = WXR.read_bytes()
    cut = data.index(b"<title><![CDATA[About]]>")  # four items in: written, then rolled back
    path = tmp_path / "truncated.xml"
    path.write_bytes(data[:cut])
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.xml", "missing.xml: no such file."),
        (lambda tmp: tmp / "empty.xml", "empty.xml: the file is empty."),
        (lambda tmp: tmp / "notes.txt", "notes.txt: not an XML file (it does not start with '<')."),
        (lambda tmp: tmp / "page.html", "page.html: XML, but not a WordPress or Blogger export (its root is <html>)."),
        (lambda tmp: tmp / "feed.rss", "feed.rss: an RSS feed, but not a WordPress export"),
        (lambda tmp: tmp / "atom.xml", "atom.xml: an Atom feed, but not a Blogger export"),
        (lambda tmp: tmp / "other.zip", "other.zip: a .zip without a Blogger feed.atom"),
        (truncated, "truncated.xml: the file ends too early (truncated at line"),
        (lambda tmp: tmp / "bomb.xml", "bomb.xml: the XML declares entities (<!ENTITY>); refused"),
        (lambda tmp: tmp / "entity.xml", "entity.xml: the XML declares entities (<!ENTITY>); refused"),
    ],
    ids=["missing", "empty", "not-xml", "not-export", "rss", "atom", "zip", "truncated", "bomb", "external-entity"],
)
def test_bad_input_gets_one_clear_line_and_exit_code_1(app, runner, tmp_path, make, message):
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("Just some notes, not an export.\n")
    (tmp_path / "page.html").write_text("<html><body><p>Hello</p></body></html>")
    (tmp_path / "feed.rss").write_text('<rss version="2.0"><channel><title>x</title></channel></rss>')
    (tmp_path / "atom.xml").write_text('<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id></feed>')
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("notes.txt", "hello")
    (tmp_path / "bomb.xml").write_text(BILLION_LAUGHS)
    (tmp_path / "entity.xml").write_text(EXTERNAL_ENTITY)
    before = counts(app)
    result = run(runner, make(tmp_path))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, never a traceback
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.output
    assert "root:" not in result.output
    assert counts(app) == before  # a file that fails half way leaves nothing behind


def test_an_import_that_fails_half_way_leaves_nothing_behind(app, runner, author, tmp_path):
    before = counts(app)
    result = run(runner, truncated(tmp_path))
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert counts(app) == before
    # The whole file afterwards imports normally.
    assert "Imported 5 post(s), 2 page(s)" in run(runner, WXR).output


# --- a very large export ----------------------------------------------------------------------------------------------


def write_large_export(path: Path, megabytes: int, body_kilobytes: int) -> int:
    """A WXR file of about `megabytes`, each post a body of `body_kilobytes` and one comment; returns the posts."""
    paragraph = "<p>" + "The tide came in over the old stones and the gulls argued about it. " * 12 + "</p>\n"
    body = paragraph * max(1, body_kilobytes * 1024 // len(paragraph))
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n<link>https://big.example.com</link>\n'
        )
        n = 0
        while out.tell() < megabytes * 1024 * 1024:
            n += 1
            out.write(
                f"<item><title>Post {n}</title><link>https://big.example.com/{n}/</link><dc:creator>big</dc:creator>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded><wp:post_id>{n}</wp:post_id>"
                f"<wp:post_date_gmt>2020-01-01 10:00:00</wp:post_date_gmt><wp:post_name>post-{n}</wp:post_name>"
                "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
                f"<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>R</wp:comment_author>"
                "<wp:comment_content>Nice.</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
                "<wp:comment_parent>0</wp:comment_parent></wp:comment></item>\n"
            )
        out.write("</channel>\n</rss>\n")
    return n


MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print("MAX_RSS_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(done.returncode)
"""


def import_measured(database_url: str, path: Path, *options) -> tuple[str, float]:
    """Run the import in a process of its own; its output and its peak memory in MB."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x"}
    command = [sys.executable, "-m", "flask", "--app", "blog", "import", str(path), *options]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    peak_kb = int(done.stdout.rsplit("MAX_RSS_KB", 1)[1])
    return done.stdout, peak_kb / 1024


def test_a_large_export_is_streamed_in_flat_memory(sqlite_template, tmp_path):
    """96 MB read whole (dry run: parsing, checks, slugs, threads) takes no more memory than 10 MB really imported:
    were the file held whole, the first would need 96 MB more. Both stay under 300 MB."""
    database = tmp_path / "blog.sqlite3"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    large = tmp_path / "large.xml"
    n = write_large_export(large, megabytes=96, body_kilobytes=1000)
    assert large.stat().st_size > 96 * 1024 * 1024
    output, large_peak = import_measured(url, large, "--dry-run")
    assert f"Would import {n} post(s), 0 page(s), {n} comment(s)" in output
    large.unlink()

    medium = tmp_path / "medium.xml"
    n = write_large_export(medium, megabytes=10, body_kilobytes=100)
    output, medium_peak = import_measured(url, medium)
    assert f"Imported {n} post(s), 0 page(s), {n} comment(s)" in output
    assert medium_peak < 300, f"{medium_peak:.0f} MB"
    assert large_peak < medium_peak + 48, f"{large_peak:.0f} MB for 96 MB, {medium_peak:.0f} MB for 10 MB"


def test_our_own_export_brings_its_markdown_old_paths_and_deleted_comments(app, runner, client, author):
    result = run(runner, FIXTURES / "flask-blog.xml")
    assert result.exit_code == 0, result.output
    assert "Imported 1 post(s), 0 page(s), 2 comment(s) in 1 thread(s), 1 author(s) (0 new)" in result.output
    post = posts(app)["packing-for-the-coast"]
    assert post.body == "Three things I packed:\n\n- a notebook\n- **patience**\n"
    assert "<li><strong>patience</strong></li>" in post.body_html and "Rendered HTML" not in post.body_html
    assert threads(app) == {"packing-for-the-coast": [("", "deleted", 1, None), ("Bo", "approved", 2, "")]}
    page = text(client.get("/posts/packing-for-the-coast"))
    assert "This comment was deleted." in page and "A reply that outlived its parent." in page
    for old in ("/posts/packing", "/posts/what-i-packed"):
        assert client.get(old).headers["Location"] == "/posts/packing-for-the-coast", old
    # Its ids are this blog's own: no WordPress-style /?p=<id> address is made up for them.
    assert client.get("/?p=7").status_code == 200
    # The post's own address is not a redirect of itself; the editor has its first revision.
    with app.app_context():
        paths = set(db.session.scalars(select(Redirect.old_path)))
        assert "/posts/packing-for-the-coast" not in paths
        assert db.session.scalar(select(func.count(PostRevision.id)).where(PostRevision.post_id == post.id)) == 1


def test_replies_deeper_than_the_site_shows_keep_their_parent(make_app):
    app = make_app(COMMENT_MAX_DEPTH=2)
    result = run(app.test_cli_runner(), WXR)
    assert "1 repl(ies) deeper than COMMENT_MAX_DEPTH (2): each keeps its parent" in result.output
    assert ("Lena", "approved", 3, "Ada W.") in threads(app)["hello-world"]
    page = text(app.test_client().get("/posts/hello-world"))
    assert "The old one, north of town." in page and "Thanks, I will go <em>next spring</em>." in page


def test_scheduled_and_trashed_wordpress_posts(app, runner, client, tmp_path):
    item = (
        "<item><title>{title}</title><dc:creator>ada</dc:creator><content:encoded>Words.</content:encoded>"
        "<wp:post_id>{id}</wp:post_id><wp:post_date_gmt>{date}</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>"
        "<wp:status>{status}</wp:status><wp:post_type>post</wp:post_type></item>"
    )
    items = [
        item.format(title="Coming soon", id=1, date="2999-01-01 10:00:00", slug="coming-soon", status="future"),
        item.format(title="Binned", id=2, date="2020-01-01 10:00:00", slug="binned", status="trash"),
        item.format(title="Scratch", id=3, date="0000-00-00 00:00:00", slug="", status="auto-draft"),
    ]
    path = tmp_path / "statuses.xml"
    path.write_text(
        '<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><link>https://s.example.com</link>'
        + "".join(items)
        + "</channel></rss>"
    )
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "post 'Binned': in the trash, imported as a draft" in result.output
    assert "post 'Scratch' (line 1): an auto-draft WordPress saved by itself" in result.output
    found = posts(app)
    assert found["coming-soon"].status == "scheduled" and found["binned"].status == "draft"
    assert "Coming soon" not in text(client.get("/"))


def test_replies_whose_parent_is_missing_and_comments_without_their_post(app, runner, tmp_path):
    def comment(number, post, reply_to=""):
        return (
            f"<entry><id>tag:blogger.com,1999:blog-5.post-{number}</id>"
            f"<blogger:parent>tag:blogger.com,1999:blog-5.post-{post}</blogger:parent>"
            f"<blogger:inReplyTo>{reply_to}</blogger:inReplyTo><blogger:type>COMMENT</blogger:type>"
            f"<blogger:status>LIVE</blogger:status><author><name>R{number}</name></author>"
            f"<content type='html'>Comment {number}</content><published>2022-01-0{number % 9 + 1}T10:00:00Z</published>"
            "</entry>"
        )

    path = tmp_path / "feed.atom"
    path.write_text(
        "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='http://schemas.google.com/blogger/2018'>"
        "<id>tag:blogger.com,1999:blog-5</id>"
        + comment(21, 1, reply_to="20")  # its parent was deleted on Blogger
        + comment(22, 1, reply_to="21")  # a reply to that reply: waits for it, then follows it
        + comment(23, 9)  # a comment on a post that is not in the export
        + "<entry><id>tag:blogger.com,1999:blog-5.post-1</id><blogger:type>POST</blogger:type>"
        "<blogger:status>LIVE</blogger:status><title>Only post</title><content type='html'>Hi</content>"
        "<published>2022-01-01T09:00:00Z</published><blogger:filename>/2022/01/only.html</blogger:filename></entry>"
        "</feed>"
    )
    for options in (["--dry-run"], []):
        result = run(runner, path, *options)
        assert result.exit_code == 0, result.output
        assert "comment 21 replies to comment 20, which is not in the export: imported as a top-level comment" in (
            result.output
        )
        assert "comment 23: its post 9 is not in the export" in result.output
        assert "2 comment(s) in 1 thread(s)" in result.output
    assert threads(app) == {"only": [("R21", "approved", 1, None), ("R22", "approved", 2, "R21")]}


def test_an_imported_post_is_edited_as_markdown(app, runner, writer):
    assert run(runner, WXR, "--author", "ada@example.com").exit_code == 0
    hello = posts(app)["hello-world"]
    editor = text(writer.get(f"/admin/posts/{hello.id}/edit"))
    assert "## What we saw" in editor and "- gulls" in editor
    saved = write(writer, title=hello.title, body=hello.body + "\nOne more line.\n", button="update", post_id=hello.id)
    assert saved.headers["Location"] == f"/admin/posts/{hello.id}/edit"
    again = posts(app)["hello-world"]
    assert "<h2>What we saw</h2>" in again.body_html and "<p>One more line.</p>" in again.body_html
    assert "<li>gulls</li>" in again.body_html and 'alt="A blue boat"' in again.body_html


def test_closed_comments_stay_closed(app, runner, tmp_path):
    path = tmp_path / "closed.xml"
    path.write_text(
        WXR.read_text(encoding="utf-8").replace(
            "<wp:comment_status><![CDATA[open]]></wp:comment_status>",
            "<wp:comment_status><![CDATA[closed]]></wp:comment_status>",
        )
    )
    assert run(runner, path).exit_code == 0
    found = posts(app)
    assert not found["hello-world"].comments_open and found["hello-world-2"].comments_open
