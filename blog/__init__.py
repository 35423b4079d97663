"""The blog application factory."""

import logging
import os
import sys

from flask import Flask, abort, current_app, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import derive_settings, load_config
from .extensions import babel, csrf, db, limiter, login_manager
from .urls import Blog


def create_app(test_config: dict | None = None, *, migrations: bool = True) -> Flask:
    """The app; `migrations=False` (wsgi.py, a web worker) leaves out Flask-Migrate and Alembic, which only
    the `flask db` commands use: 11 MB less in every worker."""
    app = Blog(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    derive_settings(app.config)
    configure_logging()
    # First of all before_request functions: CSRF checks and rate limits must not run for a foreign Host.
    app.before_request(refuse_untrusted_host)

    # Before CSRFProtect's hook, which reads the form (and so the body) ahead of any view.
    app.before_request(allow_large_uploads)
    db.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        from .search.index import include_name

        Migrate(
            app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), include_name=include_name
        )
    csrf.init_app(app)
    babel.init_app(app)
    from .forms import use_site_translations

    use_site_translations()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see that page.")
    # Flask-Limiter keeps its storage on the module-level object: bind it to this app's settings.
    limiter.init_app(app)

    from . import (
        models,  # noqa: F401  (registers the models with the metadata)
        security,
    )
    from .auth.sessions import user_for_token

    security.init_app(app)
    from .authors.services import register_slug_hook

    register_slug_hook()
    from . import listing_counts

    listing_counts.install()  # before the page cache's content_version.install(): the bump stays last
    from .settings.services import register_media_hook

    register_media_hook()
    login_manager.user_loader(user_for_token)

    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .authors.views import bp as authors_bp
    from .comments.views import bp as comments_bp
    from .contact.views import bp as contact_bp
    from .feeds.views import bp as feeds_bp
    from .media.views import bp as media_bp
    from .posts.links import PageSlugConverter
    from .posts.views import bp as posts_bp
    from .search.views import bp as search_bp
    from .settings.views import bp as settings_bp
    from .twofactor.views import bp as twofactor_bp

    app.url_map.converters["page_slug"] = PageSlugConverter
    app.register_blueprint(posts_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(contact_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(twofactor_bp)
    app.register_blueprint(authors_bp)
    app.register_blueprint(settings_bp)

    from .cli import register_commands

    register_commands(app)

    from . import templating

    templating.init_app(app)
    register_error_handlers(app)
    app.before_request(refuse_oversized_bodies)
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
    from . import page_cache

    # Last: its before_request runs after every check above, its after_request before set_security_headers.
    page_cache.init_app(app, security_headers)
    # Outermost: the page cache's middleware sees the client's scheme and address as the app does.
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # Authors' posts may show pictures from other sites (the server never fetches them).
        "img-src 'self' data: https:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def refuse_untrusted_host():
    """A Host outside TRUSTED_HOSTS: Flask found it while routing; answer 400 before anything reads the request."""
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


# Room for the multipart framing, the CSRF token and the alt text around the picture itself.
UPLOAD_FORM_OVERHEAD = 64 * 1024


def allow_large_uploads():
    """The media upload takes bodies up to MEDIA_MAX_BYTES (plus its form fields); the editor, whose
    "Upload image" sends a picture with the post's text, that and the site's limit for the text."""
    if request.method != "POST":
        return
    from .admin.stash import EDITOR_ENDPOINTS

    if request.endpoint == "media.upload":
        request.max_content_length = current_app.config["MEDIA_MAX_BYTES"] + UPLOAD_FORM_OVERHEAD
    elif request.endpoint in EDITOR_ENDPOINTS and request.mimetype == "multipart/form-data":
        text_limit = current_app.config["MAX_CONTENT_LENGTH"]
        request.max_content_length = current_app.config["MEDIA_MAX_BYTES"] + UPLOAD_FORM_OVERHEAD + text_limit
        # Only the picture may be larger: each text field keeps the site's limit.
        form_limit = request.max_form_memory_size
        request.max_form_memory_size = min(form_limit, text_limit) if form_limit else text_limit


def refuse_oversized_bodies():
    """413 before any view runs, whatever the route, when the declared body is over the limit."""
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        abort(413)


def configure_logging() -> None:
    """The app's own log lines (mail without a server, security events) reach stderr at INFO.

    Only when nobody configured logging: gunicorn's and pytest's handlers are left as they are.
    """
    logger = logging.getLogger("blog")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def refuse_nul_characters():
    """No path of ours holds a NUL, and PostgreSQL can't compare text with one: 404 before any query.

    Parameters are each checked where they are read (page numbers, ids, `next`, search words).
    """
    if "\x00" in request.path:
        abort(404)


def security_headers(config) -> list[tuple[str, str]]:
    """What every response carries, pages from the page cache's middleware too."""
    headers = [("Strict-Transport-Security", "max-age=31536000")] if config["PREFERRED_URL_SCHEME"] == "https" else []
    return headers + [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    ]


def set_security_headers(response):
    for name, value in security_headers(current_app.config):
        response.headers.setdefault(name, value)
    return response


# Werkzeug's names and descriptions are English: the pages a visitor can reach say them in the site's language.
ERROR_TEXTS = {
    400: (_l("Bad Request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Unauthorized"), _l("Log in to see this page.")),
    403: (_l("Forbidden"), _l("You don't have permission to see this page.")),
    405: (_l("Method Not Allowed"), _l("This address doesn't accept that kind of request.")),
    410: (_l("Gone"), _l("What was here has been removed for good.")),
    429: (_l("Too Many Requests"), _l("You have sent too many requests. Please wait a moment and try again.")),
}


def N_(message: str) -> str:
    """Marks a message for `make translations`; it is translated where it is shown."""
    return message


# Flask-WTF's reasons for refusing a form, which the page shows.
CSRF_REASONS = (
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token is invalid."),
    N_("The CSRF token has expired."),
    N_("The CSRF tokens do not match."),
    N_("The referrer header is missing."),
    N_("The referrer does not match the host."),
)


def error_texts(error: HTTPException) -> dict:
    """The title and sentence of the general error page, in the site's language."""
    title, message = ERROR_TEXTS.get(
        error.code or 500, (_l("Something went wrong"), _l("This request could not be completed."))
    )
    if isinstance(error, CSRFError):
        reason = _(error.description) if error.description in CSRF_REASONS else ""
        message = _("%(reason)s Go back, reload the page and send the form again.", reason=reason).strip()
    return {"title": str(title), "message": str(message)}


def register_error_handlers(app: Flask) -> None:
    from .admin.stash import EDITOR_ENDPOINTS, keep_typed_text
    from .admin.views import too_large_editor_post
    from .media.views import too_large_response as too_large_upload
    from .posts.queries import redirect_for_path
    from .security import security_event
    from .site_settings import without_database

    @app.errorhandler(CSRFError)
    def csrf_rejected(error):
        email = current_user.email if current_user.is_authenticated else None
        security_event("csrf_rejected", email, path=request.path, reason=error.description)
        # The editor's text must survive a session that ended while the author typed.
        kept = keep_typed_text()
        if kept is not None:
            return kept
        return render_template("errors/error.html", **error_texts(error)), error.code

    @app.errorhandler(404)
    def not_found(error):
        if request.method in ("GET", "HEAD"):
            target = redirect_for_path(request.path)
            if target is not None:
                return redirect(target, code=301)
        return render_template("errors/404.html"), 404

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        without_database()  # a request for another site reads nothing of ours
        return render_template("errors/bad_host.html"), 400

    @app.errorhandler(413)
    def too_large(error):
        if request.endpoint == "media.upload":
            return too_large_upload()
        if request.endpoint in EDITOR_ENDPOINTS and request.method == "POST":
            # A picture too large for "Upload image": the editor comes back with the text typed.
            kept = too_large_editor_post()
            if kept is not None:
                return kept
        return render_template("errors/413.html"), 413

    @app.errorhandler(HTTPException)
    def other_http_error(error):
        if error.response is not None:  # e.g. a throttled form re-rendered with the user's text
            return error.response
        return render_template("errors/error.html", **error_texts(error)), error.code

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        # The database is down or unreachable: a page that reads nothing from it, and a hint to retry.
        # The pool replaces dead connections (extensions.ping_if_idle), so the site recovers by itself once it is back.
        app.logger.error("database unavailable: %s", error.__class__.__name__, exc_info=error)
        without_database()
        try:
            db.session.rollback()
        except (OperationalError, InterfaceError):
            pass  # the connection is gone; the pool replaces it
        response = current_app.make_response((render_template("errors/503.html"), 503))
        response.headers["Retry-After"] = str(current_app.config["DATABASE_RETRY_AFTER"])
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(500)
    def server_error(error):
        # Flask has logged the exception already. The page reads nothing from the database, so it
        # renders when the database is the fault; Flask-SQLAlchemy's teardown rolls the session back.
        without_database()
        return render_template("errors/500.html", message=_("Something went wrong on our side.")), 500
