"""The authors' dashboard: writing, publishing, their account and (for admins) the authors."""

from flask import Blueprint
from flask_login import current_user

from ..extensions import login_manager

bp = Blueprint("admin", __name__)


@bp.before_request
def require_login():
    """Every page under /admin/ needs a logged-in author; an editor post that lost its session keeps its text."""
    if current_user.is_authenticated:
        return None
    from .stash import keep_typed_text

    return keep_typed_text() or login_manager.unauthorized()


from . import views  # noqa: E402,F401
