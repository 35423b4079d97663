"""Text typed in the editor when the session had ended: kept server side until the author logs in again.

A Save, Publish, Update or Preview that arrives without a valid session or CSRF token stores the form's
fields in editor_stashes and sends the author to the login page; the editor's address they come back to
carries a signed token naming the stash. The editor then shows the fields, not saved, and deletes the stash.

Who gets the text back: when the browser still says which account it was logged in as (a signed value in
the session cookie, set at login), only that account. When the request carried no session at all, any
author who may edit that post. A forged cross-site post would arrive without the session cookie
(SameSite=Lax), so a post whose Origin is another site's is never kept: it is refused as before.
"""

import json
from datetime import timedelta

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete

from ..auth.sessions import AUTHOR_KEY
from ..extensions import db
from ..models import EditorStash, Post, utcnow
from ..public_forms import site_origin

EDITOR_ENDPOINTS = ("admin.new_post", "admin.edit_post")
KEPT_FIELDS = (
    "title",
    "body",
    "excerpt",
    "tags",
    "kind",
    "in_navigation",
    "slug",
    "publish_at",
    "featured_media",
    "featured_alt",
)
TOKEN_SALT = "editor-stash"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def lifetime() -> timedelta:
    return timedelta(hours=current_app.config["EDITOR_STASH_HOURS"])


def _from_this_site() -> bool:
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    return origin is None or origin.rstrip("/") == site_origin()


def keep_typed_text():
    """For an editor post that lost its session or CSRF token: keep the fields, send the author to log in.

    Returns the redirect, or None when this request is not an editor post that may be kept.
    """
    if request.method != "POST" or request.endpoint not in EDITOR_ENDPOINTS or not _from_this_site():
        return None
    post_id = (request.view_args or {}).get("post_id")
    if post_id is not None and db.session.get(Post, post_id) is None:
        return None
    if current_user.is_authenticated:
        owner = current_user.id
    else:
        owner = session.get(AUTHOR_KEY) if isinstance(session.get(AUTHOR_KEY), int) else None
    fields = {name: request.form.get(name, "")[:200_000] for name in KEPT_FIELDS}
    db.session.execute(delete(EditorStash).where(EditorStash.created_at < utcnow() - lifetime()))
    stash = EditorStash(user_id=owner, post_id=post_id, fields=json.dumps(fields))
    db.session.add(stash)
    db.session.commit()
    editor_url = url_for(request.endpoint, **(request.view_args or {}), stash=_serializer().dumps(stash.id))
    if current_user.is_authenticated:  # e.g. the remember-me cookie started a new session: no login needed
        return redirect(editor_url)
    flash(_("Your session has ended. Log in again and the editor comes back with everything you typed."))
    return redirect(url_for("auth.login", next=editor_url))


def restore_typed_text(token: str, post: Post | None) -> dict[str, str] | None:
    """The kept fields for this author and this post, deleted from the database; None if there are none."""
    try:
        stash_id = _serializer().loads(token, max_age=int(lifetime().total_seconds()))
    except BadSignature:
        return None
    stash = db.session.get(EditorStash, stash_id) if isinstance(stash_id, str) else None
    if stash is None or stash.post_id != (post.id if post else None) or stash.created_at < utcnow() - lifetime():
        return None
    if stash.user_id is not None and stash.user_id != current_user.id:
        return None
    fields = json.loads(stash.fields)
    db.session.delete(stash)
    db.session.commit()
    return fields
