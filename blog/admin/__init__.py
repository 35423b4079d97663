"""The authors' dashboard: writing, publishing, their account and (for admins) the authors."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page under /admin/ needs a logged-in author."""


from . import views  # noqa: E402,F401
