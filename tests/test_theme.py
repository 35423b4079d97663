"""The reader's theme as served: one name and tagline, the sidebar's tags, months and About line (read once per
content version), the article's address for print, and no inline style anywhere."""

import re
from datetime import UTC, datetime, timedelta

from .conftest import NOW
from .helpers import count_queries, text


def body_of(response) -> str:
    page = text(response)
    return page[page.index("<body") :]


def sidebar_of(response) -> str:
    page = text(response)
    return page[page.index('<aside class="sidebar"') : page.index("</aside>")]


def test_the_home_page_names_the_blog_once_and_features_its_newest_post(client, content):
    content.post("Older Walk", days_ago=3)
    content.post("Newest Walk", days_ago=1)
    home = body_of(client.get("/"))
    assert re.findall(r"<h1[^>]*>.*?</h1>", home, re.S) == ['<h1 class="site-name"><a href="/">Test Blog</a></h1>']
    assert home.count("Notes from the test suite") == 1
    featured = home[home.index('<article class="post-feature">') :]
    assert featured.index("Newest Walk") < featured.index('<div class="post-cards">') < featured.index("Older Walk")
    # Other pages keep their own heading; the name in the header is no heading there.
    article = body_of(client.get("/posts/older-walk"))
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", article) == ["Older Walk"]


def test_the_sidebar_counts_listed_posts_by_tag_and_month(client, content):
    content.post("May One", published_at=datetime(2024, 5, 3, tzinfo=UTC), tags=["Travel", "Food"])
    content.post("May Two", published_at=datetime(2024, 5, 20, tzinfo=UTC), tags=["Travel"])
    content.post("June One", published_at=datetime(2024, 6, 2, tzinfo=UTC), tags=["Travel"])
    content.post("Hidden Draft", draft=True, tags=["Travel", "Secret"])
    content.post("Coming Soon", published_at=NOW + timedelta(days=2), tags=["Travel", "Secret"])
    for url in ("/", "/posts/may-one", "/tags/travel"):
        sidebar = sidebar_of(client.get(url))
        tags = re.findall(r'<a href="/tags/([\w-]+)">([^<]+) <span class="tag-count">(\d+)</span></a>', sidebar)
        assert tags == [("travel", "Travel", "3"), ("food", "Food", "1")], url  # the most used first
        months = re.findall(
            r'<a href="/archive/(\d{4}/\d\d)">([^<]+)</a> <span class="month-count">(\d+)</span>', sidebar
        )
        assert months == [("2024/06", "June 2024", "1"), ("2024/05", "May 2024", "2")], url
        assert "Test Blog has published 3 posts since May 2024." in sidebar
        assert '<a href="/feed.atom">' in sidebar and '<label for="site-search">Search this blog</label>' in sidebar
    # The archive lists the months itself: the sidebar does not repeat them there.
    assert 'class="month-count"' not in sidebar_of(client.get("/posts/"))


def test_the_sidebar_reads_tags_and_months_once_per_content_version(app, client, content):
    content.post("First Walk", tags=["Coast"])
    client.get("/")  # the first page at this version reads them
    with count_queries(app) as statements:
        assert "Coast" in sidebar_of(client.get("/posts/first-walk"))
    assert [s for s in statements if "GROUP BY" in s] == []  # neither the tags' nor the months' aggregate
    content.post("Second Walk", tags=["Harbour"])  # a new version: read again, with the new tag
    assert '<a href="/tags/harbour">Harbour <span class="tag-count">1</span></a>' in sidebar_of(client.get("/"))


def test_the_article_carries_its_address_for_print_and_no_page_an_inline_style(client, content):
    content.post("Printed Walk", tags=["Coast"])
    article = text(client.get("/posts/printed-walk"))
    assert '<p class="print-only print-url">Online at <a href="http://localhost/posts/printed-walk">' in article
    for url in ("/", "/posts/", "/posts/printed-walk", "/tags/coast", "/search?q=walk", "/contact", "/login"):
        page = text(client.get(url))
        assert not re.search(r"\sstyle=", page), url
        assert "<style" not in page, url


def test_the_login_and_reset_forms_ask_the_browser_for_an_email(client):
    for url in ("/login", "/reset-password"):
        page = text(client.get(url))
        email_input = re.search(r'<input[^>]*type="email"[^>]*>', page)
        assert email_input and 'autocomplete="email"' in email_input.group(0), url
        assert 'autocomplete="username"' not in page, url


def test_listings_and_search_lay_their_posts_out_as_cards_like_the_home(client, content):
    content.post("Coast Walk", body="A walk along the coast.", days_ago=2, tags=["Coast"])
    content.post("Hill Walk", body="A walk over the hill.", days_ago=1)
    archive = body_of(client.get("/posts/"))
    cards = archive[archive.index('<div class="post-cards">') :]
    assert cards.index("Hill Walk") < cards.index("Coast Walk") < cards.index("</div>")
    for url in ("/tags/coast", "/authors/ada-writer", f"/archive/{NOW - timedelta(days=1):%Y/%m}"):
        assert '<div class="post-cards">' in body_of(client.get(url)), url
    results = body_of(client.get("/search?q=walk"))
    grid = results[results.index('<ol class="search-results post-cards">') : results.index("</ol>")]
    assert grid.count('<li class="search-result">') == 2


def current_links(page: str) -> list[str]:
    nav = page[page.index('<nav class="site-nav"') : page.index("</nav>")]
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', nav)


def test_the_header_marks_the_page_the_reader_is_on(client, content):
    content.post("Coast Walk", days_ago=1)
    assert current_links(text(client.get("/"))) == ["Home"]
    assert current_links(text(client.get("/posts/"))) == ["Archive"]
    assert current_links(text(client.get("/contact"))) == ["Contact"]
    assert current_links(text(client.get("/contact/thanks"))) == ["Contact"]
    assert current_links(text(client.get("/posts/coast-walk"))) == []  # an article is none of the links
