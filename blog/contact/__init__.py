"""The contact form and the admins' inbox of the messages it stores."""

from flask import Blueprint

bp = Blueprint("contact", __name__)

from . import views  # noqa: E402,F401
