"""Contact form and inbox: request handling only."""

from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..auth.access import admin_required
from ..extensions import csrf, db, limiter
from ..forms import ButtonForm
from ..mail import send_soon
from ..models import ContactMessage
from ..paging import page_number
from ..ratelimit import accepted_post, rerender_on_breach
from ..site_settings import site_settings
from . import services
from .forms import ContactForm
from .queries import inbox_messages
from .services import unread_count

bp = Blueprint("contact", __name__)


def render_contact(form: ContactForm, form_error: str | None = None) -> str:
    form.issue_token("contact")
    return render_template("contact/form.html", form=form, form_error=form_error)


@bp.get("/contact")
def form():
    return render_contact(ContactForm())


@bp.post("/contact")
@csrf.exempt  # the stateless signed token replaces the session-bound one, as on comments
@limiter.limit(
    lambda: current_app.config["CONTACT_RATE_LIMIT"],
    scope="contact",
    deduct_when=accepted_post,
    on_breach=rerender_on_breach(lambda message: render_contact(ContactForm(), message)),
)
def send():
    form = ContactForm()
    config = current_app.config
    problem = form.problem(
        "contact", min_seconds=config["CONTACT_MIN_SECONDS"], max_hours=config["CONTACT_TOKEN_HOURS"]
    )
    if problem:
        form.validate()
        return render_contact(form, problem[1]), problem[0]
    if form.honeypot_filled():
        return redirect(url_for("contact.thanks"))  # the same answer as a real message; nothing kept
    if not form.validate():
        return render_contact(form, _("Please correct the fields marked below."))
    if services.is_duplicate(form.email.data, form.message.data):
        form.message.errors.append(_("You sent this message already; it has arrived."))
        return render_contact(form, _("Please correct the fields marked below."))
    contact, mail = services.store_message(
        name=form.name.data, email=form.email.data, message=form.message.data, client_address=get_remote_address()
    )
    db.session.commit()  # stored before anything else can go wrong
    if mail is not None:
        send_soon(mail)
    return redirect(url_for("contact.thanks"))


@bp.get("/contact/thanks")
def thanks():
    return render_template("contact/thanks.html")


@bp.get("/admin/messages")
@admin_required
def inbox():
    archived = request.args.get("archived") == "1"
    unread_only = not archived and request.args.get("unread") == "1"  # the dashboard's "unread messages" link
    pagination = db.paginate(inbox_messages(archived, unread_only), page=page_number(), per_page=25, error_out=True)
    return render_template(
        "contact/inbox.html",
        pagination=pagination,
        archived=archived,
        unread_only=unread_only,
        button=ButtonForm(),
        unread=unread_count(),
        delivery_status=services.delivery_status,
        NOT_MAILED=services.NOT_MAILED,
        mailto=mailto,
    )


def mailto(contact: ContactMessage) -> str:
    subject = _("Re: your message to %(site)s", site=site_settings().name)
    return f"mailto:{quote(contact.email, safe='@')}?subject={quote(subject)}"


ACTIONS = {
    "read": ("is_read", True),
    "unread": ("is_read", False),
    "archive": ("is_archived", True),
    "unarchive": ("is_archived", False),
}


@bp.post("/admin/messages/<int(max=2147483647):message_id>/<action>")
@admin_required
def mark(message_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    contact = db.get_or_404(ContactMessage, message_id)
    attribute, value = ACTIONS[action]
    setattr(contact, attribute, value)
    db.session.commit()
    flash(
        {
            "read": _("Marked as read."),
            "unread": _("Marked as unread."),
            "archive": _("Archived."),
            "unarchive": _("Moved back to the inbox."),
        }[action]
    )
    return redirect(url_for("contact.inbox", archived="1" if contact.is_archived and action != "archive" else None))


@bp.route("/admin/messages/<int(max=2147483647):message_id>/delete", methods=["GET", "POST"])
@admin_required
def delete(message_id: int):
    contact = db.get_or_404(ContactMessage, message_id)
    form = ButtonForm()
    if form.validate_on_submit():
        db.session.delete(contact)
        db.session.commit()
        flash(_("Message deleted."))
        return redirect(url_for("contact.inbox"))
    return render_template("contact/delete.html", contact=contact, form=form)
