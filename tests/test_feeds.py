"""Feeds, sitemap, robots.txt and the meta tags that get pages found and shared."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from blog.extensions import db
from blog.models import Comment

from .conftest import NOW

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_atom_feed_is_valid_and_lists_the_20_newest_published_posts(make_app):
    from .conftest import Content

    app = make_app(SITE_URL="https://blog.example.com")
    content = Content(app)
    for i in range(22):
        content.post(f"Entry {i:02d}", f"Body *{i}* <script>x</script>", days_ago=30 - i, tags=["Feed"])
    content.post("Hidden Draft", draft=True)
    content.post("Tomorrow", published_at=NOW + timedelta(days=1))
    response = app.test_client().get("/feed.atom")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == "Test Blog"
    assert feed.find(f"{ATOM}id").text == "https://blog.example.com/"
    assert feed.find(f"{ATOM}updated").text.endswith("Z")
    self_link = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"][0]
    assert self_link.get("href") == "https://blog.example.com/feed.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 20
    assert entries[0].find(f"{ATOM}title").text == "Entry 21"
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert "Hidden Draft" not in titles and "Tomorrow" not in titles and "Entry 01" not in titles
    first = entries[0]
    assert first.find(f"{ATOM}id").text.startswith("tag:blog.example.com,")
    assert first.find(f"{ATOM}link").get("href") == "https://blog.example.com/posts/entry-21"
    assert first.find(f"{ATOM}author/{ATOM}name").text == "Ada Writer"
    for element in ("published", "updated", "summary"):
        assert first.find(f"{ATOM}{element}").text
    content_html = first.find(f"{ATOM}content")
    assert content_html.get("type") == "html"
    assert "<em>21</em>" in content_html.text and "<script>" not in content_html.text
    assert first.find(f"{ATOM}category").get("term") == "Feed"


def test_comment_feed_lists_approved_comments(app, client, content):
    post_id = content.post("Talked About")
    with app.app_context():
        for name, status in (("Ann", "approved"), ("Spammer", "spam"), ("Waiting", "pending")):
            db.session.add(
                Comment(
                    post_id=post_id,
                    name=name,
                    email=f"{name}@example.com",
                    body="hi <b>",
                    body_html="<p>hi &lt;b&gt;</p>",
                    status=status,
                )
            )
        db.session.commit()
    feed = ET.fromstring(client.get("/posts/talked-about/comments.atom").data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}author/{ATOM}name").text for e in entries] == ["Ann"]
    assert entries[0].find(f"{ATOM}content").text == "<p>hi &lt;b&gt;</p>"
    assert client.get("/posts/no-such-post/comments.atom").status_code == 404


def test_sitemap_lists_home_archive_articles_tags_and_months(client, content):
    for i in range(12):
        content.post(f"Mapped {i}", tags=["Maps"], days_ago=i + 1)
    content.post("Unmapped Draft", draft=True, tags=["Secret"])
    # /sitemap.xml is an index: the site's pages in /sitemap-1.xml, the posts in /sitemap-2.xml on.
    response = client.get("/sitemap.xml")
    assert response.headers["Content-Type"].startswith("application/xml")
    index = ET.fromstring(response.data)
    files = [entry.find(f"{SITEMAP}loc").text for entry in index.findall(f"{SITEMAP}sitemap")]
    assert files == ["http://localhost/sitemap-1.xml", "http://localhost/sitemap-2.xml"]
    urls = []
    for file in files:
        response = client.get(file.removeprefix("http://localhost"))
        assert response.headers["Content-Type"].startswith("application/xml")
        urls += ET.fromstring(response.data).findall(f"{SITEMAP}url")
    locs = [url.find(f"{SITEMAP}loc").text for url in urls]
    assert "http://localhost/" in locs and "http://localhost/posts/" in locs
    assert "http://localhost/posts/?page=2" in locs
    assert "http://localhost/posts/mapped-0" in locs and "http://localhost/tags/maps" in locs
    assert not any("draft" in loc or "secret" in loc for loc in locs)
    assert any(re.search(r"/archive/\d{4}/\d{2}$", loc) for loc in locs)
    article = [url for url in urls if url.find(f"{SITEMAP}loc").text.endswith("mapped-0")][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", article.find(f"{SITEMAP}lastmod").text)


def test_robots_txt_points_to_the_sitemap(make_app):
    body = make_app(SITE_URL="https://blog.example.com").test_client().get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: https://blog.example.com/sitemap.xml" in body and "Disallow: /admin/" in body


def meta(page: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    assert match, key
    return match.group(1)


def test_every_page_has_title_description_canonical_and_social_tags(client, content):
    content.post("Shared Post", excerpt="What the post is about.", tags=["Social"])
    for url in ["/", "/posts/", "/posts/shared-post", "/tags/social", "/search?q=shared", "/contact", "/nowhere"]:
        page = client.get(url).get_data(as_text=True)
        assert re.search(r"<title>[^<]+</title>", page), url
        assert meta(page, "description")
        assert re.search(r'<link rel="canonical" href="http://localhost/[^"]*">', page), url
        for key in ("og:title", "og:description", "og:url", "og:type", "og:site_name", "twitter:card"):
            assert meta(page, key), (url, key)
        feed_link = (
            '<link rel="alternate" type="application/atom+xml" title="Test Blog" href="http://localhost/feed.atom">'
        )
        assert feed_link in page, url


def test_article_meta_uses_the_excerpt_and_carries_json_ld(client, content):
    content.post("Deep Dive", excerpt='An excerpt with "quotes" & <tags>.', tags=["Dive"])
    page = client.get("/posts/deep-dive?utm_source=newsletter").get_data(as_text=True)
    assert meta(page, "description") == "An excerpt with &#34;quotes&#34; &amp; &lt;tags&gt;."
    assert meta(page, "og:type") == "article"
    assert '<link rel="canonical" href="http://localhost/posts/deep-dive">' in page  # tracking parameters dropped
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1)
    data = json.loads(block)
    assert data["@type"] == "BlogPosting" and data["headline"] == "Deep Dive"
    assert data["author"]["name"] == "Ada Writer" and data["url"] == "http://localhost/posts/deep-dive"
    assert "<tags>" not in block  # escaped for a script block


def test_absolute_urls_use_site_url(make_app):
    from .conftest import Content

    app = make_app(SITE_URL="https://blog.example.com")
    Content(app).post("Absolute")
    page = app.test_client().get("/posts/absolute").get_data(as_text=True)
    assert '<link rel="canonical" href="https://blog.example.com/posts/absolute">' in page
    assert meta(page, "og:url") == "https://blog.example.com/posts/absolute"
