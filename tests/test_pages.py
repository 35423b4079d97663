"""Pages ("About") at /<slug>: never listed, in search and the sitemap, made in the editor, in the navigation."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import NavItem, Post, PostKind, Redirect
from blog.posts.services import RESERVED_SLUGS, publish, unique_slug

from .conftest import NOW, Content
from .helpers import csrf_token_of, field_errors, queries_for, saved_id, text, token_of, write

ABOUT_BODY = "I write about **harbours** and the people who leave them."


def make_page(app, title="About Me", *, slug="about", body=ABOUT_BODY, draft=False, tags=(), nav=False, **fields):
    """A page as an import or the editor leaves it (comments closed unless asked), optionally in the nav."""
    from blog.posts.services import tag_named
    from blog.site_nav.services import show_in_navigation

    with app.app_context():
        author = db.session.scalar(select(Post.author_id)) or Content(app).author(email="page@example.com")
        page = Post(
            title=title,
            slug=slug,
            kind=PostKind.PAGE,
            excerpt=f"Excerpt of {title}",
            author_id=author,
            comments_open=fields.get("comments_open", False),
            tags=[tag_named(name) for name in tags],
        )
        page.set_body(body)
        if not draft:
            publish(page, NOW - timedelta(days=fields.get("days_ago", 2)))
        db.session.add(page)
        db.session.flush()
        if nav:
            show_in_navigation(page, True)
        db.session.commit()
        return page.id


def header_nav(response) -> list[tuple[str, str]]:
    """(href, label) of the links in the header's main navigation."""
    nav = re.search(r'<nav class="site-nav"[^>]*>(.*?)</nav>', text(response), re.S).group(1)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


def main_of(response) -> str:
    """The page's <main>, without the header's navigation."""
    return re.search(r"<main[^>]*>(.*?)</main>", text(response), re.S).group(1)


@pytest.fixture
def blog_with_page(app, content):
    """A published article "Harbour Walk" (tag Coast) one day old, and a page "About Me" at /about, tagged Coast too."""
    content.post("Harbour Walk", "Gulls and harbours.", slug="harbour-walk", tags=["Coast"])
    make_page(app, tags=["Coast"])
    return app


def test_a_page_is_at_its_slug_and_never_in_listings_feeds_archives_or_neighbours(blog_with_page, client, content):
    page = client.get("/about")
    assert page.status_code == 200
    body = text(page)
    assert "<h1>About Me</h1>" in body and "<strong>harbours</strong>" in body
    assert "min read" not in body and "Previous article" not in body  # no date line, no neighbours
    assert '"@type": "WebPage"' in body
    # A newer article has no page as its neighbour either.
    content.post("Boats", slug="boats", days_ago=0)
    assert "About Me" not in text(client.get("/posts/harbour-walk"))
    assert "About Me" not in text(client.get("/posts/boats"))

    month = NOW - timedelta(days=1)
    for url in ["/", "/posts/", "/tags/coast", "/feed.atom", f"/archive/{month:%Y}/{month:%m}"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "About Me" not in text(response), url
        assert "Harbour Walk" in text(response), url
    # The archive's month list counts articles only (two in that month at most, never the page).
    archive = text(client.get("/posts/"))
    assert "About Me" not in archive


def test_a_page_is_in_the_sitemap_and_in_search_linking_to_its_slug(blog_with_page, client):
    sitemap = text(client.get("/sitemap-2.xml"))  # /sitemap.xml is an index; the posts and pages by id
    assert "<loc>http://localhost/about</loc>" in sitemap
    assert "/posts/about" not in sitemap and "<loc>http://localhost/posts/harbour-walk</loc>" in sitemap
    found = text(client.get("/search?q=harbours"))
    assert '<a href="/about">About Me</a>' in found
    assert '<a href="/posts/harbour-walk">Harbour Walk</a>' in found


def test_each_kind_answers_at_its_own_address_and_301s_from_the_other(blog_with_page, client):
    moved = client.get("/posts/about?cpage=2")
    assert moved.status_code == 301 and moved.headers["Location"] == "/about?cpage=2"
    article = client.get("/harbour-walk")
    assert article.status_code == 301 and article.headers["Location"] == "/posts/harbour-walk"
    assert client.get("/no-such-page").status_code == 404


def test_a_draft_page_is_not_shown(app, client):
    make_page(app, draft=True, nav=True)
    assert client.get("/about").status_code == 404
    assert "About Me" not in text(client.get("/search?q=harbours"))
    assert ("/about", "About Me") not in header_nav(client.get("/"))


def test_every_route_of_the_site_has_its_first_path_segment_reserved(app):
    segments = set()
    for rule in app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/")[0]
        if first and "<" not in first:
            segments.add(first)
    assert "posts" in segments and "admin" in segments
    assert segments <= RESERVED_SLUGS, sorted(segments - RESERVED_SLUGS)


def test_a_reserved_slug_is_refused_in_the_editor_with_the_text_kept(client, writer):
    response = write(client, title="Our Archive", slug="Archive", kind="page", button="publish")
    assert response.status_code == 200
    assert field_errors(response)["slug"] == "The site itself uses the address /archive: choose another slug."
    page = text(response)
    assert 'value="Our Archive"' in page and 'value="Archive"' in page
    assert re.search(r'<input[^>]*checked[^>]*value="page"|<input[^>]*value="page"[^>]*checked', page)
    with client.application.app_context():
        assert db.session.scalar(select(Post.id)) is None


def test_a_title_that_is_a_route_gets_a_suffixed_slug(app, client, writer):
    post_id = saved_id(write(client, title="Search", kind="page", button="publish"))
    with app.app_context():
        assert db.session.get(Post, post_id).slug == "search-2"
        # An imported page whose slug is a route gets the same suffix from unique_slug.
        assert unique_slug("Contact") == "contact-2" and unique_slug("Feed.atom") == "feed-atom"
    assert client.get("/search-2").status_code == 200
    assert "<h1>Search results" in text(client.get("/search?q=search"))  # the route still answers


def test_the_editor_makes_a_page_with_comments_closed_shown_in_the_navigation(app, client, writer):
    form = client.get("/admin/posts/new")
    assert "<legend>Type</legend>" in text(form)
    assert '<label for="kind-0">Post</label>' in text(form) and '<label for="kind-1">Page</label>' in text(form)
    assert '<label for="in_navigation">Show in navigation</label>' in text(form)

    post_id = saved_id(
        write(client, title="About Me", body=ABOUT_BODY, kind="page", in_navigation="y", button="publish")
    )
    with app.app_context():
        page = db.session.get(Post, post_id)
        assert page.kind == PostKind.PAGE and page.slug == "about-me" and not page.comments_open
    about = text(client.get("/about-me"))
    assert "Leave a comment" not in about and "No comments yet" not in about and "Comments are closed" not in about
    for url in ["/", "/posts/", "/about-me", "/search?q=x", "/contact"]:  # the dashboard has no public header
        assert ("/about-me", "About Me") in header_nav(client.get(url)), url
    # The next one goes at the end; the fixed items keep their places.
    saved_id(write(client, title="Colophon", kind="page", in_navigation="y", button="publish"))
    assert header_nav(client.get("/")) == [
        ("/", "Home"),
        ("/posts/", "Archive"),
        ("/about-me", "About Me"),
        ("/colophon", "Colophon"),
        ("/contact", "Contact"),
    ]
    # The editor shows the box ticked; unticking takes the page out.
    editor = text(client.get(f"/admin/posts/{post_id}/edit"))
    assert re.search(r'<input[^>]* checked [^>]*name="in_navigation"', editor)
    write(client, title="About Me", kind="page", slug="about-me", post_id=post_id, button="update")
    assert ("/about-me", "About Me") not in header_nav(client.get("/"))

    listing = text(client.get("/admin/posts"))
    assert '<td data-label="Type">Page</td>' in listing and "/about-me" in listing
    assert "Colophon" in main_of(client.get("/admin/posts?kind=page"))
    assert "Colophon" not in main_of(client.get("/admin/posts?kind=post"))


def test_an_unpublished_page_leaves_the_navigation_until_it_is_published(app, client, writer):
    post_id = saved_id(write(client, title="About Me", kind="page", in_navigation="y", button="save_draft"))
    assert "/about-me" not in dict(header_nav(client.get("/")))
    write(client, title="About Me", kind="page", slug="about-me", in_navigation="y", post_id=post_id, button="publish")
    assert "/about-me" in dict(header_nav(client.get("/")))
    write(
        client, title="About Me", kind="page", slug="about-me", in_navigation="y", post_id=post_id, button="unpublish"
    )
    assert "/about-me" not in dict(header_nav(client.get("/")))
    with app.app_context():  # still in the list: published again, it comes back in its place
        assert db.session.scalar(select(NavItem.post_id)) == post_id


def test_a_page_slug_change_leaves_a_301_at_the_old_address(app, client, writer):
    post_id = saved_id(write(client, title="About", kind="page", button="publish"))
    assert client.get("/about").status_code == 200
    write(client, title="About", kind="page", slug="about-me", post_id=post_id, button="update")
    moved = client.get("/about")
    assert moved.status_code == 301 and moved.headers["Location"] == "/about-me"
    # A post that becomes a page moves too: its /posts/ address answers 301 to /<slug>.
    article_id = saved_id(write(client, title="Harbour Notes", button="publish"))
    write(client, title="Harbour Notes", kind="page", slug="harbour-notes", post_id=article_id, button="update")
    moved = client.get("/posts/harbour-notes")
    assert moved.status_code == 301 and moved.headers["Location"] == "/harbour-notes"
    with app.app_context():
        assert set(db.session.scalars(select(Redirect.old_path))) == {"/about", "/posts/harbour-notes"}


def test_the_home_page_runs_the_same_queries_however_long_the_navigation(app, client):
    Content(app).post("Harbour Walk")
    make_page(app, "One", slug="one", nav=True)
    one = queries_for(app, client, "/")
    for n in range(2, 6):
        make_page(app, f"Page {n}", slug=f"page-{n}", nav=True)
    many = queries_for(app, client, "/")
    assert [label for _, label in header_nav(client.get("/"))][2:7] == ["One", "Page 2", "Page 3", "Page 4", "Page 5"]
    assert many == one


def test_comments_on_a_page_post_link_and_feed_at_its_slug(make_app):
    app = make_app(COMMENT_MIN_SECONDS=0, COMMENT_MODERATION="none", COMMENT_RATE_LIMIT="1000 per minute")
    make_page(app, comments_open=True)
    client = app.test_client()
    page = client.get("/about")
    assert "Leave a comment" in text(page)
    data = {"token": token_of(page), "parent_id": "", "website": "", "name": "Bo", "email": "bo@example.com"}
    posted = client.post("/posts/about/comments", data={**data, "body": "Nice to meet you.", "submit": "Post comment"})
    assert posted.status_code == 302
    location = posted.headers["Location"]
    assert re.fullmatch(r"/about#comment-\d+", location), location
    comment_id = int(location.rsplit("-", 1)[1])
    assert client.get(f"/comments/{comment_id}").headers["Location"] == location
    assert "Nice to meet you." in text(client.get("/about"))
    feed = text(client.get("/posts/about/comments.atom"))
    assert "Nice to meet you." in feed and 'href="http://localhost/about#comments"' in feed

    # Closed later, the page still shows the comments it has.
    with app.app_context():
        db.session.scalar(select(Post)).comments_open = False
        db.session.commit()
    closed = text(client.get("/about"))
    assert "Nice to meet you." in closed and "Comments are closed." in closed


def test_the_navigation_can_be_reordered_by_an_admin(app, client, admin, auth):
    first = make_page(app, "First", slug="first", nav=True)
    make_page(app, "Second", slug="second", nav=True)
    auth.log_in("rita@example.com", client=client)
    listing = client.get("/admin/navigation")
    assert "Move down" in text(listing)
    with app.app_context():
        item_id = db.session.scalar(select(NavItem.id).where(NavItem.post_id == first))
    moved = client.post(f"/admin/navigation/{item_id}/down", data={"csrf_token": csrf_token_of(listing)})
    assert moved.headers["Location"] == "/admin/navigation"
    assert [label for _, label in header_nav(client.get("/"))][2:4] == ["Second", "First"]
    client.post(f"/admin/navigation/{item_id}/remove")
    assert "First" not in dict((label, href) for href, label in header_nav(client.get("/")))
    assert client.get("/first").status_code == 200  # the page itself stays


def test_only_admins_reorder_the_navigation(client, writer):
    assert client.get("/admin/navigation").status_code == 403


def test_the_demo_has_an_about_page_in_the_navigation(app, runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert ("/about", "About") in header_nav(client.get("/"))
    about = client.get("/about")
    assert about.status_code == 200 and "<h1>About</h1>" in text(about)
    assert '<a href="/about">' not in main_of(client.get("/posts/"))
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "0 page(s) added" in again.output
    assert header_nav(client.get("/")).count(("/about", "About")) == 1


def test_month_counts_and_dashboard_counts_leave_pages_out(app, client, writer):
    article_id = saved_id(write(client, title="Harbour Walk", button="publish"))
    saved_id(write(client, title="About Me", kind="page", button="publish"))
    saved_id(write(client, title="Imprint", kind="page", button="save_draft"))
    with app.app_context():
        published_at = db.session.get(Post, article_id).published_at
    archive = main_of(client.get("/posts/"))
    assert re.search(rf"{published_at:%B %Y}</a> \(1\)", archive), archive
    panel = main_of(client.get("/admin/"))
    assert "<strong>1</strong> published" in panel and "<strong>0</strong> drafts" in panel
    assert "<strong>2</strong> pages" in panel
