"""The page cache for anonymous readers, HTTP caching headers (ETag, Last-Modified, 304, Cache-Control) and
compression.

A GET or HEAD by a browser without a session, remember-me or commenter cookie is answered by CachedPages,
a WSGI middleware in front of Flask, when an entry exists for its URL at the current content version
(content_version.py: one query): no request context, hook or session is made for it. Only reader pages
(CACHED_BLUEPRINTS, CACHED_ENDPOINTS) are ever stored, so an entry for a URL is the proof that it is one.
Otherwise the page is made as usual and, when it is a reader page's 200 that set no cookie and flashed
nothing, stored with its gzip and Brotli variants, each under its own key: nothing is compressed twice.
Entries live in Redis (CACHE_URL, shared by every worker and host) or in a bounded per-process LRU; a
stale one is never found, because its key names an older version.

A page with a public form (a comment form, the contact form) carries a signed token dated when the form
may be sent from (public_forms.py). On a page that may be cached that date is PAGE_CACHE_FORM_SECONDS
after it was made, and the entry lives no longer than that: whoever gets the copy, the minimum time
counts from no earlier than when they got it, so a bot that fetches and posts at once is still too fast.
"""

import hashlib
import json
import logging
import struct
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from threading import Lock
from typing import cast

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from . import content_version, models
from .comments.cookie import COOKIE as COMMENTER_COOKIE
from .compression import MIN_BYTES, chosen_encoding, compress, compress_response, worth_compressing
from .extensions import db

log = logging.getLogger(__name__)

# Reader pages: whatever they show, it is the same for every anonymous reader at one content version.
CACHED_BLUEPRINTS = {"posts", "feeds", "search", "pages", "authors"}
CACHED_ENDPOINTS = {"contact.form", "contact.thanks"}
# Never from the cache, whatever blueprint a route is in.
PRIVATE_PREFIXES = ("/admin", "/login", "/logout")
# Headers that belong to one response, never to a stored page.
_NOT_STORED = {
    "set-cookie",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
    "cache-control",
    "vary",
    "date",
    "expires",
}


def personal_cookies(config=None) -> tuple[str, ...]:
    """Cookies that make a page someone's own: the session, Flask-Login's remember-me, the commenter's."""
    config = current_app.config if config is None else config
    return (
        config.get("SESSION_COOKIE_NAME") or "session",
        config.get("REMEMBER_COOKIE_NAME") or "remember_token",
        COMMENTER_COOKIE,
    )


def is_personal_request(req: WsgiRequest | None = None, config=None) -> bool:
    req = request if req is None else req
    return any(name in req.cookies for name in personal_cookies(config)) or "Authorization" in req.headers


def is_reader_page_request() -> bool:
    """A GET or HEAD of a reader page by an anonymous reader: what the cache and `public` caching are for."""
    if request.method not in ("GET", "HEAD") or request.routing_exception is not None:
        return False
    endpoint = request.endpoint or ""
    if endpoint not in CACHED_ENDPOINTS and request.blueprint not in CACHED_BLUEPRINTS:
        return False
    if request.path.startswith(PRIVATE_PREFIXES):
        return False
    return not is_personal_request()


# --- storage -----------------------------------------------------------------------------------------------


class MemoryStore:
    """A bounded LRU in this process: each gunicorn worker keeps its own copies (a page is three entries:
    as it is, gzip and Brotli; a 50 KB article about 56 KB in all)."""

    def __init__(self, entries: int):
        self.entries = entries
        self.items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            expires, value = found
            if expires <= time.time():
                del self.items[key]
                return None
            self.items.move_to_end(key)
            return value

    def set_many(self, items: dict[str, bytes], seconds: int) -> None:
        expires = time.time() + seconds
        with self.lock:
            for key, value in items.items():
                self.items[key] = (expires, value)
                self.items.move_to_end(key)
            while len(self.items) > self.entries:
                self.items.popitem(last=False)


class RedisStore:
    """Redis shared by every worker and host; a Redis that is down is a cache miss, never an error page."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.errors = redis.RedisError

    def get(self, key: str) -> bytes | None:
        try:
            return cast(bytes | None, self.client.get(key))
        except self.errors as error:
            log.warning("page cache: redis unavailable (%s)", error.__class__.__name__)
            return None

    def set_many(self, items: dict[str, bytes], seconds: int) -> None:
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, value, ex=seconds)
                pipe.execute()
        except self.errors as error:
            log.warning("page cache: redis unavailable (%s)", error.__class__.__name__)


def store():
    return current_app.extensions["page_cache"]


# --- entries ---------------------------------------------------------------------------------------------


def entry_key(
    state: content_version.ContentState, encoding: str | None, req: WsgiRequest | None = None, config=None
) -> str:
    req = request if req is None else req
    url = f"{req.scheme}://{req.host}{req.full_path if req.query_string else req.path}"
    digest = hashlib.sha256(url.encode()).hexdigest()[:40]
    prefix = (current_app.config if config is None else config)["CACHE_KEY_PREFIX"]
    return f"{prefix}:page:{state.key}:{encoding or 'identity'}:{digest}"


def pack(meta: dict, body: bytes) -> bytes:
    header = json.dumps(meta, separators=(",", ":")).encode()
    return struct.pack(">I", len(header)) + header + body


def unpack(raw: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack(">I", raw[:4])
    return json.loads(raw[4 : 4 + length]), raw[4 + length :]


def form_token_delay() -> int:
    """Seconds copies of this page may be served after it was made (0 unless it may be cached); notes that
    the page carries a public form, which no copy may outlive."""
    g.page_has_public_form = True
    return current_app.config["PAGE_CACHE_FORM_SECONDS"] if g.get("page_cacheable") else 0


def read_outside_transaction():
    """before_request: on PostgreSQL, an anonymous reader's page reads in autocommit, without BEGIN and ROLLBACK.

    Two round trips fewer, and psycopg keeps the statements it prepares on the connection (a ROLLBACK makes
    it forget them all): the page's statements are parsed once per connection instead of on every request.
    Nothing is lost: at PostgreSQL's READ COMMITTED each statement sees its own snapshot in a transaction
    too, the content version is still read first, and the one write such a page may make (the version's
    bump when a scheduled post is due) is a single UPDATE. The pool sets the connection back to
    transactions when it is returned. SQLite is left as it is: its reads already run without BEGIN.
    """
    if is_reader_page_request() and db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def mark_cacheable():
    """before_request: whether this request's page may be stored (a reader page for an anonymous reader,
    with the cache on). CachedPages has already answered it when an entry existed."""
    g.page_cacheable = bool(
        current_app.config["PAGE_CACHE"] and is_reader_page_request() and content_version.current_state()
    )


class CachedPages:
    """WSGI middleware: a stored page is answered before Flask makes a request context, runs its hooks or
    opens a session, so a hit costs the content version's query, the store's lookup and the headers.

    Whatever is not a hit (a personal request, a miss, a scheduled post due) goes on to the app, with the
    state it read, so a miss reads the version once too.
    """

    STATE_KEY = "blog.content_state"

    def __init__(self, app: Flask, response_headers: Callable[[dict], Iterable[tuple[str, str]]]):
        self.app, self.wsgi_app, self.response_headers = app, app.wsgi_app, response_headers
        self.engine: Engine | None = None

    def __call__(self, environ, start_response):
        response = self.stored_response(environ) if self.app.config["PAGE_CACHE"] else None
        if response is None:
            return self.wsgi_app(environ, start_response)
        return response(environ, start_response)

    def stored_response(self, environ) -> WsgiResponse | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        config = self.app.config
        req = WsgiRequest(environ)
        if req.path.startswith(PRIVATE_PREFIXES) or is_personal_request(req, config):
            return None
        if self.engine is None:
            with self.app.app_context():
                self.engine = db.engine
        try:
            state = content_version.read_outside_session(self.engine)
        except SQLAlchemyError:
            return None  # the database is away: the app answers with its 503 page
        if state is None:
            return None
        if state.next_publish_at is not None and state.next_publish_at <= models.utcnow():
            return None  # the app bumps the version first: the scheduled post appears on this very request
        environ[self.STATE_KEY] = state
        raw = self.app.extensions["page_cache"].get(entry_key(state, chosen_encoding(req), req, config))
        if raw is None:
            return None
        meta, body = unpack(raw)
        if meta["expires"] <= time.time():
            return None
        response = WsgiResponse(body, status=200, headers=meta["headers"])
        if meta["encoding"]:
            response.headers["Content-Encoding"] = meta["encoding"]
        response.set_etag(meta["etag"], weak=True)
        response.last_modified = meta["last_modified"]
        response.headers["X-Page-Cache"] = "hit"
        response.vary.update(("Accept-Encoding", "Cookie"))
        public_cache_control(response, meta["expires"], meta["form"], config)
        for name, value in self.response_headers(config):
            response.headers.setdefault(name, value)
        response.make_conditional(environ)
        return response


def store_page(response: Response, state: content_version.ContentState) -> dict | None:
    """Keep a freshly made page (and its compressed variants); the metadata, or None when it may not be kept."""
    if response.status_code != 200 or response.is_streamed or response.direct_passthrough:
        return None
    if session.modified or "Set-Cookie" in response.headers or "Content-Encoding" in response.headers:
        return None  # a flash, a login, a cookie: this response is someone's own
    config = current_app.config
    body = response.get_data()
    lifetime = config["PAGE_CACHE_FORM_SECONDS"] if g.get("page_has_public_form") else config["PAGE_CACHE_SECONDS"]
    if lifetime <= 0:
        return None  # PAGE_CACHE_FORM_SECONDS=0: pages with a form are made for each reader
    meta = {
        "headers": [(k, v) for k, v in response.headers.items() if k.lower() not in _NOT_STORED],
        "etag": hashlib.sha256(body).hexdigest()[:32],
        "last_modified": state.changed_at.timestamp(),
        "expires": time.time() + lifetime,
        "encoding": None,
        "form": bool(g.get("page_has_public_form")),
    }
    compressible = worth_compressing(response) and len(body) >= MIN_BYTES
    entries = {entry_key(state, None): pack(meta, body)}
    for encoding in ("gzip", "br"):
        # A body too small to compress is kept as it is under the encoding's key too, so it is found.
        data = compress(body, encoding, for_keeps=True) if compressible else body
        entries[entry_key(state, encoding)] = pack({**meta, "encoding": encoding if compressible else None}, data)
        if compressible and encoding == chosen_encoding(request):
            response.set_data(data)
            response.headers["Content-Encoding"] = encoding
    store().set_many(entries, lifetime)
    response.headers["X-Page-Cache"] = "miss"
    return meta


def public_cache_control(response: WsgiResponse, expires: float, has_form: bool, config) -> None:
    if has_form:
        # A page with a form token is fresh only as long as its entry: no copy older than that anywhere.
        max_age = max(0, min(config["CACHE_MAX_AGE"], round(expires - time.time())))
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    else:
        response.headers["Cache-Control"] = (
            f"public, max-age={config['CACHE_MAX_AGE']}, stale-while-revalidate={config['CACHE_STALE_SECONDS']}"
        )


def finish_response(response: Response) -> Response:
    """after_request: store the page, compress, and say who may keep a copy and for how long."""
    if request.endpoint == "static":
        return compress_response(request, response, static=True)
    if g.get("page_cacheable"):
        meta = store_page(response, g.content_state)
        if meta is not None:
            response.set_etag(meta["etag"], weak=True)
            response.last_modified = meta["last_modified"]
            response.vary.update(("Accept-Encoding", "Cookie"))
            public_cache_control(response, meta["expires"], meta["form"], current_app.config)
            response.make_conditional(request)
            return response
    response = compress_response(request, response)
    if request.endpoint == "media.serve":
        return response
    if is_personal_request() or session.modified or "Set-Cookie" in response.headers:
        response.headers["Cache-Control"] = "private, no-store"
        response.vary.add("Cookie")
    elif is_reader_page_request() and response.status_code == 200:
        # A reader page the cache is off for (PAGE_CACHE=false): the same headers, its own ETag; a page with
        # a form is made for each reader, so no shared copy may hand its token to another.
        response.vary.update(("Accept-Encoding", "Cookie"))
        if g.get("page_has_public_form"):
            response.headers["Cache-Control"] = "no-cache"
        else:
            expires = time.time() + current_app.config["CACHE_MAX_AGE"]
            public_cache_control(response, expires, False, current_app.config)
        if not response.is_streamed and not response.direct_passthrough:
            response.add_etag(weak=True)
            response.make_conditional(request)
            return response
    return response


def init_app(app: Flask, response_headers: Callable[[dict], Iterable[tuple[str, str]]]) -> None:
    """response_headers(config): the headers every response carries (the security headers), which a page
    answered by CachedPages gets without the app's after_request functions."""
    content_version.install()
    url = app.config["CACHE_URL"]
    app.extensions["page_cache"] = RedisStore(url) if url else MemoryStore(3 * app.config["PAGE_CACHE_ENTRIES"])
    # Registered last: it runs after every other before_request check (host, body size, NUL, rate limits)
    # and, as after_request functions run in reverse, before set_security_headers adds the same headers
    # to stored and fresh pages alike.
    app.before_request(read_outside_transaction)
    app.before_request(mark_cacheable)
    app.after_request(finish_response)
    app.wsgi_app = CachedPages(app, response_headers)  # type: ignore[method-assign]
