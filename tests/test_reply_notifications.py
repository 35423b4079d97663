"""Reply mails for readers over a real SMTP server: double opt-in, the digest, held replies, unsubscribing."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

import blog.comments.notifications
from blog.extensions import db
from blog.models import OutboxMail, ReaderSubscription, utcnow

from .conftest import Content
from .helpers import log_in, text, token_of

SITE = "http://blog.example.com"
FAST = {"COMMENT_MIN_SECONDS": 0, "COMMENT_RATE_LIMIT": "1000 per minute"}
READER = "bo@example.com"
BOX = "Email me when someone replies"


class Clock:
    """The notifications' clock, moved by the tests; starts now."""

    def __init__(self, monkeypatch):
        self.now = utcnow()
        monkeypatch.setattr(blog.comments.notifications, "utcnow", lambda: self.now)

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def site(make_app, smtp, clock):
    """The app with the mail server up, comments published at once, and Ada's post "Hello"."""
    smtp.start()

    def factory(**settings):
        app = make_app(**{**FAST, **smtp.settings(), "SITE_URL": SITE, "COMMENT_MODERATION": "none", **settings})
        Content(app).post("Hello", "A walk along the coast.", slug="hello")
        return app

    return factory


def send_comment(client, *, name="Bo Reader", email=READER, body="What a lovely walk.", parent_id="", notify=False):
    page = client.get("/posts/hello")
    data = {"token": token_of(page), "parent_id": str(parent_id), "website": "", "name": name, "email": email}
    data.update(body=body, submit="Post comment")
    if notify:
        data["notify"] = "y"
    response = client.post("/posts/hello/comments", data=data)
    assert response.status_code == 302, text(response)[-2000:]
    return int(response.headers["Location"].rpartition("#comment-")[2])


def reply(app, parent_id, body, name="Cy Replier", email="cy@example.com"):
    """Someone else replies, from a browser of their own."""
    return send_comment(app.test_client(), name=name, email=email, body=body, parent_id=parent_id)


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link(message, path_start: str) -> str:
    """The path of the first link in the mail's text that starts with SITE + path_start."""
    found = re.search(re.escape(SITE + path_start) + r"\S+", plain(message))
    assert found, plain(message)
    return urlsplit(found.group(0)).path


def mails_to(smtp, address=READER):
    return [m for m in smtp.messages if m["To"] == address]


def send_queued(app):
    result = app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0, result.output
    return result.output


def confirm(client, smtp):
    """Open the confirmation mail's link, press "Confirm"."""
    [mail] = mails_to(smtp)
    path = link(mail, "/notifications/confirm/")
    page = client.get(path)
    assert "Confirm" in text(page)
    response = client.post(path, data={"token": token_of(page), "submit": "Confirm"})
    assert response.headers["Location"] == path
    return response


def subscribed_reader(app, smtp):
    """Bo comments with the box ticked and confirms; his comment's id."""
    bo = app.test_client()
    comment_id = send_comment(bo, notify=True)
    confirm(bo, smtp)
    return comment_id


def digest_mails(app, smtp, clock, minutes=11):
    """Let the digest wait run out and run the sender: the reply mails Bo gets."""
    clock.advance(minutes)
    send_queued(app)
    return [m for m in mails_to(smtp) if "Confirm reply notifications" not in m["Subject"]]


# --- opting in -----------------------------------------------------------------------------------------------


def test_the_box_is_under_the_comment_form_unticked_with_a_label(site):
    app = site()
    page = text(app.test_client().get("/posts/hello"))
    assert f'<label for="notify">{BOX}</label>' in page
    box = re.search(r'<input[^>]*name="notify"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box and "checked" not in box


def test_no_reply_mail_before_the_address_confirms_then_one_after(site, smtp, clock):
    app = site()
    bo = app.test_client()
    first = send_comment(bo, notify=True)
    [confirmation] = smtp.messages
    assert confirmation["To"] == READER and confirmation["Subject"] == "Confirm reply notifications from Test Blog"
    assert confirmation["Auto-Submitted"] == "auto-generated"
    assert link(confirmation, "/notifications/confirm/").startswith("/notifications/confirm/")

    reply(app, first, "Not yet confirmed, so you never hear of this.")
    assert digest_mails(app, smtp, clock) == []

    confirm(bo, smtp)
    assert "Confirmed" in text(bo.get(link(confirmation, "/notifications/confirm/")))
    reply(app, first, "Now you hear of this.")
    [mail] = digest_mails(app, smtp, clock)
    assert "Now you hear of this." in plain(mail) and "never hear" not in plain(mail)


def test_opening_the_confirm_link_confirms_nothing(site, smtp, clock):
    app = site()
    bo = app.test_client()
    first = send_comment(bo, notify=True)
    path = link(smtp.messages[0], "/notifications/confirm/")
    for _ in range(2):  # a mail scanner, then the reader, only open it
        page = bo.get(path)
        assert page.status_code == 200 and '<input class="button primary" id="submit"' in text(page)
        assert "Set-Cookie" not in page.headers and "no-store" in page.headers["Cache-Control"].split(", ")
    with app.app_context():
        assert db.session.scalars(select(ReaderSubscription)).one().confirmed_at is None
    reply(app, first, "Nobody pressed Confirm.")
    assert digest_mails(app, smtp, clock) == []


def test_a_forged_or_expired_confirm_link_is_refused(site, smtp, clock):
    app = site()
    bo = app.test_client()
    send_comment(bo, notify=True)
    path = link(smtp.messages[0], "/notifications/confirm/")
    assert bo.get(path + "x").status_code == 404
    assert bo.post(path[:-3] + "abc", data={}).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ReaderSubscription)).one().confirmed_at is None


def test_asking_again_while_unconfirmed_resends_at_most_once_an_hour(site, smtp, clock):
    app = site()
    for n in range(3):
        send_comment(app.test_client(), body=f"Comment {n}", notify=True)
    assert len(mails_to(smtp)) == 1
    clock.advance(61)
    send_comment(app.test_client(), body="Comment after an hour", email="BO@Example.com", notify=True)
    assert len(mails_to(smtp)) == 2  # one address, whatever its case


def test_a_comment_with_the_box_ticked_is_kept_when_mail_is_down(site, smtp, clock):
    smtp.stop()
    app = site()
    bo = app.test_client()
    first = send_comment(bo, notify=True)
    assert "What a lovely walk." in text(bo.get("/posts/hello"))
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail)).one()
        assert mail.to_addresses == READER and mail.status == OutboxMail.QUEUED
    smtp.start()
    send_queued(app)  # the sender delivers it once the server is back
    confirm(bo, smtp)
    reply(app, first, "Glad you made it.")
    assert len(digest_mails(app, smtp, clock)) == 1


# --- the digest ------------------------------------------------------------------------------------------------


def test_three_replies_within_the_wait_are_one_mail_with_each_text_link_and_unsubscribe(site, smtp, clock):
    app = site()
    first = subscribed_reader(app, smtp)
    ids = [reply(app, first, "One <b>bold</b> claim."), None, None]
    clock.advance(4)
    ids[1] = reply(app, first, "Two.", name="Di", email="di@example.com")
    clock.advance(4)
    ids[2] = reply(app, first, "Three.")
    clock.advance(1.5)  # 9.5 minutes after the first reply: not due yet
    send_queued(app)
    assert [m for m in mails_to(smtp) if m["Subject"].startswith("3 replies")] == []

    [mail] = digest_mails(app, smtp, clock, minutes=1)
    assert mail["Subject"] == "3 replies to your comment on “Hello”"
    body = plain(mail)
    assert body.index("One <b>bold</b> claim.") < body.index("Two.") < body.index("Three.")
    for reply_id in ids:
        assert f"{SITE}/comments/{reply_id}" in body
    assert "One &lt;b&gt;bold&lt;/b&gt; claim." in html_part(mail) and "<b>bold</b>" not in html_part(mail)
    unsubscribe = link(mail, "/notifications/unsubscribe/")
    # A long header is folded onto a second line; a mail program unfolds it.
    assert mail["List-Unsubscribe"].strip() == f"<{SITE}{unsubscribe}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] == "auto-generated"

    digest_mails(app, smtp, clock, minutes=30)
    assert len(mails_to(smtp)) == 2  # the confirmation and one digest: nothing is sent twice


def test_every_reader_mail_carries_the_unsubscribe_headers(site, smtp, clock):
    app = site()
    subscribed_reader(app, smtp)
    [confirmation] = mails_to(smtp)
    assert confirmation["List-Unsubscribe"].strip().startswith(f"<{SITE}/notifications/unsubscribe/")
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_reply_by_the_same_reader_sends_nothing(site, smtp, clock):
    app = site()
    first = subscribed_reader(app, smtp)
    reply(app, first, "Adding to my own comment.", name="Bo", email="Bo@Example.com")
    assert digest_mails(app, smtp, clock) == []


def test_a_held_reply_sends_nothing_until_approved_then_waits_from_approval(site, smtp, clock):
    app = site(COMMENT_MODERATION="first-time")
    Content(app).author("rita@example.com", "Rita Root", role="admin")
    bo = app.test_client()
    first = send_comment(bo, notify=True)
    rita = app.test_client()
    log_in(rita, "rita@example.com")
    rita.post(f"/admin/comments/{first}/approve")
    confirm(bo, smtp)

    held = reply(app, first, "Held for the moderator.")
    assert digest_mails(app, smtp, clock, minutes=60) == []
    rita.post(f"/admin/comments/{held}/approve")
    assert digest_mails(app, smtp, clock, minutes=5) == []
    [mail] = digest_mails(app, smtp, clock, minutes=6)
    assert "Held for the moderator." in plain(mail)


def test_a_reply_deleted_or_spammed_while_waiting_is_left_out(site, smtp, clock):
    app = site()
    Content(app).author("rita@example.com", "Rita Root", role="admin")
    first = subscribed_reader(app, smtp)
    spam = reply(app, first, "Buy cheap watches.", name="Sp", email="sp@example.com")
    gone = reply(app, first, "Said something I regret.", name="Ed", email="ed@example.com")
    kept = reply(app, first, "A kind word.")
    rita = app.test_client()
    log_in(rita, "rita@example.com")
    rita.post(f"/admin/comments/{spam}/spam")
    rita.post(f"/admin/comments/{gone}/delete")
    [mail] = digest_mails(app, smtp, clock)
    assert mail["Subject"] == "A reply to your comment on “Hello”"
    assert "A kind word." in plain(mail) and f"/comments/{kept}" in plain(mail)
    assert "watches" not in plain(mail) and "regret" not in plain(mail)


def test_all_replies_gone_sends_nothing(site, smtp, clock):
    app = site()
    Content(app).author("rita@example.com", "Rita Root", role="admin")
    first = subscribed_reader(app, smtp)
    gone = reply(app, first, "Never mind.")
    rita = app.test_client()
    log_in(rita, "rita@example.com")
    rita.post(f"/admin/comments/{gone}/delete")
    assert digest_mails(app, smtp, clock) == []


def test_the_digest_is_built_outside_a_request_with_links_on_the_fallback_url(make_app, smtp, clock):
    smtp.start()
    app = make_app(**FAST, **smtp.settings(), COMMENT_MODERATION="none", MAIL_FALLBACK_URL="http://127.0.0.1:5055")
    Content(app).post("Hello", "A walk along the coast.", slug="hello")
    bo = app.test_client()
    first = send_comment(bo, notify=True)
    [confirmation] = smtp.messages
    path = re.search(r"http://localhost(/notifications/confirm/\S+)", plain(confirmation)).group(1)
    page = bo.get(path)
    bo.post(path, data={"token": token_of(page), "submit": "Confirm"})
    reply_id = reply(app, first, "From the sender.")
    clock.advance(11)
    send_queued(app)
    digest = smtp.messages[-1]
    assert f"http://127.0.0.1:5055/comments/{reply_id}" in plain(digest)
    assert digest["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:5055/notifications/unsubscribe/")


# --- unsubscribing --------------------------------------------------------------------------------------------


def test_one_click_unsubscribe_by_post_with_no_session_stops_the_next_mail(site, smtp, clock):
    app = site()
    first = subscribed_reader(app, smtp)
    reply(app, first, "First answer.")
    [mail] = digest_mails(app, smtp, clock)
    url = mail["List-Unsubscribe"].strip().strip("<>")

    mail_program = app.test_client(use_cookies=False)
    response = mail_program.post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "unsubscribed" in text(response)
    assert "Set-Cookie" not in response.headers

    reply(app, first, "Second answer.")
    assert len(digest_mails(app, smtp, clock)) == 1


def test_opening_the_unsubscribe_link_changes_nothing(site, smtp, clock):
    app = site()
    first = subscribed_reader(app, smtp)
    reply(app, first, "First answer.")
    [mail] = digest_mails(app, smtp, clock)
    page = app.test_client().get(link(mail, "/notifications/unsubscribe/"))
    assert "Unsubscribe from this conversation" in text(page) and "Unsubscribe from everything" in text(page)
    assert "Set-Cookie" not in page.headers and "no-store" in page.headers["Cache-Control"].split(", ")
    reply(app, first, "Second answer.")
    assert len(digest_mails(app, smtp, clock)) == 2


def press(client, path, button):
    page = client.get(path)
    response = client.post(path, data={"token": token_of(page), button: "x"})
    assert response.headers["Location"] == path, text(response)
    return text(client.get(path))


def test_unsubscribing_from_a_thread_keeps_the_others(site, smtp, clock):
    app = site()
    bo = app.test_client()
    first = subscribed_reader(app, smtp)
    second = send_comment(bo, body="Another thought, another thread.", notify=True)
    reply(app, first, "Answer in thread one.")
    [mail] = digest_mails(app, smtp, clock)
    assert press(app.test_client(), link(mail, "/notifications/unsubscribe/"), "thread").count(
        "gets no more mail about this conversation"
    )

    reply(app, first, "Another answer in thread one.")
    reply(app, second, "Answer in thread two.")
    [later] = digest_mails(app, smtp, clock)[1:]
    assert "thread two" in plain(later) and "thread one" not in plain(later)


def test_unsubscribing_from_everything_stops_every_thread_and_confirmations(site, smtp, clock):
    app = site()
    bo = app.test_client()
    first = subscribed_reader(app, smtp)
    second = send_comment(bo, body="Another thought, another thread.", notify=True)
    reply(app, first, "Answer in thread one.")
    [mail] = digest_mails(app, smtp, clock)
    path = link(mail, "/notifications/unsubscribe/")
    assert "gets no more mail from this blog" in press(app.test_client(), path, "everything")

    reply(app, first, "Again in one.")
    reply(app, second, "Again in two.")
    clock.advance(120)
    send_comment(app.test_client(), body="A third, box ticked.", notify=True)
    assert len(digest_mails(app, smtp, clock)) == 1  # not even a confirmation

    press(app.test_client(), path, "resume")  # the reader's own link turns mail back on
    reply(app, second, "After coming back.")
    assert "After coming back." in plain(digest_mails(app, smtp, clock)[-1])


def test_a_forged_unsubscribe_link_is_refused(site, smtp, clock):
    app = site()
    subscribed_reader(app, smtp)
    path = link(mails_to(smtp)[0], "/notifications/unsubscribe/")
    client = app.test_client(use_cookies=False)
    assert client.post(path + "x", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(ReaderSubscription.unsubscribed_at.is_not(None))) == 0


def test_one_click_on_the_confirmation_mail_stops_even_confirmations(site, smtp, clock):
    app = site()
    send_comment(app.test_client(), notify=True)
    [confirmation] = smtp.messages
    path = urlsplit(confirmation["List-Unsubscribe"].strip().strip("<>")).path
    page = app.test_client().get(path)
    assert "Unsubscribe from everything" in text(page) and "this conversation" not in text(page)
    app.test_client(use_cookies=False).post(path, data={"List-Unsubscribe": "One-Click"})
    clock.advance(24 * 60)
    send_comment(app.test_client(), body="Ticked again a day later.", notify=True)
    assert len(smtp.messages) == 1


def test_the_wait_is_notify_digest_minutes(site, smtp, clock):
    app = site(NOTIFY_DIGEST_MINUTES=2)
    first = subscribed_reader(app, smtp)
    reply(app, first, "Quick answer.")
    assert digest_mails(app, smtp, clock, minutes=1) == []
    assert len(digest_mails(app, smtp, clock, minutes=1)) == 1


def test_a_digest_is_queued_once_however_often_the_sender_runs(site, smtp, clock):
    """The digest is taken by deleting its rows in the mail's transaction: a later run finds nothing."""
    app = site()
    first = subscribed_reader(app, smtp)
    reply(app, first, "Only once, please.")
    clock.advance(11)
    with app.app_context():
        assert blog.comments.notifications.queue_due_digests() == 1
        assert blog.comments.notifications.queue_due_digests() == 0
    send_queued(app)
    assert len(digest_mails(app, smtp, clock)) == 1


def test_a_reply_held_for_its_links_and_edited_into_approval_starts_its_wait(site, smtp, clock):
    app = site()
    first = subscribed_reader(app, smtp)
    cy = app.test_client()
    links = "See https://a.example/1 and https://b.example/2 and https://c.example/3"
    held = send_comment(cy, name="Cy", email="cy@example.com", body=links, parent_id=first)
    assert digest_mails(app, smtp, clock) == []
    edit = cy.get(f"/comments/{held}/edit")
    cy.post(f"/comments/{held}/edit", data={"token": token_of(edit), "body": "No links after all.", "website": ""})
    [mail] = digest_mails(app, smtp, clock)
    assert "No links after all." in plain(mail)


def test_a_form_sent_back_with_errors_keeps_the_box_ticked(site, smtp):
    app = site()
    client = app.test_client()
    page = client.get("/posts/hello")
    data = {"token": token_of(page), "name": "Bo", "email": "not an address", "body": "Hi", "notify": "y"}
    response = client.post("/posts/hello/comments", data=data)
    box = re.search(r'<input[^>]*name="notify"[^>]*>', text(response)).group(0)
    assert "checked" in box
    assert smtp.messages == []


def test_a_negative_digest_wait_is_refused(make_app):
    with pytest.raises(ValueError, match="NOTIFY_DIGEST_MINUTES"):
        make_app(NOTIFY_DIGEST_MINUTES=-1)


def test_a_held_reply_approved_in_bulk_is_mailed_after_the_wait(site, smtp, clock):
    app = site(COMMENT_MODERATION="all")
    Content(app).author("rita@example.com", "Rita Root", role="admin")
    rita = app.test_client()
    log_in(rita, "rita@example.com")
    bo = app.test_client()
    first = send_comment(bo, notify=True)
    rita.post(f"/admin/comments/{first}/approve")
    confirm(bo, smtp)
    held = reply(app, first, "Approved with others.")
    assert digest_mails(app, smtp, clock) == []
    response = rita.post("/admin/comments/bulk", data={"action": "approve", "status": "pending", "ids": [held]})
    assert response.headers["Location"] == "/admin/comments?status=pending"
    [mail] = digest_mails(app, smtp, clock)
    assert "Approved with others." in plain(mail)
