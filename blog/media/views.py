"""Media pages: serving stored pictures, the library, upload and delete. Request handling only."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Media
from ..paging import page_number
from . import queries, services
from .forms import DeleteMediaForm, UploadForm
from .storage import media_storage

bp = Blueprint("media", __name__)

UPLOAD_ENDPOINT = "media.upload"
IMMUTABLE = "public, max-age=31536000, immutable"


@bp.get("/media/<name>")
def serve(name: str):
    """A stored version by its exact name; nothing else under /media/ exists (no listing, no paths)."""
    if not services.NAME.fullmatch(name):
        abort(404)
    variant = db.session.scalar(queries.variant_named(name))
    if variant is None:
        abort(404)
    etag = name.split("-", 1)[0]
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        data = media_storage().get(variant)
        if data is None:
            current_app.logger.error("media file missing from storage: %s", name)
            abort(404)
        response = make_response(data)
        response.content_type = variant.mime_type
    response.set_etag(etag)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def library_page(form: UploadForm, status: int = 200):
    pagination = db.paginate(queries.library(), page=page_number(), per_page=48, error_out=True)
    usage = services.posts_using(pagination.items)
    return render_template(
        "media/library.html",
        form=form,
        pagination=pagination,
        usage=usage,
        human_size=services.human_size,
        insert_markdown=services.insert_markdown,
    ), status


@bp.get("/admin/media")
@login_required
def library():
    return library_page(UploadForm())


@bp.post("/admin/media")
@login_required
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            media = services.store_upload(
                form.image.data, current_user, form.alt.data or "", decorative=form.decorative.data
            )
        except services.UploadRefused as refused:
            form.image.errors.append(str(refused))
        else:
            markdown = services.insert_markdown(media, form.alt.data or "")
            if wants_json():
                full = media.full_size
                return jsonify(
                    id=media.id, url=f"/media/{full.name}", markdown=markdown, width=full.width, height=full.height
                )
            flash(
                _(
                    "“%(name)s” is in the library. Put it in a post with: %(markdown)s",
                    name=media.original_filename,
                    markdown=markdown,
                )
            )
            return redirect(url_for("media.library"))
    if wants_json():
        errors = [error for field in form for error in field.errors]
        return jsonify(error=" ".join(errors) or _("The upload failed.")), 400
    return library_page(form, 400)


def media_for_deleting(media_id: int) -> Media:
    media = db.get_or_404(Media, media_id)
    if not (current_user.is_admin or media.uploader_id == current_user.id):
        abort(403)
    return media


@bp.route("/admin/media/<int(max=2147483647):media_id>/delete", methods=["GET", "POST"])
@login_required
def delete(media_id: int):
    media = media_for_deleting(media_id)
    form = DeleteMediaForm()
    used_by = services.posts_using([media])[media.id]
    if form.validate_on_submit():
        if used_by and not form.confirm.data:
            form.confirm.errors.append(_("Posts use this picture: tick the box to delete it anyway."))
        else:
            name = media.original_filename
            services.delete_media(media)
            flash(_("Deleted “%(name)s”.", name=name))
            return redirect(url_for("media.library"))
    return render_template("media/delete.html", media=media, form=form, used_by=used_by)


def too_large_response():
    """An upload over MEDIA_MAX_BYTES, refused before its body is read."""
    message = services.too_large_message()
    if wants_json():
        return jsonify(error=message), 413
    return render_template("errors/413.html", message=message), 413
