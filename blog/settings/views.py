"""/admin/settings, the navigation's custom links, and /theme.css. Request handling only."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import admin_required
from ..extensions import db
from ..forms import ButtonForm, parse_id
from ..media import queries as media_queries
from ..site_nav import queries as site_nav_queries
from ..site_settings import site_settings, split_addresses
from . import services, theme
from .forms import CustomLinkForm, SettingsForm

bp = Blueprint("settings", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"


def picture_choices(none_label: str) -> list[tuple[str, str]]:
    """None, or any picture of the library (newest first), by file name and size."""
    rows = db.session.execute(media_queries.picture_choices()).all()
    return [("", none_label)] + [
        (str(media_id), f"{name} ({width} × {height})") for media_id, name, width, height in rows
    ]


def settings_form() -> SettingsForm:
    """The form with the settings in force (on a GET), or what the admin sent (on a POST)."""
    site = site_settings()
    data = {
        "name": site.name,
        "tagline": site.tagline,
        "description": site.description,
        "accent": site.accent,
        "logo": str(site.logo.media_id) if site.logo else "",
        "favicon": str(site.favicon.media_id) if site.favicon else "",
        "footer_text": site.footer_text,
        "posts_per_page": site.posts_per_page,
        "comment_moderation": site.comment_moderation,
        "comment_max_links": site.comment_max_links,
        "comment_close_after_days": site.comment_close_after_days,
        "contact_recipients": "\n".join(site.contact_recipients),
    }
    form = SettingsForm(data=data) if request.method == "GET" else SettingsForm()
    form.logo.choices = picture_choices(_("No logo"))
    form.favicon.choices = picture_choices(_("The site's default icon"))
    return form


def settings_page(form: SettingsForm, status: int = 200):
    return render_template(
        "settings/settings.html",
        form=form,
        changes=services.recent_changes(),
        labels=services.SETTING_LABELS,
        overridden=site_settings().overridden,
    ), status


@bp.get("/admin/settings")
@admin_required
def edit():
    return settings_page(settings_form())


@bp.post("/admin/settings")
@admin_required
def save():
    form = settings_form()
    if not form.validate_on_submit():
        return settings_page(form, 400)
    values = {name: form[name].data for name in services.EDITABLE if name not in ("logo", "favicon")}
    values["logo"] = parse_id(form.logo.data)
    values["favicon"] = parse_id(form.favicon.data)
    values["contact_recipients"] = split_addresses(form.contact_recipients.data)
    changed = services.save_settings(values, current_user)
    if changed:
        db.session.commit()
        flash(_("Settings saved: readers see them now."))
    else:
        flash(_("Nothing changed."))
    return redirect(url_for("settings.edit"))


@bp.post("/admin/navigation/links")
@admin_required
def add_link():
    form = CustomLinkForm()
    if not form.validate_on_submit():
        items = db.session.scalars(site_nav_queries.all_items()).all()
        return render_template("admin/navigation.html", items=items, button=ButtonForm(), link_form=form), 400
    before = services.navigation_labels()
    services.add_custom_link(form.label.data, form.url.data)
    db.session.flush()
    services.log_change(current_user, "navigation", before, services.navigation_labels())
    db.session.commit()
    flash(_("Added “%(label)s” to the navigation.", label=form.label.data))
    return redirect(url_for("admin.navigation"))


@bp.get("/theme.css")
def stylesheet():
    """The accent colour's stylesheet. Its URL names the colour's version: kept for a year by browsers and
    caches, and a page made after a change links a new URL."""
    site = site_settings()
    response = Response(theme.stylesheet(site.accent), content_type="text/css; charset=utf-8")
    if request.args.get("v") == site.theme_version:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response
