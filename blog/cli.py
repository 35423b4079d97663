"""Command-line tasks: `flask --app blog create-author` and `flask --app blog seed-demo`."""

import io
import secrets
import signal
import threading
from datetime import datetime
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from .auth.services import create_author, email_taken
from .comments.notifications import queue_due_digests
from .content_version import bump
from .extensions import db
from .forms import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from .listing_counts import recount_archive, recount_tags, sync_listed_at
from .mail import MailConfigError, deliver
from .models import Media, OutboxMail, Post, PostKind, Role, Tag, User, month_key, recount_comments
from .posts.services import publish, tag_named
from .search.index import index_is_stale, reindex_all


def normalise_email(address: str) -> str:
    """The canonical form of an address, or EmailNotValidError; never a DNS look-up."""
    return validate_email(address.strip(), check_deliverability=False).normalized


@click.command("create-author")
@with_appcontext
@click.argument("email")
@click.option("--name", required=True, help="The name shown on the author's posts.")
@click.option("--admin", is_flag=True, help="Give the author the admin role.")
@click.password_option(help="The password (prompted for, hidden, when not given).")
def create_author_command(email: str, name: str, admin: bool, password: str) -> None:
    """Add an author who can log in and write."""
    try:
        email = normalise_email(email)
    except EmailNotValidError as error:
        raise click.ClickException(f"{email!r} is not a valid email address: {error}") from None
    name = name.strip()
    if not name or len(name) > 100:
        raise click.ClickException("--name must be 1 to 100 characters.")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise click.ClickException(f"The password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.")
    if email_taken(email):
        raise click.ClickException(f"An author with the email {email} already exists.")
    create_author(email=email, name=name, password=password, role=Role.ADMIN if admin else Role.AUTHOR)
    db.session.commit()
    click.echo(f"Created {'admin' if admin else 'author'} {name} <{email}>.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only load the demo when the database has no posts.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo author, articles and pages; running it again changes nothing."""
    from .demo_content import DEMO_AUTHOR, demo_pages, demo_posts

    items = demo_posts(current_app.config["SITE_LANGUAGE"])

    if if_empty and db.session.scalar(select(func.count(Post.id))):
        click.echo("The database already has posts; demo content not loaded.")
        return
    author = db.session.scalar(select(User).where(User.email == DEMO_AUTHOR["email"]))
    if author is None:
        # Nobody logs in as the demo author until an admin resets the password and activates it.
        author = create_author(email=DEMO_AUTHOR["email"], name=DEMO_AUTHOR["name"], password=secrets.token_urlsafe(32))
        author.active = False
    added = pictured = 0
    for item in items:
        post = db.session.scalar(select(Post).where(Post.slug == item["slug"]))
        if post is None:
            post = Post(
                title=item["title"],
                slug=item["slug"],
                excerpt=item["excerpt"],
                author=author,
                tags=[tag_named(name) for name in item["tags"]],
            )
            post.set_body(item["body"])
            publish(post, datetime.fromisoformat(item["published_at"]))
            db.session.add(post)
            db.session.flush()  # so the next post's tags find the ones just added
            added += 1
        # A demo article seeded before featured pictures existed gets its picture too; one that has a
        # picture, or that someone took over and wrote themselves, is left alone.
        if post.featured_media_id is None and post.author_id == author.id:
            post.featured_media = demo_picture(item)
            pictured += 1
    pages_added = seed_demo_pages(demo_pages(current_app.config["SITE_LANGUAGE"]), author)
    db.session.commit()
    click.echo(
        f"Demo content: {added} article(s) added, {len(items) - added} already there; "
        f"{pictured} featured picture(s) added; {pages_added} page(s) added."
    )


def seed_demo_pages(items: list[dict], author: User) -> int:
    """The demo's standalone pages ("About"), published and in the header navigation; the caller commits."""
    from .site_nav.services import show_in_navigation

    added = 0
    for item in items:
        if db.session.scalar(select(Post.id).where(Post.slug == item["slug"])) is not None:
            continue  # already there, or someone's own post took the slug: left alone
        page = Post(
            title=item["title"],
            slug=item["slug"],
            kind=PostKind.PAGE,
            excerpt=item["excerpt"],
            author=author,
            comments_open=False,
        )
        page.set_body(item["body"])
        publish(page, datetime.fromisoformat(item["published_at"]))
        db.session.add(page)
        db.session.flush()
        if item.get("in_navigation"):
            show_in_navigation(page, True)
        added += 1
    return added


def demo_picture(item: dict) -> Media:
    """The demo article's picture, drawn and stored through the media library (so every size exists)."""
    from .demo_pictures import draw_demo_picture
    from .media.services import store_upload

    spec = item["picture"]
    data = draw_demo_picture(spec, seed=item["slug"])
    upload = FileStorage(stream=io.BytesIO(data), filename=f"{item['slug']}.jpg", content_type="image/jpeg")
    # store_upload commits: the posts added so far are committed with it, which a re-run then skips.
    return store_upload(upload, uploader=None, alt=spec["alt"])


@click.group("mail")
def mail_group() -> None:
    """The outbox of mails the blog sends."""


@mail_group.command("send-queued")
@click.option("--retry-failed", is_flag=True, help="Also try mails that ran out of attempts.")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Keep running: deliver what is due every SECONDS until stopped (Ctrl-C or TERM).",
)
@with_appcontext
def send_queued_command(retry_failed: bool, every: int | None) -> None:
    """Deliver every mail that is due (run it from cron or a systemd timer, or with --every beside the server)."""
    if every is None:
        send_queued_once(retry_failed)
        return
    stop = threading.Event()

    def request_stop(signum, frame):
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Sending queued mail every {every} s; Ctrl-C or TERM stops.")
    if not current_app.config["MAIL_SERVER"]:
        click.echo("MAIL_SERVER is not set: mails stay queued (each is logged when queued).")
    try:
        while not stop.is_set():
            try:
                send_queued_once(retry_failed, quiet=True)
            except click.ClickException as error:
                click.echo(f"Error: {error.format_message()}", err=True)
            except Exception as error:  # a database that is down: say so, try again next time
                db.session.rollback()
                click.echo(f"Sending failed this time ({type(error).__name__}); trying again in {every} s.", err=True)
            finally:
                db.session.remove()  # each pass reads the outbox afresh
            stop.wait(every)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Stopped sending queued mail.")


def send_queued_once(retry_failed: bool, quiet: bool = False) -> None:
    """One pass over the outbox; quiet: a line only when something was sent, retried or given up."""
    queue_due_digests()  # reply digests whose wait is over become mails in the outbox first
    waiting = db.session.scalar(
        select(func.count(OutboxMail.id)).where(OutboxMail.status.in_([OutboxMail.QUEUED, OutboxMail.SENDING]))
    )
    if not current_app.config["MAIL_SERVER"]:
        if not quiet:
            click.echo(f"MAIL_SERVER is not set: nothing was sent ({waiting} mail(s) queued).")
        return
    try:
        result = deliver(timeout=current_app.config["MAIL_TIMEOUT"], retry_failed=retry_failed)
    except MailConfigError as error:
        raise click.ClickException(str(error)) from None
    if not quiet or result.sent or result.retrying or result.failed:
        click.echo(f"Sent {result.sent}, will retry {result.retrying}, failed for good {result.failed}.")


@click.group("search")
def search_group() -> None:
    """The full-text search index."""


@search_group.command("reindex")
@click.option(
    "--if-stale",
    is_flag=True,
    help="Only when a migration or a new SITE_LANGUAGE left the index stale (what `make run` does).",
)
@with_appcontext
def reindex_command(if_stale: bool) -> None:
    """Rebuild the search index of every post, in the site's language."""
    if if_stale and not index_is_stale(db.session.connection()):
        click.echo("The search index is up to date.")
        return
    total = db.session.scalar(select(func.count(Post.id)))
    with click.progressbar(length=total or 0, label="Indexing posts") as bar:
        count = reindex_all(db.session.connection(), progress=lambda _post_id: bar.update(1))
    bump(db.session.connection())  # search results may differ: cached result pages go
    db.session.commit()
    click.echo(f"Indexed {count} post(s).")


@click.command("import")
@click.argument("file")
@click.option("--dry-run", is_flag=True, help="Read everything and say what would be imported; write nothing.")
@click.option("--author", "author_email", metavar="EMAIL", help="Give every post to this existing author.")
@with_appcontext
def import_command(file: str, dry_run: bool, author_email: str | None) -> None:
    """Import a WordPress export (WXR) or a Blogger export (Atom, Takeout feed.atom or .zip)."""
    import sys

    from sqlalchemy.exc import SQLAlchemyError

    from .transfer.importer import run_import
    from .transfer.items import ImportFailed

    on_terminal = sys.stdout.isatty()

    def progress(posts: int, comments: int) -> None:
        if on_terminal:
            click.echo(f"\rImporting: {posts} post(s) and page(s), {comments} comment(s)", nl=False)

    try:
        report = run_import(file, dry_run=dry_run, author_email=author_email, progress=progress)
    except ImportFailed as error:
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        message = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise click.ClickException(f"The database refused the import ({message}); nothing was imported.") from None
    except Exception as error:  # a file no reader foresaw: still one line, and nothing half imported
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        raise click.ClickException(f"{file}: the import failed ({message}); nothing was imported.") from None
    finally:
        if on_terminal:
            click.echo()
    for line in report.lines(dry_run):
        click.echo(line)


@click.command("recount")
@with_appcontext
def recount_command() -> None:
    """Recompute what is kept on write: comment counts and local months (after changing SITE_TIMEZONE) on
    posts, and the listing counts of tags and the archive (after a change outside the app)."""
    last, done = 0, 0
    while True:
        posts = db.session.scalars(select(Post).where(Post.id > last).order_by(Post.id).limit(500)).all()
        if not posts:
            break
        for post in posts:
            post.published_month = month_key(post.published_at)
        recount_comments(db.session.connection(), [post.id for post in posts])
        db.session.commit()
        done, last = done + len(posts), posts[-1].id
        db.session.expunge_all()  # flat memory at any size
    click.echo(f"Recounted {done} post(s).")
    connection = db.session.connection()
    sync_listed_at(connection)
    recount_tags(connection)
    recount_archive(connection)
    bump(connection)  # written through the connection: cached pages made before are stale
    tags = db.session.scalar(select(func.count()).select_from(Tag)) or 0
    db.session.commit()
    click.echo(f"Recounted the listings of {tags} tag(s) and of the archive.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_author_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(mail_group)
    app.cli.add_command(search_group)
    app.cli.add_command(recount_command)
    app.cli.add_command(export_command)
    app.cli.add_command(export_messages_command)
    app.cli.add_command(import_command)


def write_atomically(path: Path, chunks) -> None:
    """Write the chunks to PATH.part, then rename: a failed export never leaves half a file under PATH."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"Could not write {path}: {error.strerror or error}") from None


@click.command("export")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write every post, page, tag, author and comment to PATH as a WordPress export (WXR 1.2)."""
    from .transfer.exporter import ExportCounts, wxr_chunks

    counts = ExportCounts()
    # Links are built with url_for, which wants a request; SITE_URL (when set) gives their host.
    with current_app.test_request_context():
        write_atomically(path, wxr_chunks(counts))
    click.echo(f"Exported {counts.summary()} to {path}.")
    if not current_app.config["SITE_URL"]:
        click.echo("SITE_URL is not set: the links in the file point at http://localhost.", err=True)


@click.command("export-messages")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_messages_command(path: Path) -> None:
    """Write every contact message, with the delivery of its mail, to PATH as CSV (UTF-8, for Excel too)."""
    from .transfer.exporter_messages import csv_chunks

    counter = [0]
    write_atomically(path, csv_chunks(counter))
    click.echo(f"Exported {counter[0]} message(s) to {path}.")
