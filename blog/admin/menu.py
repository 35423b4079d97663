"""The dashboard's left-hand menu: which pages a user sees in it, and which one they are on."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# (endpoint, label, icon, admins only); an endpoint the app does not serve (a feature not merged yet) is left out.
MENU = (
    ("admin.dashboard", _l("Dashboard"), "home", False),
    ("admin.posts", _l("Posts"), "posts", False),
    ("comments.queue", _l("Comments"), "comments", False),
    ("contact.inbox", _l("Messages"), "messages", True),
    ("media.library", _l("Media"), "media", False),
    ("admin.authors", _l("Authors"), "authors", True),
    ("admin.navigation", _l("Navigation"), "navigation", True),
    ("admin.export", _l("Export"), "export", True),
    ("admin.account", _l("Account"), "account", False),
)
SETTINGS_PATH = "/admin/settings"


@dataclass(frozen=True)
class MenuItem:
    href: str
    label: str
    icon: str
    current: bool


def endpoint_at(path: str) -> str | None:
    """The endpoint that answers GET at this exact path, or None when no view serves it."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == path and rule.methods and "GET" in rule.methods:
            return rule.endpoint
    return None


def dashboard_menu() -> list[MenuItem]:
    """The menu for the logged-in user; a page is current when the request is on it or below it."""
    entries = [entry for entry in MENU if entry[0] in current_app.view_functions]
    settings = endpoint_at(SETTINGS_PATH)
    if settings is not None:
        entries.insert(len(entries) - 1, (settings, _l("Settings"), "settings", True))
    items = []
    for endpoint, label, icon, admins_only in entries:
        if admins_only and not current_user.is_admin:
            continue
        href = url_for(endpoint)
        current = request.path == href or (not href.endswith("/") and request.path.startswith(href + "/"))
        items.append(MenuItem(href=href, label=str(label), icon=icon, current=current))
    return items
