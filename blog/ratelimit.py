"""Throttled form posts answer 429 with the same form, the user's text kept, and when to try again."""

import math
import time
from collections.abc import Callable

from flask import make_response, request
from flask_babel import ngettext

from .security import security_event


def retry_message(seconds: int) -> str:
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return ngettext(
            "Too many attempts. Please try again in %(num)d minute.",
            "Too many attempts. Please try again in %(num)d minutes.",
            minutes,
        )
    return ngettext(
        "Too many attempts. Please try again in %(num)d second.",
        "Too many attempts. Please try again in %(num)d seconds.",
        seconds,
    )


def rerender_on_breach(render: Callable[[str], str], email_field: str | None = None):
    """An on_breach callback for Flask-Limiter: render(message) gives the page with the form.

    email_field names the form field holding an account's email (login), for the security log.
    """

    def on_breach(request_limit):
        email = request.form.get(email_field) if email_field else None
        security_event("throttled", email, endpoint=request.endpoint, limit=str(request_limit.limit))
        seconds = max(1, math.ceil(request_limit.reset_at - time.time()))
        response = make_response(render(retry_message(seconds)), 429)
        response.headers["Retry-After"] = str(seconds)
        return response

    return on_breach


def accepted_post(response) -> bool:
    """A deduct_when for public forms: only a post that was taken (it redirects) uses up the limit.

    A form sent back with errors costs nothing, so a visitor fixing a typo is never locked out.
    """
    return response.status_code in (302, 303)
