"""Dashboard pages: request handling only; writing rules live in posts/services.py."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import format_datetime, get_translations, ngettext, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.sansio.multipart import Data, Epilogue, Event, Field, MultipartDecoder, NeedData

from ..auth import sessions
from ..auth.access import admin_required
from ..auth.services import create_author, email_taken
from ..authors.forms import BioForm
from ..comments.queries import moderation_counts
from ..contact.services import unread_count
from ..extensions import db, login_manager
from ..forms import ButtonForm, plural_message
from ..markdown import WORDS_PER_MINUTE, render_markdown
from ..media import queries as media_queries
from ..media import services as media_services
from ..models import CommentMail, CommentStatus, Media, Post, PostKind, PostRevision, PostStatus, User, utcnow
from ..paging import page_number
from ..posts import revisions, services
from ..security import security_event
from ..settings import services as settings_services
from ..settings.forms import CustomLinkForm
from ..site_nav import queries as site_nav_queries
from ..site_nav import services as site_nav_services
from ..site_settings import site_settings
from ..transfer.exporter import export_filename, wxr_chunks
from ..transfer.exporter_messages import csv_chunks, csv_filename
from . import menu, queries
from .forms import AccountForm, AuthorForm, AutosaveForm, CommentMailForm, LivePreviewForm, PostForm, ResetPasswordForm
from .stash import KEPT_FIELDS, keep_typed_text, restore_typed_text

bp = Blueprint("admin", __name__)
# The dashboard layout's menu; other blueprints' dashboard pages (comments, media ...) use it too.
bp.add_app_template_global(menu.dashboard_menu)


@bp.before_request
def require_login():
    """Every page under /admin/ needs a logged-in author; an editor post that lost its session keeps its text."""
    if current_user.is_authenticated:
        return None
    return keep_typed_text() or login_manager.unauthorized()


def post_for_editing(post_id: int) -> Post:
    """The post, or 404; 403 when it is someone else's and the author is not an admin."""
    post = db.get_or_404(Post, post_id)
    if not current_user.can_edit(post):
        abort(403)
    return post


def counted(message: tuple[str, str], count: int) -> Markup:
    """The singular or plural message for `count` in the site's language, the number in it marked up to stand
    out; the whole phrase is in the catalogue, so a translation puts the number where its language wants it."""
    number = Markup('<span class="attention-count">%d</span>') % count
    return escape(get_translations().ungettext(*message, count)) % {"num": number}


@bp.get("/")
def dashboard():
    post_counts = queries.post_counts(current_user)
    comment_counts = moderation_counts(current_user)
    # What needs the user's attention, each a count and the list it links to; the panels reuse the figures.
    attention = [
        {
            "count": comment_counts[CommentStatus.PENDING],
            "label": counted(
                plural_message("%(num)s comment waiting", "%(num)s comments waiting"),
                comment_counts[CommentStatus.PENDING],
            ),
            "href": url_for("comments.queue", status=CommentStatus.PENDING),
            "icon": "comments",
        }
    ]
    # Each panel is one box on the dashboard home; later features add theirs to this list.
    panels = [
        {"template": "admin/_panel_posts.html", "counts": post_counts},
        {"template": "admin/_panel_comments.html", "counts": comment_counts},
    ]
    if current_user.is_admin:
        unread, failed = unread_count(), queries.failed_mail_count()
        attention += [
            {
                "count": unread,
                "label": counted(plural_message("%(num)s unread message", "%(num)s unread messages"), unread),
                "href": url_for("contact.inbox", unread="1"),
                "icon": "messages",
            },
            {
                "count": failed,
                "label": counted(plural_message("%(num)s failed mail", "%(num)s failed mails"), failed),
                "href": url_for("admin.failed_mails"),
                "icon": "mail-failed",
                "urgent": True,
            },
        ]
        panels.append({"template": "admin/_panel_messages.html", "unread": unread, "failed": failed})
        panels.append({"template": "admin/_panel_authors.html", "active_authors": queries.active_author_count()})
        panels.append({"template": "admin/_panel_export.html"})
    scheduled, drafts = post_counts[PostStatus.SCHEDULED], post_counts[PostStatus.DRAFT]
    attention += [
        {
            "count": scheduled,
            "label": counted(plural_message("%(num)s scheduled post", "%(num)s scheduled posts"), scheduled),
            "href": url_for("admin.posts", kind=PostKind.POST, status=PostStatus.SCHEDULED),
            "icon": "scheduled",
        },
        {
            "count": drafts,
            "label": counted(plural_message("%(num)s draft", "%(num)s drafts"), drafts),
            "href": url_for("admin.posts", kind=PostKind.POST, status=PostStatus.DRAFT),
            "icon": "drafts",
        },
    ]
    return render_template("admin/dashboard.html", panels=panels, attention=attention)


@bp.get("/posts")
def posts():
    kind = request.args.get("kind")
    kind = PostKind(kind) if kind in tuple(PostKind) else None  # ?kind=page lists pages only
    status = request.args.get("status")
    status = PostStatus(status) if status in tuple(PostStatus) else None  # ?status=draft lists drafts only
    query = queries.editable_posts(current_user, kind, status)
    pagination = db.paginate(query, page=page_number(), per_page=20, error_out=True)
    return render_template("admin/posts.html", pagination=pagination, kind=kind, status=status)


@bp.get("/mail/failed")
@admin_required
def failed_mails():
    """The mails the outbox gave up on, with their last error: where the dashboard's count of them leads."""
    pagination = db.paginate(queries.failed_mails(), page=page_number(), per_page=25, error_out=True)
    return render_template("admin/failed_mails.html", pagination=pagination)


def featured_choices() -> list[tuple[str, str]]:
    """The featured image select: none, or any picture of the library (newest first), by file name."""
    rows = db.session.execute(media_queries.picture_choices()).all()
    return [("", _("No featured image"))] + [
        (str(media_id), f"{name} ({width} × {height})") for media_id, name, width, height in rows
    ]


def featured_fields(post: Post | None) -> dict[str, str]:
    """The editor's featured image fields as the post has them."""
    if post is None:
        return {}
    return {"featured_media": str(post.featured_media_id or ""), "featured_alt": post.featured_alt or ""}


def page_fields(post: Post | None) -> dict[str, str]:
    """The editor's "Type" and "Show in navigation" as the post has them (a form sent without "Type" keeps it)."""
    if post is None:
        return {}
    fields = {"kind": str(post.kind)}
    if post.id is not None and site_nav_queries.item_for(post.id) is not None:
        fields["in_navigation"] = "y"
    return fields


def editor_form(post: Post | None) -> PostForm:
    if request.method == "POST":
        return PostForm(kind=post.kind) if post else PostForm()
    if request.args.get("stash"):
        kept = restore_typed_text(request.args["stash"], post)
        if kept is not None:
            flash(
                _("Your text was kept: it is not saved yet. Press %(buttons)s to save it.", buttons=save_buttons(post))
            )
            typed = {name: value for name, value in kept.items() if value or name != "kind"}  # no type sent: keep it
            return PostForm(formdata=MultiDict({**featured_fields(post), **page_fields(post), **typed}))
        flash(
            _(
                "The text kept from your last session is no longer available: it is kept for %(hours)d hours, "
                "for the account that typed it.",
                hours=current_app.config["EDITOR_STASH_HOURS"],
            )
        )
    if post is None:
        return PostForm()
    custom_excerpt = post.excerpt if post.excerpt != services.derive_excerpt(post.body_html) else ""
    return PostForm(
        title=post.title,
        body=post.body,
        excerpt=custom_excerpt,
        tags=", ".join(tag.name for tag in post.tags),
        slug=post.slug,
        publish_at=local_publish_at(post),
        **featured_fields(post),
        **page_fields(post),
    )


def save_buttons(post: Post | None) -> str:
    return _("Update") if post is not None and post.status != PostStatus.DRAFT else _("Publish or Save draft")


def local_publish_at(post: Post):
    """The post's publishing time as the editor's "Publish at" field shows it: naive, in the site's zone."""
    return to_user_timezone(post.published_at).replace(tzinfo=None) if post.published_at else None


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post():
    return edit(None)


@bp.route("/posts/<int(max=2147483647):post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    return edit(post_for_editing(post_id))


def edit(post: Post | None):
    form = editor_form(post)
    form.featured_media.choices = featured_choices()
    preview = None
    if request.method == "POST" and form.upload.data:
        return upload_into_body(form, post)
    if form.validate_on_submit():
        action = services.offered_action(post, form.action())
        requested_slug = services.slugify(form.slug.data or "")
        if form.slug.data and not requested_slug:
            form.slug.errors.append(_("Use letters, digits or hyphens in the slug."))
        elif requested_slug and services.is_reserved_slug(requested_slug):
            form.slug.errors.append(
                _("The site itself uses the address /%(slug)s: choose another slug.", slug=requested_slug)
            )
        elif requested_slug and services.slug_taken(requested_slug, post.id if post else None):
            form.slug.errors.append(_("Another post already uses this slug."))
        elif action == "preview":
            preview = services.preview_of(
                title=form.title.data,
                body=form.body.data,
                excerpt=form.excerpt.data,
                tag_names=form.tag_names(),
                author=post.author if post else current_user,
                published_at=form.publish_at_utc() or (post.published_at if post else None),
                featured_media=db.session.get(Media, form.featured_media_id()) if form.featured_media_id() else None,
                featured_alt=form.featured_alt.data,
                kind=form.kind.data,
            )
        else:
            return save(post, form, action, requested_slug)
    return render_editor(form, post, preview=preview)


def render_editor(
    form: PostForm, post: Post | None, preview=None, restored: PostRevision | None = None, unsaved: bool = False
):
    """The editor page, with the banner for unsaved autosaved text and the count of revisions.

    unsaved: the page shows text the author has not saved (an upload added to it), for the autosave to keep.
    """
    form.featured_media.choices = featured_choices()
    autosave = None
    if post is not None and restored is None:
        autosave = revisions.pending_autosave(post, current_user.id)
    return render_template(
        "admin/edit.html",
        form=form,
        post=post,
        preview=preview,
        autosave=autosave,
        restored=restored,
        unsaved=unsaved,
        too_large_message=media_services.too_large_message(),
        words_per_minute=WORDS_PER_MINUTE,
        revision_count=revisions.revision_count(post.id) if post else 0,
    )


def upload_into_body(form: PostForm, post: Post | None):
    """ "Upload image": the picture joins the library and its Markdown the end of the body; the post is not saved."""
    if form.upload_is_valid():
        alt = form.image_alt.data or ""
        try:
            media = media_services.store_upload(
                form.image.data, current_user, alt, decorative=form.image_decorative.data
            )
        except media_services.UploadRefused as refused:
            form.image.errors.append(str(refused))
        else:
            body = (form.body.data or "").rstrip()
            markdown = media_services.insert_markdown(media, "" if form.image_decorative.data else alt)
            form.body.data = f"{body}\n\n{markdown}\n" if body else f"{markdown}\n"
            form.image_alt.data, form.image_decorative.data = "", False
            flash(
                _(
                    "The image is added at the end of the body. The post is not saved yet: press %(buttons)s "
                    "to save it.",
                    buttons=save_buttons(post),
                )
            )
            return render_editor(form, post, unsaved=True)
    return render_editor(form, post, unsaved=True), 400


def too_large_editor_post():
    """An editor post over the body limit (a picture too large): the editor again, with the typed text.

    The browser sends the fields in the page's order, the text before the picture, so the start of the
    body holds them; the picture itself is never read. None when the text can't be given back.
    """
    limit = request.max_content_length
    if not current_user.is_authenticated or request.content_length is None or limit is None:
        return None
    if request.content_length <= limit:
        return None  # a text field over the limit: the body was partly read, the text can't be given back
    post = None
    if request.endpoint == "admin.edit_post":
        post = db.session.get(Post, (request.view_args or {}).get("post_id"))
        if post is None or not current_user.can_edit(post):
            return None
    kept = typed_fields_before_files(current_app.config["MAX_CONTENT_LENGTH"])
    if kept is None:
        return None
    form = PostForm(formdata=MultiDict({**page_fields(post), **kept}))
    form.image.errors = [media_services.too_large_message()]
    return render_editor(form, post, unsaved=True), 413


def typed_fields_before_files(read_at_most: int) -> dict[str, str] | None:
    """The editor's text fields from the start of a multipart body that was not read; files are skipped."""
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype != "multipart/form-data" or not boundary:
        return None
    decoder = MultipartDecoder(boundary.encode(), max_form_memory_size=None)
    stream = request.environ["wsgi.input"]
    left = min(request.content_length or 0, read_at_most)
    kept: dict[str, str] = {}
    part: Event | None = None
    chunks: list[bytes] = []
    try:
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                if left <= 0 or len(kept) == len(KEPT_FIELDS):
                    break
                data = stream.read(min(left, 64 * 1024))
                left -= len(data)
                decoder.receive_data(data or None)
            elif isinstance(event, Epilogue):
                break
            elif isinstance(event, Field):
                part, chunks = event, []
            elif isinstance(event, Data):
                if isinstance(part, Field) and part.name in KEPT_FIELDS:
                    chunks.append(event.data)
                    if not event.more_data:
                        kept[part.name] = b"".join(chunks).decode("utf-8", "replace")[:200_000]
            else:
                part = event  # a file: its bytes are passed over
    except ValueError:
        pass  # the body ended early or is not multipart after all: keep what was read
    return kept or None


def save(post: Post | None, form: PostForm, action: str, requested_slug: str):
    kind = PostKind(form.kind.data)
    # A page takes no comments until its author opens them; a new post does.
    autosaved_only = post is not None and revisions.only_autosaved(post.id)
    first_save = post is None or autosaved_only
    if post is None:
        slug = requested_slug or services.unique_slug(form.title.data)
        post = Post(author_id=current_user.id, slug=slug, kind=kind)
        db.session.add(post)
    if first_save:
        post.comments_open = kind != PostKind.PAGE
    services.fill_post(
        post, title=form.title.data, body=form.body.data, excerpt=form.excerpt.data, tag_names=form.tag_names()
    )
    post.featured_media_id = form.featured_media_id()
    post.featured_alt = form.featured_alt.data or None
    slug = requested_slug or post.slug
    if autosaved_only and requested_slug in ("", post.slug):
        # The autosave that created this draft took the slug from a half-typed title: take it from the title now.
        slug = services.unique_slug(form.title.data, post.id)
    # A new slug or type moves the post; a published one leaves a 301 at its old address.
    services.move_post(post, slug=slug, kind=kind)
    services.apply_editor_action(post, action, form.publish_at_utc())
    revisions.record_revision(post, current_user.id)
    db.session.flush()  # the new post's id, for its navigation item
    site_nav_services.show_in_navigation(post, kind == PostKind.PAGE and form.in_navigation.data)
    db.session.commit()
    messages = {
        PostStatus.DRAFT: _("Draft saved."),
        PostStatus.SCHEDULED: _("Scheduled for %(when)s.", when=format_datetime(post.published_at, "medium")),
        PostStatus.PUBLISHED: _("Published.") if action == "publish" else _("Post updated."),
    }
    flash(messages[post.status] if action != "unpublish" else _("Unpublished: the post is a draft again."))
    return redirect(url_for("admin.edit_post", post_id=post.id))


@bp.post("/posts/preview")
def live_preview():
    """The editor script's live preview: the body as readers will get it, from the same Markdown pipeline."""
    form = LivePreviewForm()
    if not form.validate_on_submit():
        return jsonify(errors=form.errors), 400
    return jsonify(html=render_markdown(form.body.data or ""))


@bp.post("/posts/autosave")
def autosave_new_post():
    return store_autosave(None)


@bp.post("/posts/<int(max=2147483647):post_id>/autosave")
def autosave_post(post_id: int):
    return store_autosave(post_for_editing(post_id))


def store_autosave(post: Post | None):
    """The editor's script saving unsaved text: JSON for the script, the live post untouched."""
    form = AutosaveForm()
    if not form.validate_on_submit():
        return jsonify(errors=form.errors), 400
    post, revision = revisions.autosave(
        post,
        current_user.id,
        title=form.title.data,
        body=form.body.data or "",
        excerpt=form.excerpt.data,
        tag_names=form.tag_names(),
    )
    db.session.commit()
    return jsonify(
        post_id=post.id,
        saved_at=revision.created_at.isoformat(),
        saved_at_text=format_datetime(revision.created_at, "medium"),
        edit_url=url_for("admin.edit_post", post_id=post.id),
        autosave_url=url_for("admin.autosave_post", post_id=post.id),
    )


@bp.post("/posts/<int(max=2147483647):post_id>/autosave/restore")
def restore_autosave(post_id: int):
    """The editor filled with the autosaved text; the live post changes only when the author saves it."""
    post = post_for_editing(post_id)
    autosave = revisions.own_autosave(post.id, current_user.id)
    if not ButtonForm().validate_on_submit() or autosave is None:
        flash(_("There are no unsaved changes to restore."))
        return redirect(url_for("admin.edit_post", post_id=post.id))
    # The slug and publishing time are the post's: autosave leaves them alone.
    form = PostForm(
        formdata=None,
        title=autosave.title or post.title,
        body=autosave.body,
        excerpt=revisions.custom_excerpt(autosave),
        tags=autosave.tags,
        slug=post.slug,
        publish_at=local_publish_at(post),
        **featured_fields(post),
        **page_fields(post),
    )
    return render_editor(form, post, restored=autosave)


@bp.post("/posts/<int(max=2147483647):post_id>/autosave/discard")
def discard_autosave(post_id: int):
    post = post_for_editing(post_id)
    if ButtonForm().validate_on_submit() and revisions.discard_autosave(post, current_user.id):
        db.session.commit()
        flash(_("Discarded the unsaved changes."))
    return redirect(url_for("admin.edit_post", post_id=post.id))


@bp.get("/posts/<int(max=2147483647):post_id>/revisions")
def post_revisions(post_id: int):
    post = post_for_editing(post_id)
    rows = [
        (revision, revisions.diff_against_post(revision, post))
        for revision in db.session.scalars(revisions.post_revisions(post.id))
    ]
    return render_template("admin/revisions.html", post=post, rows=rows)


@bp.post("/posts/<int(max=2147483647):post_id>/revisions/<int(max=2147483647):revision_id>/restore")
def restore_revision(post_id: int, revision_id: int):
    post = post_for_editing(post_id)
    revision = db.session.get(PostRevision, revision_id)
    if revision is None or revision.post_id != post.id:
        abort(404)
    if ButtonForm().validate_on_submit():
        when = format_datetime(revision.created_at, "medium")
        revisions.restore_revision(post, revision, current_user.id)
        db.session.commit()
        flash(_("Restored the revision from %(when)s.", when=when))
    return redirect(url_for("admin.edit_post", post_id=post.id))


@bp.post("/posts/<int(max=2147483647):post_id>/comments")
def toggle_comments(post_id: int):
    post = post_for_editing(post_id)
    post.comments_open = request.form.get("open") == "1"
    db.session.commit()
    flash(_("Comments are open.") if post.comments_open else _("Comments are closed."))
    return redirect(url_for("admin.edit_post", post_id=post.id))


@bp.route("/posts/<int(max=2147483647):post_id>/delete", methods=["GET", "POST"])
def delete_post(post_id: int):
    post = post_for_editing(post_id)
    form = ButtonForm()
    if form.validate_on_submit():
        title = post.title
        db.session.delete(post)
        db.session.commit()
        flash(_("Deleted “%(title)s”.", title=title))
        return redirect(url_for("admin.posts"))
    return render_template("admin/delete.html", post=post, form=form)


@bp.route("/account", methods=["GET", "POST"])
def account():
    user = current_user._get_current_object()
    form = AccountForm(obj=user) if request.method == "GET" else AccountForm()
    if form.validate_on_submit():
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        elif email_taken(form.email.data, except_user_id=user.id):
            form.email.errors.append(_("Another author already uses this email."))
        else:
            user.name, user.email = form.name.data, form.email.data
            if form.new_password.data:
                # This device's session (and its remember-me cookie) goes on; every other one ends.
                user.set_password(form.new_password.data)
                security_event("password_changed", user.email)
                sessions.end_other_sessions(user, reason="password_changed")
            db.session.commit()
            flash(_("Your account is saved."))
            return redirect(url_for("admin.account"))
    return render_account(form)


def render_account(
    form: AccountForm, bio_form: BioForm | None = None, comment_mail_form: CommentMailForm | None = None
):
    user_sessions = db.session.scalars(sessions.sessions_of(current_user)).all()
    if comment_mail_form is None:
        comment_mail_form = CommentMailForm(comment_mail=current_user.comment_mail_choice)
    return render_template(
        "admin/account.html",
        form=form,
        user_sessions=user_sessions,
        button=ButtonForm(),
        bio_form=bio_form or BioForm(formdata=None, bio=current_user.bio),
        comment_mail_form=comment_mail_form,
    )


@bp.post("/account/bio")
def account_bio():
    """The bio on the author page: a form of its own, so it needs no password and keeps the account form apart."""
    user = current_user._get_current_object()
    bio_form = BioForm()
    if bio_form.validate_on_submit():
        user.bio = bio_form.bio.data
        db.session.commit()
        flash(_("Your bio is saved."))
        return redirect(url_for("admin.account") + "#bio-heading")
    return render_account(AccountForm(formdata=None, obj=user), bio_form)


@bp.post("/account/notifications")
def comment_mail_choice():
    user = current_user._get_current_object()
    form = CommentMailForm()
    if form.validate_on_submit():
        user.comment_mail = CommentMail(form.comment_mail.data)
        db.session.commit()
        flash(_("Your notification choice is saved."))
        return redirect(url_for("admin.account"))
    return render_account(AccountForm(obj=user, formdata=None), comment_mail_form=form)


@bp.post("/account/sessions/<int(max=2147483647):session_id>/sign-out")
def sign_out_session(session_id: int):
    user = current_user._get_current_object()
    if ButtonForm().validate_on_submit():
        if sessions.end_session(user, session_id) is None:
            abort(404)
        db.session.commit()
        if session_id == user.device_session_id:
            logout_user()
            session.pop(sessions.AUTHOR_KEY, None)
            flash(_("You have logged out."))
            return redirect(url_for("posts.home"))
        flash(_("That session has ended: the device is signed out."))
    return redirect(url_for("admin.account"))


@bp.post("/account/sessions/sign-out-others")
def sign_out_other_sessions():
    if ButtonForm().validate_on_submit():
        ended = sessions.end_other_sessions(current_user._get_current_object(), reason="signed_out_elsewhere")
        db.session.commit()
        flash(ngettext("%(num)d other session has ended.", "%(num)d other sessions have ended.", ended))
    return redirect(url_for("admin.account"))


@bp.get("/authors")
@admin_required
def authors():
    rows = db.session.execute(queries.authors_with_post_counts()).all()
    return render_template("admin/authors.html", rows=rows, button=ButtonForm())


@bp.route("/authors/new", methods=["GET", "POST"])
@admin_required
def new_author():
    form = AuthorForm()
    if form.validate_on_submit():
        if email_taken(form.email.data):
            form.email.errors.append(_("Another author already uses this email."))
        else:
            user = create_author(
                email=form.email.data, name=form.name.data, password=form.password.data, role=form.role.data
            )
            db.session.commit()
            security_event("author_added", user.email, role=user.role, by=current_user.email)
            flash(_("Added %(name)s.", name=user.name))
            return redirect(url_for("admin.authors"))
    return render_template("admin/author_new.html", form=form)


def other_author(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(403)  # admins change their own account on the account page, and never lock themselves out
    return user


@bp.post("/authors/<int(max=2147483647):user_id>/deactivate")
@admin_required
def deactivate_author(user_id: int):
    user = other_author(user_id)
    user.active = False
    sessions.end_all_sessions(user, reason="author_deactivated")
    db.session.commit()
    security_event("author_deactivated", user.email, by=current_user.email)
    flash(_("%(name)s is deactivated and logged out everywhere.", name=user.name))
    return redirect(url_for("admin.authors"))


@bp.post("/authors/<int(max=2147483647):user_id>/activate")
@admin_required
def activate_author(user_id: int):
    user = other_author(user_id)
    user.active = True
    db.session.commit()
    security_event("author_activated", user.email, by=current_user.email)
    flash(_("%(name)s can log in again.", name=user.name))
    return redirect(url_for("admin.authors"))


@bp.route("/authors/<int(max=2147483647):user_id>/password", methods=["GET", "POST"])
@admin_required
def reset_password(user_id: int):
    user = other_author(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        sessions.end_all_sessions(user, reason="password_reset")
        db.session.commit()
        security_event("password_reset", user.email, by=current_user.email)
        flash(_("New password set for %(name)s; their sessions have ended.", name=user.name))
        return redirect(url_for("admin.authors"))
    return render_template("admin/reset_password.html", form=form, user=user)


def site_today() -> str:
    return to_user_timezone(utcnow()).strftime("%Y-%m-%d")


def download(chunks, *, filename: str, content_type: str) -> Response:
    """A streamed attachment: the rows are read while the file is sent, never held whole in memory."""
    return Response(
        stream_with_context(chunks),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.get("/export")
@admin_required
def export():
    return render_template("admin/export.html", filename=export_filename(site_settings().name, site_today()))


@bp.get("/export/download")
@admin_required
def export_download():
    # A GET: downloading changes nothing, so it needs no form (and works as a plain link).
    filename = export_filename(site_settings().name, site_today())
    return download(wxr_chunks(), filename=filename, content_type="application/xml; charset=utf-8")


@bp.get("/messages/export.csv")
@admin_required
def export_messages():
    filename = csv_filename(site_settings().name, site_today())
    return download(csv_chunks(), filename=filename, content_type="text/csv; charset=utf-8")


@bp.get("/navigation")
@admin_required
def navigation():
    items = db.session.scalars(site_nav_queries.all_items()).all()
    return render_template("admin/navigation.html", items=items, button=ButtonForm(), link_form=CustomLinkForm())


def changed_navigation(change, message: str):
    """Make the change when the form's token is good; logged with the order before and after it."""
    before = settings_services.navigation_labels()
    if ButtonForm().validate_on_submit() and change():
        db.session.flush()
        settings_services.log_change(current_user, "navigation", before, settings_services.navigation_labels())
        db.session.commit()
        flash(message)
    return redirect(url_for("admin.navigation"))


@bp.post("/navigation/<int(max=2147483647):item_id>/up")
@admin_required
def navigation_up(item_id: int):
    return changed_navigation(lambda: site_nav_services.move_item(item_id, -1), _("Moved up."))


@bp.post("/navigation/<int(max=2147483647):item_id>/down")
@admin_required
def navigation_down(item_id: int):
    return changed_navigation(lambda: site_nav_services.move_item(item_id, +1), _("Moved down."))


@bp.post("/navigation/<int(max=2147483647):item_id>/remove")
@admin_required
def navigation_remove(item_id: int):
    return changed_navigation(
        lambda: site_nav_services.remove_item(item_id), _("Removed from the navigation; the page itself is kept.")
    )
