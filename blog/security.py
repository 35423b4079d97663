"""The security log: one line per event (failed login, throttling, rejected tokens, ended sessions...).

Lines look like `event=login_failed email=ada@example.com ip=203.0.113.9 reason=bad_password`. They go to
the "blog.security" logger, a child of the app's logger, so they land wherever the app logs (stderr under
gunicorn). Never pass passwords, cookies or tokens: only what helps someone reading the log after an attack.
"""

import json
import logging
import re

from flask import has_request_context, request

logger = logging.getLogger("blog.security")

# A value is written bare only when it cannot be mistaken for another field or another line.
_BARE = re.compile(r"[A-Za-z0-9@._:/+-]{1,300}")


def _value(value) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text[:300])


def security_event(event: str, email: str | None = None, **fields) -> None:
    """Write one line: the event, the account's email (or -), the client's address, then the fields given."""
    address = request.remote_addr if has_request_context() else None
    parts = {"event": event, "email": (email or "").strip().lower()[:254] or None, "ip": address, **fields}
    logger.info(" ".join(f"{name}={_value(value)}" for name, value in parts.items()))


def init_app(app) -> None:
    """Security events are INFO: let them through even when the app's log level is WARNING."""
    app.logger  # noqa: B018  (creating it attaches Flask's handler, which the security lines propagate to)
    logger.setLevel(logging.INFO)
