"""gzip and Brotli for text responses: pages, feeds, sitemaps, CSS and JS. Never pictures or small bodies."""

import gzip
from collections import OrderedDict
from threading import Lock

import brotli  # type: ignore[import-untyped]
from flask import Request, Response
from werkzeug.wrappers import Request as WsgiRequest

# Pictures (other than SVG) are compressed already; these are the kinds worth it.
COMPRESSIBLE_TYPES = {
    "text/html",
    "text/css",
    "text/plain",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/atom+xml",
    "application/rss+xml",
    "image/svg+xml",
}
# Below this the headers and framing outweigh what compression saves.
MIN_BYTES = 1024
ENCODINGS = ("br", "gzip")


def worth_compressing(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype in COMPRESSIBLE_TYPES
        and "Content-Encoding" not in response.headers
        and "Content-Range" not in response.headers
        and not response.is_streamed
    )


def chosen_encoding(request: WsgiRequest) -> str | None:
    """Brotli when the client takes it, else gzip, else None (identity)."""
    accepted = request.accept_encodings
    for encoding in ENCODINGS:
        if accepted[encoding] > 0:  # a "*" counts; "br;q=0" refuses
            return encoding
    return None


def compress(body: bytes, encoding: str, *, for_keeps: bool = False) -> bytes:
    """The body in `encoding`. for_keeps: it is stored and sent many times, so worth a slower, smaller result."""
    if encoding == "br":
        return brotli.compress(body, quality=9 if for_keeps else 5, mode=brotli.MODE_TEXT)
    return gzip.compress(body, compresslevel=9 if for_keeps else 6, mtime=0)


class _StaticMemo:
    """Compressed static files by (path, ETag, encoding): each CSS or JS file is compressed once per process."""

    def __init__(self, size: int = 128):
        self.size = size
        self.items: OrderedDict[tuple, bytes] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple, make) -> bytes:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_static = _StaticMemo()


def compress_response(request: Request, response: Response, *, static: bool = False) -> Response:
    """Compress a response made for this request alone (not from the page cache) when worth it."""
    if response.status_code != 200 or response.mimetype not in COMPRESSIBLE_TYPES:
        return response
    response.vary.add("Accept-Encoding")
    encoding = chosen_encoding(request)
    if encoding is None or "Content-Encoding" in response.headers:
        return response
    if response.direct_passthrough:
        if not static:
            return response
        response.direct_passthrough = False  # a static file: read it (small: CSS, JS, SVG)
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    etag, weak = response.get_etag()
    if static and etag:
        data = _static.get((request.path, etag, encoding), lambda: compress(body, encoding, for_keeps=True))
    else:
        data = compress(body, encoding)
    response.set_data(data)
    response.headers["Content-Encoding"] = encoding
    response.headers.pop("Accept-Ranges", None)  # ranges of the compressed bytes are not offered
    if etag:  # the same file in another encoding: no longer byte for byte the same
        response.set_etag(etag, weak=True)
    return response
