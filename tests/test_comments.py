"""Reader comments: posting, hold rules, spam defences, threads, the edit window, moderation and query counts."""

import base64
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from types import SimpleNamespace

import pytest
from markupsafe import escape
from sqlalchemy import select
from werkzeug.serving import make_server

import blog.public_forms
from blog.extensions import db
from blog.markdown import render_comment
from blog.models import Comment

from .conftest import Content
from .helpers import field_errors, queries_for, text, token_of

# Most tests want neither the minimum typing time nor the throttle in their way; the tests of those
# defences build their app with the real defaults or their own limits.
FAST = {"COMMENT_MIN_SECONDS": 0, "COMMENT_RATE_LIMIT": "1000 per minute"}
TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')
AUTHOR = "ada@example.com"
ADMIN = "rita@example.com"
PASSWORD = "correct horse"
AWAITING = "Your comment is awaiting moderation."
CORRECT_FIELDS = "Please correct the fields marked below."
CONTROL_ERROR = "Remove the control characters from this field."
BAD_FORM = "This form has expired or did not come from this site."
NOT_ON_POST = "The comment you replied to is not on this post."
THREE_LINKS = "Links: https://a.example/1 and https://b.example/2 and https://c.example/3"


# --- helpers -------------------------------------------------------------------------------------------------------


def make_blog(make_app, **settings):
    """An app (FAST unless overridden) with Ada's published post "Hello" at /posts/hello, tagged Travel."""
    app = make_app(**{**FAST, **settings})
    content = Content(app)
    post_id = content.post("Hello", "A walk along the coast.", slug="hello", tags=["Travel"])
    return app, content, post_id


def send_comment(
    client,
    slug="hello",
    *,
    name="Bo Reader",
    email="bo@example.com",
    body="What a lovely walk.",
    parent_id="",
    website="",
    headers=None,
):
    """What a browser does: load the article, then post its comment form."""
    page = client.get(f"/posts/{slug}", headers=headers)
    assert page.status_code == 200, page.status_code
    data = {
        "token": token_of(page),
        "parent_id": str(parent_id),
        "website": website,
        "name": name,
        "email": email,
        "body": body,
        "submit": "Post comment",
    }
    return client.post(f"/posts/{slug}/comments", data=data, headers=headers)


def posted_id(response, slug="hello") -> int:
    """The new comment's id from the redirect to its anchor on the article."""
    assert response.status_code == 302, (response.status_code, text(response)[-3000:])
    found = re.fullmatch(rf"/posts/{slug}(?:\?cpage=\d+)?#comment-(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def comments_section(response) -> str:
    page = text(response)
    start = page.index('<section class="comments"')
    return page[start : page.index("</section>", start)]


def heading(response) -> str:
    return re.search(r'<h2 id="comments-heading">(.*?)</h2>', text(response)).group(1)


def item(html: str, comment_id: int) -> str:
    """One comment's <li>, with everything nested in it; AssertionError when it is not on the page."""
    anchor = html.find(f'id="comment-{comment_id}"')
    assert anchor != -1, f"comment {comment_id} is not on the page"
    start = html.rindex("<li", 0, anchor)
    depth = 0
    for tag in re.finditer(r"<li[\s>]|</li>", html[start:]):
        depth += -1 if tag.group(0) == "</li>" else 1
        if depth == 0:
            return html[start : start + tag.end()]
    raise AssertionError(f"unbalanced <li> around comment {comment_id}")


def kept(response, body: str) -> bool:
    """The comment box of the re-rendered form still holds what was typed."""
    pattern = r'<textarea[^>]*name="body"[^>]*>\s*' + re.escape(str(escape(body))) + r"</textarea>"
    return re.search(pattern, text(response)) is not None


def stored(app) -> list[SimpleNamespace]:
    with app.app_context():
        return [
            SimpleNamespace(
                id=c.id,
                post_id=c.post_id,
                parent_id=c.parent_id,
                root_id=c.root_id,
                depth=c.depth,
                name=c.name,
                email=c.email,
                body=c.body,
                status=c.status,
                held_reason=c.held_reason,
                client_address=c.client_address,
            )
            for c in db.session.scalars(select(Comment).order_by(Comment.id))
        ]


def status_of(app, comment_id: int) -> str | None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return comment.status if comment else None


def make_older(app, comment_id: int, minutes: int) -> None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        comment.created_at -= timedelta(minutes=minutes)
        db.session.commit()


def logged_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, text(response)
    return client


DATA_SCRIPTS = ("application/ld+json", "application/json")  # data, never run


class PageScan(HTMLParser):
    """Active content in a page: event-handler attributes, javascript: URLs, inline scripts, images."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and re.match(r"\s*javascript:", value or "", re.I):
                self.problems.append(f"<{tag} {name}={value!r}>")
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and attributes.get("type") not in DATA_SCRIPTS:
            self.problems.append("inline <script>")


def assert_inert(html: str, where: str) -> None:
    assert "<script>alert(1)" not in html, where
    assert '<a href="javascript' not in html.lower(), where  # as text, escaped, it is harmless
    scan = PageScan()
    scan.feed(html)
    assert scan.problems == [], (where, scan.problems)


# --- 1. posting ----------------------------------------------------------------------------------------------------


def test_a_published_comment_shows_to_every_reader_with_its_count_on_listings(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    poster, reader = app.test_client(), app.test_client()
    assert heading(reader.get("/posts/hello")) == "0 comments"
    assert "No comments yet." in text(reader.get("/posts/hello"))

    response = send_comment(poster, name="Bo Reader", body="What a *lovely* walk.")
    first = posted_id(response)
    assert response.headers["Location"] == f"/posts/hello#comment-{first}"

    article = reader.get("/posts/hello")
    assert heading(article) == "1 comment"
    shown = item(comments_section(article), first)
    assert f'<strong id="by-{first}" class="comment-author">Bo Reader</strong>' in shown
    assert f'<article aria-labelledby="by-{first}">' in shown
    assert "<p>What a <em>lovely</em> walk.</p>" in shown
    assert AWAITING not in shown
    assert "bo@example.com" not in text(article), "the email is never shown publicly"
    for url in ("/", "/posts/", "/tags/travel"):
        assert '<a href="/posts/hello#comments">1 comment</a>' in text(reader.get(url)), url

    posted_id(send_comment(app.test_client(), name="Cy", email="cy@example.com", body="Agreed!"))
    assert heading(reader.get("/posts/hello")) == "2 comments"
    for url in ("/", "/posts/", "/tags/travel"):
        assert '<a href="/posts/hello#comments">2 comments</a>' in text(reader.get(url)), url


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_empty_comment_form_shows_the_comment_forms_own_labels_limits_and_help(make_app, language):
    """The article's GET writes the form from CommentForm's fields without building one per page."""
    from blog.comments.forms import CommentForm

    app, _, _ = make_blog(make_app, SITE_LANGUAGE=language)
    page = text(app.test_client().get("/posts/hello"))
    with app.test_request_context("/posts/hello"):
        form = CommentForm(formdata=None)
        expected = [(field.id, str(field.label.text), field.flags.maxlength, str(field.description)) for field in form]
        submit = str(form.submit.label.text)
    for field_id, label, maxlength, help_text in expected:
        if field_id in ("token", "parent_id", "submit"):
            continue
        assert f'<label for="{field_id}">{escape(label)}</label>' in page, field_id
        if maxlength:
            assert re.search(rf'id="{field_id}" maxlength="{maxlength}"', page), field_id
        if help_text and field_id != "website":
            assert f'<p class="help" id="{field_id}-help">{escape(help_text)}</p>' in page, field_id
    assert f'value="{escape(submit)}"' in page
    assert re.search(r'name="token" type="hidden" value="[^"]+"', page)
    assert 'name="parent_id" type="hidden" value=""' in page
    # A second page has its own token: nothing of one page's form is kept for the next.
    assert token_of(app.test_client().get("/posts/hello")) and "checked" not in page.split('id="notify"')[1][:80]


def test_comments_on_a_draft_or_missing_post_are_404(make_app):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION="none")
    content.post("Secret Draft", slug="secret-draft", draft=True)
    client = app.test_client()
    token = token_of(client.get("/posts/hello"))
    data = {"token": token, "name": "Bo", "email": "bo@example.com", "body": "Hi."}
    assert client.post("/posts/secret-draft/comments", data=data).status_code == 404
    assert client.post("/posts/no-such-post/comments", data=data).status_code == 404
    assert stored(app) == []


# --- 2. moderation modes and hold rules -----------------------------------------------------------------------------


def test_first_time_commenter_is_held_until_approved_then_published_at_once(make_app):
    app, content, _ = make_blog(make_app)  # COMMENT_MODERATION defaults to first-time
    content.author(ADMIN, "Rita Admin", role="admin")
    poster, reader = app.test_client(), app.test_client()

    first = posted_id(send_comment(poster, body="My very first words here."))
    assert "My very first words here." not in text(reader.get("/posts/hello"))
    assert heading(reader.get("/posts/hello")) == "0 comments"
    own = item(comments_section(poster.get("/posts/hello")), first)
    assert "My very first words here." in own and AWAITING in own
    [held] = stored(app)
    assert (held.status, held.held_reason) == ("pending", "first comment from this email address")

    admin = logged_in(app, ADMIN)
    assert admin.post(f"/admin/comments/{first}/approve").status_code == 302
    article = reader.get("/posts/hello")
    assert heading(article) == "1 comment" and "My very first words here." in item(comments_section(article), first)
    assert AWAITING not in text(poster.get("/posts/hello"))

    second = posted_id(send_comment(poster, email="BO@Example.com", body="And a second thought."))
    assert "And a second thought." in item(comments_section(reader.get("/posts/hello")), second)
    assert status_of(app, second) == "approved"

    newcomer = posted_id(send_comment(app.test_client(), name="Cy", email="cy@example.com", body="Cy says hi."))
    assert status_of(app, newcomer) == "pending"
    assert "Cy says hi." not in text(reader.get("/posts/hello"))


@pytest.mark.parametrize("mode", ["all", "none"])
def test_all_mode_holds_every_comment_and_none_mode_holds_none(make_app, mode):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION=mode)
    content.author(ADMIN, "Rita Admin", role="admin")
    poster, reader = app.test_client(), app.test_client()

    first = posted_id(send_comment(poster, body="First thought on the walk."))
    assert status_of(app, first) == ("pending" if mode == "all" else "approved")
    assert logged_in(app, ADMIN).post(f"/admin/comments/{first}/approve").status_code == 302
    second = posted_id(send_comment(poster, body="Second thought on the walk."))

    page = text(reader.get("/posts/hello"))
    assert "First thought on the walk." in page
    assert ("Second thought on the walk." in page) is (mode == "none")
    assert heading(reader.get("/posts/hello")) == ("1 comment" if mode == "all" else "2 comments")
    reasons = {c.id: c.held_reason for c in stored(app)}
    assert reasons[second] == ("every comment is moderated" if mode == "all" else None)


def test_more_links_than_allowed_are_held_with_the_reason_even_in_none_mode(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    poster, reader = app.test_client(), app.test_client()

    held = posted_id(send_comment(poster, body=THREE_LINKS))
    assert "a.example" not in text(reader.get("/posts/hello"))
    assert AWAITING in item(comments_section(poster.get("/posts/hello")), held)
    two = posted_id(send_comment(poster, body="Two bare links: https://a.example/1 and https://b.example/2"))
    assert "b.example/2" in item(comments_section(reader.get("/posts/hello")), two)

    reasons = {c.id: (c.status, c.held_reason) for c in stored(app)}
    assert reasons == {held: ("pending", "3 links (more than 2)"), two: ("approved", None)}


def test_two_markdown_links_are_within_the_limit(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    body = "See [the map](https://a.example/map) and [the tides](https://b.example/tides)."
    two = posted_id(send_comment(app.test_client(), body=body))
    assert [(c.id, c.status, c.held_reason) for c in stored(app)] == [(two, "approved", None)]


# --- 3. spam defences, one at a time -------------------------------------------------------------------------------


def test_honeypot_is_stored_as_spam_with_the_same_answer_as_a_held_comment(make_app):
    app, _, _ = make_blog(make_app)  # first-time: a person's first comment is held
    person, bot, reader = app.test_client(), app.test_client(), app.test_client()

    held = send_comment(person, name="Ann", email="ann@example.com", body="A real first comment.")
    trapped = send_comment(
        bot, name="Bot", email="bot@example.com", body="Cheap pills here.", website="http://pills.example"
    )
    held_id, trapped_id = posted_id(held), posted_id(trapped)
    assert held.status_code == trapped.status_code == 302
    assert trapped.headers["Location"] == f"/posts/hello#comment-{trapped_id}"
    for response in (held, trapped):
        assert response.headers["Set-Cookie"].startswith("commenter=")
    bot_view = item(comments_section(bot.get("/posts/hello")), trapped_id)
    assert "Cheap pills here." in bot_view and AWAITING in bot_view
    assert "Cheap pills here." not in text(reader.get("/posts/hello"))

    statuses = {c.id: (c.status, c.held_reason) for c in stored(app)}
    assert statuses == {
        held_id: ("pending", "first comment from this email address"),
        trapped_id: ("spam", "honeypot field filled in"),
    }
    spam_tab = text(logged_in(app, AUTHOR).get("/admin/comments?status=spam"))
    assert "Cheap pills here." in spam_tab and "Held because: honeypot field filled in" in spam_tab
    assert "A real first comment." not in spam_tab


def test_a_post_sooner_than_the_minimum_time_is_refused_with_the_text_kept(make_app, monkeypatch):
    app = make_app(COMMENT_MODERATION="none")  # COMMENT_MIN_SECONDS stays at its default, 3
    Content(app).post("Hello", slug="hello")
    client = app.test_client()
    hurry = "Typed in a hurry & <sent> at once."

    response = send_comment(client, body=hurry)  # a real page, posted at once
    assert response.status_code == 400
    assert "That was quicker than anyone can type." in text(response)
    assert kept(response, hurry) and 'value="Bo Reader"' in text(response)
    assert "Set-Cookie" not in response.headers
    assert stored(app) == []

    clock = SimpleNamespace(now=1_900_000_000)
    monkeypatch.setattr(blog.public_forms, "now", lambda: clock.now)
    data = {"token": token_of(client.get("/posts/hello")), "name": "Bo", "email": "bo@example.com", "body": hurry}
    clock.now += 2
    assert client.post("/posts/hello/comments", data=data).status_code == 400
    assert stored(app) == []
    clock.now += 1  # three seconds after the page was made
    posted_id(client.post("/posts/hello/comments", data=data))
    assert [c.body for c in stored(app)] == [hurry]


def test_the_same_comment_twice_within_ten_minutes_is_a_form_error(make_app):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION="none")
    content.post("Other", slug="other")
    client = app.test_client()

    first = posted_id(send_comment(client, body="Same words, twice."))
    again = send_comment(client, name="Bo Again", body="Same words, twice.")
    assert again.status_code == 200
    assert CORRECT_FIELDS in text(again)
    assert field_errors(again) == {"body": "The same comment was just posted here."}
    assert kept(again, "Same words, twice.")
    assert len(stored(app)) == 1

    posted_id(send_comment(client, slug="other", body="Same words, twice."), slug="other")  # another post is fine
    make_older(app, first, 11)
    posted_id(send_comment(client, body="Same words, twice."))  # and so is the same post after ten minutes
    assert len(stored(app)) == 3


def test_the_rate_limit_answers_429_with_the_article_the_form_and_the_text_kept(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none", COMMENT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for n in range(2):
        posted_id(send_comment(client, body=f"Comment number {n}."))

    response = send_comment(client, body="One comment too many.")
    assert response.status_code == 429
    page = text(response)
    assert "<h1>Hello</h1>" in page and "A walk along the coast." in page
    assert "Too many attempts. Please try again in" in page
    assert 'action="/posts/hello/comments"' in page and TOKEN.search(page)
    assert kept(response, "One comment too many.") and 'value="Bo Reader"' in page
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # Flask-Limiter's reset_at rounds up a second
    assert len(stored(app)) == 2


def test_comments_with_errors_do_not_use_up_the_rate_limit(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none", COMMENT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(4):
        response = send_comment(client, email="bo@example")
        assert response.status_code == 200 and "email" in field_errors(response)
    for n in range(2):
        posted_id(send_comment(client, body=f"Comment number {n}."))
    assert send_comment(client, body="One comment too many.").status_code == 429
    assert len(stored(app)) == 2


def test_a_corrected_comment_sent_again_at_once_is_accepted(make_app, monkeypatch):
    app = make_app(COMMENT_MODERATION="none")  # COMMENT_MIN_SECONDS stays at its default, 3
    Content(app).post("Hello", slug="hello")
    client = app.test_client()
    clock = SimpleNamespace(now=1_900_000_000)
    monkeypatch.setattr(blog.public_forms, "now", lambda: clock.now)
    data = {"token": token_of(client.get("/posts/hello")), "name": "Bo", "email": "bo@example", "body": "Hi."}
    clock.now += 30
    typo = client.post("/posts/hello/comments", data=data)
    assert typo.status_code == 200 and "email" in field_errors(typo)
    clock.now += 1
    fixed = {**data, "token": token_of(typo), "email": "bo@example.com"}
    posted_id(client.post("/posts/hello/comments", data=fixed))
    assert [c.email for c in stored(app)] == ["bo@example.com"]


def test_the_rate_limit_counts_each_address_behind_a_trusted_proxy(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none", COMMENT_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    flood, other = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.23"}
    flooder, neighbour = app.test_client(), app.test_client()
    for n in range(2):
        posted_id(send_comment(flooder, body=f"Flood {n}.", headers=flood))
    assert send_comment(flooder, body="Flood 2.", headers=flood).status_code == 429

    posted_id(send_comment(neighbour, name="Cy", email="cy@example.com", body="From elsewhere.", headers=other))
    assert send_comment(flooder, body="Flood 3.", headers=flood).status_code == 429
    assert [c.client_address for c in stored(app)] == ["203.0.113.7", "203.0.113.7", "198.51.100.23"]


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_limit(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none", COMMENT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for n in range(2):
        posted_id(send_comment(client, body=f"Forged {n}.", headers={"X-Forwarded-For": f"192.0.2.{n}"}))
    response = send_comment(client, body="Forged 2.", headers={"X-Forwarded-For": "192.0.2.99"})
    assert response.status_code == 429
    assert {c.client_address for c in stored(app)} == {"127.0.0.1"}


# --- 4. threads, permalinks, pages and replies without JavaScript ---------------------------------------------------


def test_replies_are_nested_inside_their_parent(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    client = app.test_client()
    ann = posted_id(send_comment(client, name="Ann", email="ann@example.com", body="Top comment."))
    bo = posted_id(send_comment(client, name="Bo", body="Reply to Ann.", parent_id=ann))
    cy = posted_id(send_comment(client, name="Cy", email="cy@example.com", body="Reply to Bo.", parent_id=bo))
    dee = posted_id(send_comment(client, name="Dee", email="dee@example.com", body="Another top comment."))

    section = comments_section(app.test_client().get("/posts/hello"))
    assert f'id="comment-{bo}"' in item(section, ann) and f'id="comment-{cy}"' in item(section, bo)
    assert f'id="comment-{dee}"' not in item(section, ann)
    assert '<ol class="comment-list level-3">' in item(section, ann)
    assert "in reply to" not in section
    tree = {c.id: (c.parent_id, c.root_id, c.depth) for c in stored(app)}
    assert tree == {ann: (None, None, 1), bo: (ann, ann, 2), cy: (bo, ann, 3), dee: (None, None, 1)}


def test_replies_deeper_than_the_maximum_depth_stay_at_the_last_level(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none", COMMENT_MAX_DEPTH=2)
    client = app.test_client()
    ann = posted_id(send_comment(client, name="Ann", email="ann@example.com", body="Level one."))
    bo = posted_id(send_comment(client, name="Bo", body="Level two.", parent_id=ann))
    cy = posted_id(send_comment(client, name="Cy", email="cy@example.com", body="Level three.", parent_id=bo))
    dee = posted_id(send_comment(client, name="Dee", email="dee@example.com", body="Level four.", parent_id=cy))

    section = comments_section(app.test_client().get("/posts/hello"))
    assert f'id="comment-{cy}"' in item(section, ann) and f'id="comment-{cy}"' not in item(section, bo)
    assert f'id="comment-{dee}"' not in item(section, cy)
    assert '<ol class="comment-list level-3">' not in section
    assert "in reply to" not in item(section, bo)
    assert re.search(rf'in reply to <a href="#comment-{bo}">Bo</a>', item(section, cy))
    assert re.search(rf'in reply to <a href="#comment-{cy}">Cy</a>', item(section, dee))


def test_permalinks_and_redirects_go_to_the_comments_page_and_anchor(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none", COMMENT_PAGE_SIZE=2)
    client = app.test_client()
    ids = [posted_id(send_comment(client, name=f"Reader {n}", body=f"Top-level comment {n}.")) for n in range(4)]
    fifth = send_comment(client, name="Reader 4", body="Top-level comment 4.")
    assert fifth.status_code == 302 and fifth.headers["Location"] == f"/posts/hello?cpage=3#comment-{posted_id(fifth)}"
    ids.append(posted_id(fifth))
    reply = posted_id(send_comment(client, name="Replier", body="A late reply to the first.", parent_id=ids[0]))

    reader = app.test_client()
    expected = {
        ids[0]: "/posts/hello",
        ids[2]: "/posts/hello?cpage=2",
        ids[4]: "/posts/hello?cpage=3",
        reply: "/posts/hello",
    }
    for comment_id, page in expected.items():
        response = reader.get(f"/comments/{comment_id}")
        assert response.status_code == 302
        assert response.headers["Location"] == f"{page}#comment-{comment_id}"

    third_page = comments_section(reader.get("/posts/hello?cpage=3"))
    assert f'id="comment-{ids[4]}"' in third_page and f'id="comment-{ids[0]}"' not in third_page
    assert 'href="/posts/hello?cpage=2#comments">Comments page 2</a>' in third_page
    first_page = comments_section(reader.get("/posts/hello"))
    assert f'id="comment-{reply}"' in item(first_page, ids[0]) and f'id="comment-{ids[2]}"' not in first_page
    assert reader.get("/posts/hello?cpage=5").status_code == 404
    assert reader.get("/comments/999999").status_code == 404


def test_a_held_comments_permalink_is_only_for_its_poster(make_app):
    app, _, _ = make_blog(make_app)
    poster = app.test_client()
    held = posted_id(send_comment(poster))
    assert poster.get(f"/comments/{held}").headers["Location"] == f"/posts/hello#comment-{held}"
    assert app.test_client().get(f"/comments/{held}").status_code == 404


def test_reply_without_javascript_uses_the_reply_to_parameter(make_app):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION="none")
    content.post("Other", slug="other")
    client = app.test_client()
    ann = posted_id(send_comment(client, name="Ann", email="ann@example.com", body="Top comment."))
    elsewhere = posted_id(send_comment(client, slug="other", body="On the other post."), slug="other")

    page = client.get(f"/posts/hello?reply_to={ann}")
    assert '<h3 id="comment-form-heading">Reply to Ann</h3>' in text(page)
    assert f'<input id="parent_id" name="parent_id" type="hidden" value="{ann}">' in text(page)
    assert f'<a href="#comment-{ann}">Ann</a>' in text(page)
    data = {
        "token": token_of(page),
        "parent_id": str(ann),
        "name": "Bo",
        "email": "bo@example.com",
        "body": "Replying without JavaScript.",
    }
    reply = posted_id(client.post("/posts/hello/comments", data=data))
    assert f'id="comment-{reply}"' in item(comments_section(client.get("/posts/hello")), ann)
    assert {c.id: c.parent_id for c in stored(app)}[reply] == ann

    for bad in (elsewhere, 999999, "abc"):
        other = text(app.test_client().get(f"/posts/hello?reply_to={bad}"))
        assert '<h3 id="comment-form-heading">Leave a comment</h3>' in other, bad
        assert '<input id="parent_id" name="parent_id" type="hidden" value="">' in other, bad


def test_each_published_comment_has_a_reply_link_that_works_without_javascript(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    ann = posted_id(send_comment(app.test_client(), name="Ann", email="ann@example.com", body="Top comment."))
    shown = item(comments_section(app.test_client().get("/posts/hello")), ann)
    assert f'href="/posts/hello?reply_to={ann}#comment-form"' in shown


# --- 5. the commenter's edit window ---------------------------------------------------------------------------------


def test_the_poster_can_edit_for_15_minutes_and_an_edit_reruns_the_hold_rules(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    poster, stranger = app.test_client(), app.test_client()
    mine = posted_id(send_comment(poster, body="Orignal wording."))
    other = posted_id(send_comment(poster, body="Another comment of mine."))
    edit = f"/comments/{mine}/edit"

    form = poster.get(edit)
    assert form.status_code == 200 and "Edit your comment" in text(form) and kept(form, "Orignal wording.")
    response = poster.post(edit, data={"token": token_of(form), "body": "Original wording, fixed."})
    assert response.status_code == 302 and response.headers["Location"] == f"/posts/hello#comment-{mine}"
    page = text(stranger.get("/posts/hello"))
    assert "Original wording, fixed." in page and "Orignal" not in page

    wrong = poster.post(edit, data={"token": token_of(poster.get(f"/comments/{other}/edit")), "body": "Hijack."})
    assert wrong.status_code == 400 and kept(wrong, "Hijack.")

    response = poster.post(edit, data={"token": token_of(poster.get(edit)), "body": THREE_LINKS})
    assert response.status_code == 302
    assert "a.example" not in text(stranger.get("/posts/hello"))
    assert heading(stranger.get("/posts/hello")) == "1 comment"
    assert AWAITING in item(comments_section(poster.get("/posts/hello")), mine)
    edited = {c.id: c for c in stored(app)}[mine]
    assert (edited.body, edited.status, edited.held_reason) == (THREE_LINKS, "pending", "3 links (more than 2)")

    token = token_of(poster.get(edit))
    for url in (edit, f"/comments/{mine}/delete"):
        assert stranger.get(url).status_code == 403, url
        assert stranger.post(url, data={"token": token, "body": "Not mine."}).status_code == 403, url

    make_older(app, mine, 16)
    assert poster.get(edit).status_code == 403
    assert poster.post(edit, data={"token": token, "body": "Too late now."}).status_code == 403
    assert poster.get(f"/comments/{mine}/delete").status_code == 403
    assert {c.id: c.body for c in stored(app)}[mine] == THREE_LINKS


def test_the_poster_can_delete_their_comment(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    poster, stranger = app.test_client(), app.test_client()
    mine = posted_id(send_comment(poster, body="Regrettable words."))
    theirs = posted_id(send_comment(stranger, name="Cy", email="cy@example.com", body="Kind words."))
    delete = f"/comments/{mine}/delete"

    page = poster.get(delete)
    assert page.status_code == 200 and "Delete your comment?" in text(page) and "Regrettable words." in text(page)
    assert poster.post(delete, data={"token": "forged"}).status_code == 400
    assert [c.id for c in stored(app)] == [mine, theirs]
    assert poster.post(f"/comments/{theirs}/delete", data={"token": token_of(page)}).status_code == 403

    response = poster.post(delete, data={"token": token_of(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/posts/hello#comments"
    assert [c.id for c in stored(app)] == [theirs]
    article = stranger.get("/posts/hello")
    assert "Regrettable words." not in text(article) and heading(article) == "1 comment"
    assert poster.get(delete).status_code == 404


PLACEHOLDER = "This comment was deleted."


def own_part(html: str) -> str:
    """A comment's <li> without the replies nested in it."""
    nested = html.find("<ol")
    return html if nested == -1 else html[:nested]


def test_a_reply_survives_its_parents_deletion_by_the_poster(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    poster, reader = app.test_client(), app.test_client()
    parent = posted_id(send_comment(poster, name="Pat Poster", email="pat@example.com", body="Parent comment."))
    reply = posted_id(
        send_comment(app.test_client(), name="Cy", email="cy@example.com", body="A reply.", parent_id=parent)
    )
    page = poster.get(f"/comments/{parent}/delete")
    assert "The replies to it stay" in text(page)
    response = poster.post(f"/comments/{parent}/delete", data={"token": token_of(page)})
    assert response.headers["Location"] == "/posts/hello#comments"

    article = reader.get("/posts/hello")
    placeholder = item(comments_section(article), parent)
    assert PLACEHOLDER in own_part(placeholder) and "A reply." in item(placeholder, reply)
    assert "Pat Poster" not in text(article) and "Parent comment." not in text(article)
    assert heading(article) == "1 comment"  # the placeholder is never counted
    assert "1 comment</a>" in text(reader.get("/"))
    row = {c.id: c for c in stored(app)}[parent]  # the words are gone from the database too
    assert (row.status, row.name, row.email, row.body, row.client_address) == ("deleted", "", "", "", None)
    feed = text(reader.get("/posts/hello/comments.atom"))
    assert f"comment-{reply}" in feed and f"comment-{parent}" not in feed
    assert reader.get(f"/comments/{parent}").status_code == 404
    assert poster.get(f"/comments/{parent}").status_code == 404  # not even for its poster
    assert poster.get(f"/comments/{parent}/edit").status_code == 404
    assert poster.post(f"/comments/{parent}/edit", data={"token": token_of(page), "body": "Back!"}).status_code == 404
    assert {c.id: c.body for c in stored(app)}[parent] == ""
    assert f'href="/comments/{parent}/edit"' not in comments_section(poster.get("/posts/hello"))
    replying = send_comment(app.test_client(), name="Dee", email="dee@example.com", body="To nobody.", parent_id=parent)
    assert NOT_ON_POST in text(replying)


def test_thread_shape_after_deletes_placeholders_go_with_their_last_reply(make_app):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION="none")
    ann = posted_id(send_comment(app.test_client(), name="Ann", email="ann@example.com", body="Ann on top."))
    bo = posted_id(send_comment(app.test_client(), name="Bo", body="Bo under Ann.", parent_id=ann))
    cy = posted_id(
        send_comment(app.test_client(), name="Cy", email="cy@example.com", body="Cy under Bo.", parent_id=bo)
    )
    dee = posted_id(
        send_comment(app.test_client(), name="Dee", email="dee@example.com", body="Dee under Ann.", parent_id=ann)
    )
    ada, reader = logged_in(app, AUTHOR), app.test_client()

    def delete(comment_id):
        response = ada.post(f"/admin/comments/{comment_id}/delete", data={"next": "/posts/hello"})
        assert response.headers["Location"] == "/posts/hello"

    delete(bo)
    delete(ann)
    section = comments_section(reader.get("/posts/hello"))
    assert f'id="comment-{cy}"' in item(item(section, ann), bo) and f'id="comment-{dee}"' in item(section, ann)
    assert own_part(item(section, ann)).count(PLACEHOLDER) == 1
    assert "Ann on top." not in section and "Bo under Ann." not in section
    assert heading(reader.get("/posts/hello")) == "2 comments"
    moderated = comments_section(ada.get("/posts/hello"))
    for placeholder in (ann, bo):  # no moderation buttons on a placeholder
        assert "/admin/comments/" not in own_part(item(moderated, placeholder))
    assert f'action="/admin/comments/{cy}/delete"' in moderated

    delete(cy)  # Bo's placeholder loses its last reply and goes; Ann's keeps Dee
    assert sorted(c.id for c in stored(app)) == [ann, dee]
    section = comments_section(reader.get("/posts/hello"))
    assert f'id="comment-{bo}"' not in section and PLACEHOLDER in own_part(item(section, ann))
    delete(dee)
    assert stored(app) == []
    section = comments_section(reader.get("/posts/hello"))
    assert PLACEHOLDER not in section and "No comments yet." in section


def test_a_placeholder_shows_only_while_a_shown_reply_stands_under_it(make_app):
    app, _, post_id = make_blog(make_app)  # first-time: the reply is held
    ada = logged_in(app, AUTHOR)
    with app.app_context():
        root = Comment(
            post_id=post_id,
            name="Ann",
            email="ann@example.com",
            body="Ann.",
            body_html="<p>Ann.</p>",
            status=Comment.APPROVED,
        )
        db.session.add(root)
        db.session.commit()
        root_id = root.id
    held = posted_id(send_comment(app.test_client(), name="Bo", body="Held reply.", parent_id=root_id))
    ada.post(f"/admin/comments/{root_id}/delete")
    assert status_of(app, root_id) == "deleted"
    reader_page = app.test_client().get("/posts/hello")
    assert PLACEHOLDER not in text(reader_page) and heading(reader_page) == "0 comments"
    assert f'id="comment-{held}"' in item(comments_section(ada.get("/posts/hello")), root_id)
    ada.post(f"/admin/comments/{held}/approve")
    assert f'id="comment-{held}"' in item(comments_section(app.test_client().get("/posts/hello")), root_id)


def test_the_page_the_count_and_the_comment_feed_show_the_same_comments(make_app):
    app, _, post_id = make_blog(make_app, COMMENT_MODERATION="none")
    with app.app_context():

        def add(name: str, status: str, parent: Comment | None = None) -> Comment:
            comment = Comment(
                post_id=post_id,
                name=name,
                email=f"{name.lower()}@example.com",
                body=f"{name} says hi.",
                body_html=f"<p>{name} says hi.</p>",
                status=status,
                parent_id=parent.id if parent else None,
                root_id=parent.thread_root_id if parent else None,
                depth=parent.depth + 1 if parent else 1,
            )
            db.session.add(comment)
            db.session.flush()
            return comment

        spam = add("Spammer", Comment.SPAM)
        under_spam = add("Sid", Comment.APPROVED, spam).id  # approved, in a spam thread: shown nowhere
        placeholder = add("", Comment.DELETED)
        under_placeholder = add("Una", Comment.APPROVED, placeholder).id  # shown everywhere
        on_top = add("Tia", Comment.APPROVED).id
        db.session.commit()
    reader = app.test_client()
    page = reader.get("/posts/hello")
    section, feed = comments_section(page), text(reader.get("/posts/hello/comments.atom"))
    assert "Sid says hi." not in section and f"comment-{under_spam}" not in feed
    assert "Una says hi." in section and f"comment-{under_placeholder}" in feed
    assert "Tia says hi." in section and f"comment-{on_top}" in feed
    assert heading(page) == "2 comments"
    assert "2 comments</a>" in text(reader.get("/"))


def test_a_moderator_deletes_a_spam_thread_after_a_confirmation_naming_the_replies(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    keep = posted_id(send_comment(app.test_client(), name="Ann", email="ann@example.com", body="Real comment."))
    spam = posted_id(
        send_comment(app.test_client(), name="Spammer", email="s@example.com", body="Buy now.", parent_id=keep)
    )
    one = posted_id(
        send_comment(app.test_client(), name="Bot", email="b1@example.com", body="Yes buy.", parent_id=spam)
    )
    posted_id(send_comment(app.test_client(), name="Bot", email="b2@example.com", body="Buy more.", parent_id=one))
    ada = logged_in(app, AUTHOR)
    assert f'href="/admin/comments/{spam}/delete-thread' in own_part(
        item(comments_section(ada.get("/posts/hello")), spam)
    )
    confirm = ada.get(f"/admin/comments/{spam}/delete-thread?next=/posts/hello")
    assert "Delete this comment and its 2 replies?" in text(confirm) and "Buy now." in text(confirm)
    assert len(stored(app)) == 4
    assert app.test_client().post(f"/admin/comments/{spam}/delete-thread").headers["Location"].startswith("/login")
    response = ada.post(f"/admin/comments/{spam}/delete-thread", data={"next": "/posts/hello"})
    assert response.headers["Location"] == "/posts/hello"
    assert [c.id for c in stored(app)] == [keep]
    assert "Deleted the comment and 2 replies." in text(ada.get("/admin/comments"))
    gone = ada.post(f"/admin/comments/{spam}/delete-thread", data={"next": "/posts/hello"})
    assert gone.headers["Location"] == "/posts/hello"
    assert "This comment was already deleted." in text(ada.get("/posts/hello"))


def test_moderating_a_deleted_comment_says_it_was_already_deleted(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    ann = posted_id(send_comment(app.test_client(), name="Ann", email="ann@example.com", body="Ann."))
    reply = posted_id(send_comment(app.test_client(), name="Bo", body="Bo.", parent_id=ann))
    ada = logged_in(app, AUTHOR)
    assert ada.post(f"/admin/comments/{ann}/delete").headers["Location"] == "/admin/comments"
    for action in ("approve", "spam", "delete"):  # the placeholder is not brought back to life
        response = ada.post(f"/admin/comments/{ann}/{action}", data={"next": "/posts/hello"})
        assert response.headers["Location"] == "/posts/hello", action
        assert "This comment was already deleted." in text(ada.get("/admin/comments")), action
    assert status_of(app, ann) == "deleted"
    queue = text(ada.get("/admin/comments?status=approved"))
    assert "in reply to a deleted comment" in queue and ">Approved (1)</a>" in queue
    assert ada.post("/admin/comments/999999/approve").headers["Location"] == "/admin/comments"
    bulk = ada.post(
        "/admin/comments/bulk", data={"action": "delete", "ids": [str(ann), str(reply)], "status": "approved"}
    )
    assert bulk.headers["Location"] == "/admin/comments?status=approved"
    assert stored(app) == []


def test_the_poster_sees_edit_and_delete_links_on_their_comment(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    poster = app.test_client()
    mine = posted_id(send_comment(poster))
    shown = item(comments_section(poster.get("/posts/hello")), mine)
    assert f'href="/comments/{mine}/edit"' in shown and f'href="/comments/{mine}/delete"' in shown
    assert "/edit" not in comments_section(app.test_client().get("/posts/hello"))


# --- 6. moderation rights --------------------------------------------------------------------------------------------


def test_authors_moderate_comments_on_their_own_posts_and_admins_on_all(make_app):
    app, content, _ = make_blog(make_app)  # first-time: every comment below is held
    cy_id = content.author("cy@example.com", "Cy Writer")
    content.post("Cy's Post", slug="cys-post", author_id=cy_id)
    content.author(ADMIN, "Rita Admin", role="admin")
    reader = app.test_client()
    mine = [
        posted_id(
            send_comment(
                app.test_client(), name=f"Reader {n}", email=f"r{n}@example.com", body=f"Comment {n} on Hello."
            )
        )
        for n in range(3)
    ]
    on_cy = posted_id(send_comment(app.test_client(), slug="cys-post", body="A comment for Cy."), slug="cys-post")

    assert app.test_client().get("/admin/comments").headers["Location"].startswith("/login?next=")
    assert app.test_client().post(f"/admin/comments/{mine[0]}/approve").status_code == 302
    assert status_of(app, mine[0]) == "pending"

    ada = logged_in(app, AUTHOR)
    for action in ("approve", "spam", "delete"):
        assert ada.post(f"/admin/comments/{on_cy}/{action}").status_code == 403, action
    assert status_of(app, on_cy) == "pending"
    queue = text(ada.get("/admin/comments"))
    assert all(f'id="comment-{i}"' in queue for i in mine) and f'id="comment-{on_cy}"' not in queue
    assert ">Pending (3)</a>" in queue and ">Approved (0)</a>" in queue and ">Spam (0)</a>" in queue
    assert "<strong>3</strong> pending" in text(ada.get("/admin/"))

    response = ada.post(
        "/admin/comments/bulk", data={"action": "approve", "ids": [str(mine[0]), str(mine[1])], "status": "pending"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/comments?status=pending"
    assert heading(reader.get("/posts/hello")) == "2 comments"
    mixed = ada.post("/admin/comments/bulk", data={"action": "spam", "ids": [str(mine[2]), str(on_cy)]})
    assert mixed.status_code == 403
    assert (status_of(app, mine[2]), status_of(app, on_cy)) == ("pending", "pending")
    assert ada.post(f"/admin/comments/{mine[2]}/spam").status_code == 302
    queue = text(ada.get("/admin/comments?status=approved"))
    assert ">Pending (0)</a>" in queue and ">Approved (2)</a>" in queue and ">Spam (1)</a>" in queue
    assert "<strong>0</strong> pending" in text(ada.get("/admin/"))

    rita = logged_in(app, ADMIN)
    assert "<strong>1</strong> pending" in text(rita.get("/admin/"))
    assert rita.post(f"/admin/comments/{on_cy}/approve").status_code == 302
    assert "A comment for Cy." in text(reader.get("/posts/cys-post"))
    assert rita.post(f"/admin/comments/{mine[2]}/delete").status_code == 302
    assert status_of(app, mine[2]) is None
    queue = text(rita.get("/admin/comments?status=approved"))
    assert ">Pending (0)</a>" in queue and ">Approved (3)</a>" in queue and ">Spam (0)</a>" in queue
    assert rita.get("/admin/comments?status=bogus").status_code == 404


def test_an_author_sees_held_comments_on_their_article_with_moderation_buttons(make_app):
    app, _, _ = make_blog(make_app)
    held = posted_id(send_comment(app.test_client(), body="Please approve me."))
    shown = item(comments_section(logged_in(app, AUTHOR).get("/posts/hello")), held)
    assert "Please approve me." in shown
    assert "Held for moderation: first comment from this email address" in shown
    for action in ("approve", "spam", "delete"):
        assert f'action="/admin/comments/{held}/{action}"' in shown, action


# --- 7. bad input ----------------------------------------------------------------------------------------------------

TOO_LONG = "Field cannot be longer than 80 characters."
INVALID_EMAIL = "Enter a valid email address, like name@example.com."
ENCODED_WORD_ERROR = "Remove \u201c=?\u201d and \u201c?=\u201d from this field: mail programs read them as code."
BAD_INPUT = [
    # (field, value, the field's error, or None when the comment is accepted and must render inert)
    ("name", "N" * 81, TOO_LONG),
    ("name", "N" * 80, None),
    ("name", "", "Enter your name."),
    ("name", " \t  ", "Enter your name."),
    ("name", "Bo\x00Reader", CONTROL_ERROR),
    ("name", "Bo\x07Reader", CONTROL_ERROR),
    ("name", "Bo\nReader", CONTROL_ERROR),
    ("name", "Bo \u202eredaeR", CONTROL_ERROR),  # a right-to-left override could disguise a name
    ("name", "=?utf-8?q?Bo=0ABcc:_x@evil.example?=", ENCODED_WORD_ERROR),  # an encoded word, for any mail
    ("name", "Bo =?utf-8?b?Qm8NCkJjYzogeEBldmlsLmV4YW1wbGU=?=", ENCODED_WORD_ERROR),
    ("name", "Bo \U0001f98a", None),
    ("name", "Zoe\u0301 Cafe\u0301", None),
    ("name", "<script>alert(1)</script>", None),
    ("name", "<img src=x onerror=alert(1)>", None),
    ("name", "[x](javascript:alert(1))", None),
    ("email", "a" * 250 + "@example.com", "Field cannot be longer than 254 characters. " + INVALID_EMAIL),
    ("email", "", "Enter your email."),
    ("email", "   ", "Enter your email."),
    ("email", "bo\x00@example.com", INVALID_EMAIL),
    ("email", "bo\x07@example.com", INVALID_EMAIL),
    ("email", "b\u202eo@example.com", INVALID_EMAIL),
    ("email", "<script>alert(1)</script>@example.com", INVALID_EMAIL),
    ("email", "\U0001f98a@example.com", INVALID_EMAIL),  # the local part must be ASCII
    ("email", "=?utf-8?q?bo=0A?=@example.com", ENCODED_WORD_ERROR),
    ("email", "bo.reader+blog@example.com", None),
    ("body", "B" * 5001, "Keep it under 5000 characters."),
    ("body", "B" * 5000, None),
    ("body", "", "Write a comment."),
    ("body", " \n\t \r\n ", "Write a comment."),
    ("body", "Nul\x00byte", CONTROL_ERROR),
    ("body", "Bell\x07char", CONTROL_ERROR),
    ("body", "Right \u202eto left", None),
    ("body", "Fox \U0001f98a and cafe\u0301", None),
    ("body", "<script>alert(1)</script>", None),
    ("body", "<img src=x onerror=alert(1)>", None),
    ("body", "[x](javascript:alert(1))", None),
    ("body", '<a href="javascript:alert(1)">x</a> and [y](JaVaScRiPt:alert(1))', None),
]


def case_id(value):
    return repr(value)[:24] if isinstance(value, str) else None


@pytest.mark.parametrize(("field", "value", "error"), BAD_INPUT, ids=case_id)
def test_bad_input_is_a_form_error_or_renders_inert(make_app, field, value, error):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    poster = app.test_client()
    fields = {"name": "Bo Reader", "email": "bo@example.com", "body": "A perfectly normal comment.", field: value}
    response = send_comment(poster, **fields)
    assert response.status_code in (200, 302), response.status_code

    if error is not None:
        assert response.status_code == 200 and CORRECT_FIELDS in text(response)
        assert field_errors(response) == {field: str(escape(error))}
        assert "Set-Cookie" not in response.headers
        assert_inert(text(response), "re-rendered form")
        if field != "body":
            assert kept(response, "A perfectly normal comment.")
        assert stored(app) == []
        return

    comment_id = posted_id(response)
    [comment] = stored(app)
    assert getattr(comment, field) == value.strip()
    ada = logged_in(app, AUTHOR)
    pages = {
        "article": app.test_client().get("/posts/hello"),
        "article for the poster": poster.get("/posts/hello"),
        "reply form": app.test_client().get(f"/posts/hello?reply_to={comment_id}"),
        "edit form": poster.get(f"/comments/{comment_id}/edit"),
        "delete form": poster.get(f"/comments/{comment_id}/delete"),
        "queue": ada.get("/admin/comments?status=approved"),
        "home": app.test_client().get("/"),
    }
    for where, page in pages.items():
        assert page.status_code == 200, where
        assert_inert(text(page), where)
    section = comments_section(pages["article"])
    assert "<img" not in section
    if field == "name":
        assert f'class="comment-author">{escape(value)}</strong>' in section
        assert f'<h3 id="comment-form-heading">Reply to {escape(value)}</h3>' in text(pages["reply form"])
    if field == "email":
        assert value not in text(pages["article"]) and value in text(pages["queue"])


def test_names_are_plain_text_links_are_nofollow_and_images_are_not_rendered(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    client = app.test_client()
    named = posted_id(send_comment(client, name="<b>Bo</b>", body="Bold name?"))
    linked = posted_id(send_comment(client, body="See [the map](https://example.com/map) for **more**."))
    pictured = posted_id(send_comment(client, body="Look: ![x](http://example.com/a.png)"))

    section = comments_section(app.test_client().get("/posts/hello"))
    assert "&lt;b&gt;Bo&lt;/b&gt;" in item(section, named) and "<b>Bo</b>" not in section
    assert (
        '<a href="https://example.com/map" rel="nofollow ugc noopener">the map</a> for <strong>more</strong>'
        in item(section, linked)
    )
    assert "<img" not in item(section, pictured) and "a.png" in item(section, pictured)


def test_html_typed_in_a_comment_shows_as_text(make_app):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    typed = posted_id(send_comment(app.test_client(), body="I <b>love</b> <script>alert(1)</script> this"))
    shown = item(comments_section(app.test_client().get("/posts/hello")), typed)
    assert "<p>I &lt;b&gt;love&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt; this</p>" in shown


@pytest.mark.parametrize("where", ["parent_id", "reply_to", "bulk ids"])
def test_unicode_digits_in_ids_are_not_a_server_error(make_app, where):
    app, _, _ = make_blog(make_app, COMMENT_MODERATION="none")
    client = app.test_client()
    if where == "parent_id":
        response = send_comment(client, parent_id="\u00b2")
        assert response.status_code in (302, 400) and len(stored(app)) <= 1
    elif where == "reply_to":
        response = client.get("/posts/hello?reply_to=\u00b2")
        assert response.status_code == 200 and "Leave a comment" in text(response)
    else:
        response = logged_in(app, AUTHOR).post("/admin/comments/bulk", data={"action": "approve", "ids": "\u00b2"})
        assert response.status_code == 302


# --- 8. cookies, bad tokens, closed comments -----------------------------------------------------------------------


def test_reading_sets_no_cookie_and_posting_sets_an_httponly_commenter_cookie(make_app):
    app, _, _ = make_blog(make_app)
    client = app.test_client()
    for url in ("/posts/hello", "/", "/posts/hello?reply_to=1"):
        assert "Set-Cookie" not in client.get(url).headers, url
    refused = send_comment(client, body="")
    assert refused.status_code == 200 and "Set-Cookie" not in refused.headers

    response = send_comment(client, body="Held first comment.")
    held = posted_id(response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("commenter=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Held first comment." in text(client.get("/posts/hello"))

    forger = app.test_client()  # an unsigned cookie naming the comment grants nothing
    payload = base64.urlsafe_b64encode(json.dumps([held]).encode()).decode().rstrip("=")
    forger.set_cookie("commenter", f"{payload}.forged")
    assert "Held first comment." not in text(forger.get("/posts/hello"))
    assert forger.get(f"/comments/{held}/edit").status_code == 403
    assert forger.get(f"/comments/{held}").status_code == 404


def test_bad_tokens_and_foreign_origins_are_refused_with_the_text_kept(make_app, monkeypatch):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION="none")
    content.post("Other", slug="other")
    client = app.test_client()
    good = token_of(client.get("/posts/hello"))
    other_post = token_of(client.get("/posts/other"))
    a_day_ago = blog.public_forms.now() - 25 * 3600
    monkeypatch.setattr(blog.public_forms, "now", lambda: a_day_ago)
    old = token_of(client.get("/posts/hello"))
    monkeypatch.undo()

    attempts = {
        "no token": ("", {}),
        "garbage": ("not-a-token", {}),
        "tampered": (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), {}),
        "another post's token": (other_post, {}),
        "a day old": (old, {}),
        "foreign origin": (good, {"Origin": "https://evil.example"}),
        "opaque origin": (good, {"Origin": "null"}),
    }
    for case, (token, headers) in attempts.items():
        body = f"Typed text for {case} <kept>."
        response = client.post(
            "/posts/hello/comments",
            headers=headers,
            data={"token": token, "name": "Bo", "email": "bo@example.com", "body": body},
        )
        assert response.status_code == 400, case
        assert BAD_FORM in text(response) and kept(response, body), case
        assert "Set-Cookie" not in response.headers, case
    assert stored(app) == []

    response = client.post(
        "/posts/hello/comments",
        headers={"Origin": "http://localhost"},
        data={"token": good, "name": "Bo", "email": "bo@example.com", "body": "Same site."},
    )
    posted_id(response)


def test_a_reply_must_point_at_a_visible_comment_on_the_same_post(make_app):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION="none")
    content.post("Other", slug="other")
    client = app.test_client()
    elsewhere = posted_id(send_comment(client, slug="other", body="On the other post."), slug="other")
    held = posted_id(send_comment(app.test_client(), name="Cy", email="cy@example.com", body=THREE_LINKS))

    for parent in (elsewhere, held, 999999):
        body = f"A reply to {parent}."
        response = send_comment(client, body=body, parent_id=parent)
        assert response.status_code == 400, parent
        assert NOT_ON_POST in text(response) and kept(response, body), parent
    assert [c.id for c in stored(app)] == [elsewhere, held]


def test_closing_comments_refuses_posts_with_403_and_stores_nothing(make_app):
    app, content, post_id = make_blog(make_app, COMMENT_MODERATION="none")
    content.author("cy@example.com", "Cy Writer")
    client = app.test_client()
    token = token_of(client.get("/posts/hello"))
    data = {"token": token, "name": "Bo", "email": "bo@example.com", "body": "Am I too late?"}

    not_hers = logged_in(app, "cy@example.com").post(f"/admin/posts/{post_id}/comments", data={"open": "0"})
    assert not_hers.status_code == 403
    ada = logged_in(app, AUTHOR)
    assert "Close comments" in text(ada.get(f"/admin/posts/{post_id}/edit"))
    assert ada.post(f"/admin/posts/{post_id}/comments", data={"open": "0"}).status_code == 302
    article = text(client.get("/posts/hello"))
    assert "Comments are closed." in article and not TOKEN.search(article)
    response = client.post("/posts/hello/comments", data=data)
    assert response.status_code == 403 and "Comments are closed on this post." in text(response)
    assert "Set-Cookie" not in response.headers
    assert stored(app) == []

    assert ada.post(f"/admin/posts/{post_id}/comments", data={"open": "1"}).status_code == 302
    posted_id(client.post("/posts/hello/comments", data=data))


def test_comments_close_on_posts_older_than_close_after_days(make_app):
    app, content, _ = make_blog(make_app, COMMENT_MODERATION="none", COMMENT_CLOSE_AFTER_DAYS=30)
    content.post("Old News", slug="old-news", days_ago=40)
    client = app.test_client()
    assert "Comments are closed." in text(client.get("/posts/old-news"))
    assert not TOKEN.search(text(client.get("/posts/old-news")))

    app.config["COMMENT_CLOSE_AFTER_DAYS"] = 0  # just long enough to get a good form for the old post
    token = token_of(client.get("/posts/old-news"))
    app.config["COMMENT_CLOSE_AFTER_DAYS"] = 30
    response = client.post(
        "/posts/old-news/comments", data={"token": token, "name": "Bo", "email": "bo@example.com", "body": "Hello?"}
    )
    assert response.status_code == 403 and "Comments are closed on this post." in text(response)
    assert stored(app) == []
    posted_id(send_comment(client))  # the one-day-old post is still open


# --- 9. query counts -------------------------------------------------------------------------------------------------


def add_comments(app, post_id: int, count: int, start: int = 0) -> None:
    """Approved comments straight into the database; four in five reply to the one before (chains of five)."""
    with app.app_context():
        previous = None
        for n in range(start, start + count):
            body = f"Comment {n} with *emphasis*."
            comment = Comment(
                post_id=post_id,
                name=f"Reader {n}",
                email=f"r{n}@example.com",
                body=body,
                body_html=render_comment(body),
                status=Comment.APPROVED,
            )
            if n % 5 and previous is not None:
                comment.parent_id, comment.root_id = previous.id, previous.thread_root_id
                comment.depth = previous.depth + 1
            db.session.add(comment)
            db.session.flush()
            previous = comment
        db.session.add(
            Comment(
                post_id=post_id,
                name="Held",
                email="held@example.com",
                body=f"Held {start}",
                body_html=f"<p>Held {start}</p>",
                status=Comment.PENDING,
            )
        )
        db.session.commit()


def test_the_article_runs_the_same_queries_with_5_and_200_comments(make_app):
    app, _, post_id = make_blog(make_app)
    reader = app.test_client()
    add_comments(app, post_id, 5)
    small = queries_for(app, reader, "/posts/hello")
    assert heading(reader.get("/posts/hello")) == "5 comments"
    add_comments(app, post_id, 195, start=5)
    large = queries_for(app, reader, "/posts/hello")
    page = reader.get("/posts/hello")
    assert heading(page) == "200 comments" and 'id="comment-' in comments_section(page)
    assert "in reply to" in comments_section(page)  # chains of five go past COMMENT_MAX_DEPTH
    assert small == large, f"{small} queries with 5 comments, {large} with 200"


def test_a_cold_article_runs_four_queries_once_the_sidebar_and_header_are_known(make_app):
    """The content version with the settings, the post with its tags, its links, and the thread page with
    its replies and its count in one statement (the sidebar's topics and the header's links are read once
    per content version)."""
    app, _, post_id = make_blog(make_app, PAGE_CACHE=False)
    add_comments(app, post_id, 50)
    reader = app.test_client()
    first = queries_for(app, reader, "/posts/hello")
    again = queries_for(app, reader, "/posts/hello")
    assert heading(reader.get("/posts/hello")) == "50 comments"
    assert (first, again) == (7, 4)


@pytest.mark.parametrize("url", ["/", "/posts/", "/tags/common"])
def test_listings_with_comment_counts_run_the_same_queries_with_3_and_20_posts(make_app, url):
    app = make_app(**FAST)
    content = Content(app)
    counts = []
    for first, total in ((0, 3), (3, 20)):
        for n in range(first, total):
            post_id = content.post(f"Post {n}", slug=f"post-{n}", tags=["Common"], days_ago=30 - n)
            add_comments(app, post_id, 2, start=100 * n)
        counts.append(queries_for(app, app.test_client(), url))
        newest = f'<a href="/posts/post-{total - 1}#comments">2 comments</a>'
        assert newest in text(app.test_client().get(url))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries with 3 posts, {counts[1]} with 20"


def test_replies_under_a_held_reply_stay_visible_and_counted(app, client, content):
    post_id = content.post("Held Middle", slug="held-middle")
    with app.app_context():

        def add(name, status, parent=None):
            comment = Comment(
                post_id=post_id,
                name=name,
                email=f"{name.lower()}@example.com",
                body=name,
                body_html=f"<p>{name} says hi</p>",
                status=status,
            )
            if parent is not None:
                comment.parent_id, comment.root_id, comment.depth = (
                    parent.id,
                    parent.root_id or parent.id,
                    parent.depth + 1,
                )
            db.session.add(comment)
            db.session.flush()
            return comment

        root = add("Root", "approved")
        middle = add("Middle", "spam", root)
        add("Leaf", "approved", middle)
        hidden_root = add("Spamroot", "spam")
        add("Orphan", "approved", hidden_root)
        db.session.commit()
    page = client.get("/posts/held-middle").get_data(as_text=True)
    assert "Root says hi" in page and "Leaf says hi" in page
    assert "Middle says hi" not in page and "Spamroot says hi" not in page and "Orphan says hi" not in page
    assert '<h2 id="comments-heading">2 comments</h2>' in page  # the count is what readers see
    home = client.get("/").get_data(as_text=True)
    assert "2 comments</a>" in home


# --- 10. two moderators at once ---------------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer


class Browser:
    """A moderator's browser against the live server: its own cookies, redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def live_blog(make_app):
    """The blog served by a threaded server on a free port, as in production: one request per thread."""
    app, content, post_id = make_blog(make_app, COMMENT_MODERATION="none")
    content.author(ADMIN, "Rita Admin", role="admin")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, post_id, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_two_moderators_deleting_and_approving_at_once_never_get_a_500(live_blog):
    app, post_id, base = live_blog
    rounds = 30
    with app.app_context():
        comments = [
            Comment(
                post_id=post_id,
                name=f"Reader {n}",
                email=f"r{n}@example.com",
                body=f"Held {n}.",
                body_html=f"<p>Held {n}.</p>",
                status=Comment.PENDING,
            )
            for n in range(rounds)
        ]
        db.session.add_all(comments)
        db.session.commit()
        ids = [c.id for c in comments]
    moderators = [Browser(base), Browser(base)]  # the post's author and an admin, each logged in once
    for moderator, email in zip(moderators, (AUTHOR, ADMIN), strict=True):
        status, _ = moderator.request("/login", {"email": email, "password": PASSWORD})
        assert status == 302
    barrier = threading.Barrier(2)
    answers: list[tuple[str, int, str]] = []

    def act(moderator: Browser, comment_id: int, action: str) -> None:
        barrier.wait()
        status, _ = moderator.request(f"/admin/comments/{comment_id}/{action}", {"next": "/admin/comments"})
        shown, queue = moderator.request("/admin/comments")  # where the flash is shown
        assert shown == 200, "logged out"
        message = "already deleted" if "This comment was already deleted." in queue else "done"
        answers.append((action, status, message))

    for comment_id in ids:
        threads = [
            threading.Thread(target=act, args=(moderators[0], comment_id, "delete")),
            threading.Thread(target=act, args=(moderators[1], comment_id, "approve")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(answers) == 2 * rounds
    assert [a for a in answers if a[1] != 302] == []  # never a 500, every answer a redirect back
    assert all(status_of(app, comment_id) is None for comment_id in ids)  # the delete always wins
    assert all(message == "done" for action, _, message in answers if action == "delete")


# --- size --------------------------------------------------------------------------------------------------------


def test_fifty_comments_keep_every_part_in_lean_markup(make_app):
    """The bench's article (1,284 words, 50 threaded comments of 20 to 40 words): what the page adds around
    the words it shows, the comment markup above all, stays small, and no comment loses its parts."""
    import random

    from blog.models import utcnow

    app, content, _ = make_blog(make_app)
    rng = random.Random(13)
    vocabulary = "river city morning letter train window garden kitchen winter summer market bridge".split()

    def sentence(count: int) -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(count)).capitalize() + "."

    body = "\n\n".join(sentence(90) for _ in range(1284 // 90 + 1))
    post_id = content.post("Fifty voices", body, slug="fifty")
    with app.app_context():
        comments: list[Comment] = []
        for n in range(50):
            parent = comments[rng.randrange(len(comments))] if n and rng.random() < 0.4 else None
            said = sentence(rng.randrange(20, 41))
            comment = Comment(
                post_id=post_id,
                parent_id=parent.id if parent else None,
                root_id=(parent.root_id or parent.id) if parent else None,
                depth=min(parent.depth + 1, 4) if parent else 1,
                name=f"Reader {n}",
                email=f"reader{n}@example.com",
                body=said,
                body_html=render_comment(said),
                status=Comment.APPROVED,
                created_at=utcnow() - timedelta(minutes=100 - n),
            )
            db.session.add(comment)
            db.session.flush()
            comments.append(comment)
        db.session.commit()
        ids = [c.id for c in comments]
        words = sum(len(c.body_html.encode()) for c in comments)

    section = comments_section(app.test_client().get("/posts/fifty"))
    for comment_id in ids:  # each comment keeps its author, time, words and Reply link
        shown = item(section, comment_id)
        assert 'class="comment-author">Reader ' in shown and "<time datetime=" in shown
        assert f"?reply_to={comment_id}#comment-form" in shown and '<span class="visually-hidden"> to Reader' in shown
    # The section wrapped its 10.5 KB of comments in 30.2 KB of markup before (580 bytes a comment), 25.7 KB now.
    assert len(section.encode()) - words <= 27 * 1024
