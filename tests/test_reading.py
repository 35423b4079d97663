"""What a reader sees: home, archive, article, tags, months, 404s and old URLs."""

import re
from datetime import UTC, datetime, timedelta

from blog.extensions import db
from blog.models import Post, Redirect

from .conftest import NOW
from .helpers import BYLINE, text


def main_of(response) -> str:
    """The page's main content, without the Recent Posts sidebar."""
    page = text(response)
    return page[page.index("<main") : page.index("</main>")]


def test_reader_journey_home_article_tag_archive(client, content):
    for i in range(12):
        content.post(f"Post {i:02d}", days_ago=30 - i, tags=["Travel"] if i == 11 else ())
    content.post("Mission And Goals", "## History\n\nFounded in *1951*.", tags=["IOM", "Migration"], days_ago=0.5)

    home = text(client.get("/"))
    assert "Test Blog" in home and "Notes from the test suite" in home
    assert '<a href="/posts/mission-and-goals">Mission And Goals</a>' in home
    assert BYLINE in home and "min read" in home and "Read more" in home
    assert '<a class="see-all" href="/posts/">See All</a>' in home

    article = text(client.get("/posts/mission-and-goals"))
    assert "<h1>Mission And Goals</h1>" in article
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00">', article)
    assert "<h2>History</h2>" in article and "<em>1951</em>" in article
    assert '<a href="/tags/iom">IOM</a>' in article
    assert "Recent Posts" in article
    assert 'rel="prev" href="/posts/post-11"' in article  # the article published before it

    tag = main_of(client.get("/tags/iom"))
    assert "Posts tagged “IOM”" in tag and "Mission And Goals" in tag and "Post 03" not in tag

    archive = text(client.get("/posts/"))
    assert archive.count('class="post-summary"') == 10
    assert 'href="/posts/?page=2"' in archive
    page2 = main_of(client.get("/posts/?page=2"))
    assert page2.count('class="post-summary"') == 3
    assert "Post 00" in page2 and "Mission And Goals" not in page2


def test_recent_posts_block_shows_the_five_newest_on_every_page(client, content):
    """Every page has one "Recent Posts" with "See All": the sidebar's five newest, or on the home page the
    main list itself (the page's posts, the newest featured first), which the sidebar then does not repeat."""
    for i in range(7):
        content.post(f"Entry {i}", days_ago=10 - i, tags=["Diary"])
    for url in ["/", "/posts/", "/posts/entry-0", "/tags/diary", "/no-such-page"]:
        page = text(client.get(url))
        assert page.count("Recent Posts") == 1, url
        block = page[page.index("Recent Posts") :]
        block = block[: block.index("</section>")]
        newest = (6, 5, 4, 3, 2, 1, 0) if url == "/" else (6, 5, 4, 3, 2)
        assert [f"Entry {i}" for i in newest] == re.findall(r">(Entry \d)</a>", block), url
        assert 'href="/posts/">See All</a>' in block
    home = text(client.get("/"))
    main = home[home.index("<main") : home.index("</main>")]
    assert main.index('<article class="post-feature">') < main.index(">Entry 6</a>") < main.index(">Entry 5</a>")


def test_drafts_and_scheduled_posts_are_hidden_everywhere(client, content):
    content.post("Visible Post", tags=["Shared"])
    content.post("Secret Draft", draft=True, tags=["Shared", "Draftonly"])
    content.post("Draft With A Date", draft=True, published_at=NOW - timedelta(days=2), tags=["Shared"])
    content.post("Future Post", published_at=NOW + timedelta(days=3), tags=["Shared"])

    month = NOW - timedelta(days=1)
    pages = ["/", "/posts/", "/tags/shared", f"/archive/{month:%Y}/{month:%m}", "/posts/visible-post"]
    for url in pages:
        page = text(client.get(url))
        assert "Visible Post" in page, url
        for hidden in ("Secret Draft", "Draft With A Date", "Future Post"):
            assert hidden not in page, (url, hidden)
    for slug in ("secret-draft", "draft-with-a-date", "future-post"):
        assert client.get(f"/posts/{slug}").status_code == 404
    assert client.get("/tags/draftonly").status_code == 404


def test_scheduled_post_goes_live_at_its_time_without_a_job(app, client, content):
    post_id = content.post("Soon", published_at=NOW + timedelta(hours=1))
    assert client.get("/posts/soon").status_code == 404
    with app.app_context():
        db.session.get(Post, post_id).published_at = NOW - timedelta(seconds=1)
        db.session.commit()
    assert "<h1>Soon</h1>" in text(client.get("/posts/soon"))


def test_bad_pages_give_the_404_page_not_a_500(client, content):
    content.post("Only Post")
    for url in [
        "/posts/?page=2",
        "/posts/?page=abc",
        "/posts/?page=0",
        "/posts/?page=-1",
        "/posts/?page=99999999999999",
        "/posts/nope",
        "/tags/nope",
        "/archive/2024/13",
        "/archive/1999/01",
        "/no/such/url",
        "/posts/?page=%C2%B2",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in text(response) and "Recent Posts" in text(response)


def test_tag_names_are_unique_regardless_of_case(app, client, content):
    content.post("One", tags=["Python"])
    content.post("Two", tags=["python"])
    content.post("Three", tags=["PYTHON"])
    page = text(client.get("/tags/python"))
    assert all(title in page for title in ("One", "Two", "Three"))
    assert client.get("/tags/PYTHON").status_code == 200
    with app.app_context():
        from sqlalchemy import func, select

        from blog.models import Tag

        assert db.session.scalar(select(func.count(Tag.id))) == 1


def test_month_archive_lists_that_months_posts_and_is_linked_from_the_archive(client, content):
    content.post("May Post", published_at=datetime(2024, 5, 10, 12, tzinfo=UTC))
    content.post("June Post", published_at=datetime(2024, 6, 1, 12, tzinfo=UTC))
    archive = text(client.get("/posts/"))
    assert '<a href="/archive/2024/05">May 2024</a> (1)' in archive
    assert '<a href="/archive/2024/06">June 2024</a> (1)' in archive
    may = main_of(client.get("/archive/2024/05"))
    assert "Posts from May 2024" in may and "May Post" in may and "June Post" not in may


def test_dates_are_shown_in_the_site_time_zone(make_app):
    from .conftest import Content

    app = make_app(SITE_TIMEZONE="Asia/Tokyo")
    Content(app).post("Late Night", published_at=datetime(2024, 5, 31, 20, 0, tzinfo=UTC))
    client = app.test_client()
    article = text(client.get("/posts/late-night"))
    assert '<time datetime="2024-06-01T05:00+09:00">June 1, 2024</time>' in article
    assert "Late Night" in text(client.get("/archive/2024/06"))
    assert client.get("/archive/2024/05").status_code == 404
    with app.app_context():
        stored = db.session.scalar(db.select(Post.published_at))
    assert stored == datetime(2024, 5, 31, 20, 0, tzinfo=UTC)


def test_old_urls_redirect_permanently_to_the_post(app, client, content):
    post_id = content.post("Renamed", slug="new-slug")
    with app.app_context():
        db.session.add_all(
            [
                Redirect(old_path="/posts/old-slug", post_id=post_id),
                Redirect(old_path="/2019/05/imported-page.html", post_id=post_id),
            ]
        )
        db.session.commit()
    for old in ["/posts/old-slug", "/2019/05/imported-page.html"]:
        response = client.get(old)
        assert response.status_code == 301
        assert response.headers["Location"] == "/posts/new-slug"


def test_redirect_to_a_draft_is_a_404(app, client, content):
    post_id = content.post("Hidden", draft=True)
    with app.app_context():
        db.session.add(Redirect(old_path="/posts/was-hidden", post_id=post_id))
        db.session.commit()
    assert client.get("/posts/was-hidden").status_code == 404


def test_markdown_is_rendered_and_sanitised(client, content):
    body = (
        "# Top\n\n- one\n- two\n\n> quoted\n\n`code` and [link](https://example.com) "
        "[bad](javascript:alert(1))\n\n<script>alert('x')</script>\n\n"
        "<img src=x onerror=alert(1)>\n\n```\nprint('hi')\n```\n"
    )
    content.post("Rich", body)
    page = text(client.get("/posts/rich"))
    body_html = page[page.index('<div class="article-body">') : page.index("</article>")]
    assert "<h2>Top</h2>" in body_html and page.count("<h1>") == 1
    assert "<li>one</li>" in body_html and "<blockquote>" in body_html
    assert "<code>code</code>" in body_html
    assert '<a href="https://example.com" rel="noopener noreferrer">link</a>' in body_html
    assert 'href="javascript' not in body_html and "[bad](javascript:alert(1))" in body_html
    assert "<script" not in body_html and "<img" not in body_html
    assert "&lt;script&gt;" in body_html and "&lt;img src=x onerror" in body_html  # shown as text, never run
    assert "<pre><code>print(&#x27;hi&#x27;)" in body_html or "<pre><code>print('hi')" in body_html


def test_titles_and_names_are_escaped(client, content):
    content.post("<b>Bold</b> & co", slug="bold", excerpt="<i>x</i>")
    page = text(client.get("/posts/bold"))
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page and "<b>Bold</b>" not in page
