"""Per-device sessions: one user_sessions row per device an author is logged in on.

Flask-Login's user id (kept in the session cookie and in the remember-me cookie) is the row's random token;
the database keeps only its digest. Ending a session deletes its row, so it ends on every host at once.
"""

from datetime import timedelta

from flask import current_app, request, session
from flask_login import login_user
from sqlalchemy import delete, or_, select, update

from ..extensions import affected_rows, db
from ..models import User, UserSession, new_session_token, token_digest, utcnow
from ..security import security_event

# "Last seen" is written when it is older than this: at most one write per device every few minutes.
LAST_SEEN_EVERY = timedelta(minutes=5)
# The session key that names the account this browser logged in as, once its session row is gone
# (the editor uses it to give kept text back to the right author only).
AUTHOR_KEY = "author_id"


def idle_limit() -> timedelta:
    return timedelta(days=current_app.config["SESSION_IDLE_DAYS"])


def max_age() -> timedelta:
    return timedelta(days=current_app.config["SESSION_MAX_DAYS"])


def expired_condition(now):
    """SQL condition for sessions past their idle or absolute limit (the Python twin is is_expired)."""
    return or_(UserSession.last_seen_at < now - idle_limit(), UserSession.created_at < now - max_age())


def is_expired(row: UserSession, now) -> bool:
    return row.last_seen_at < now - idle_limit() or row.created_at < now - max_age()


def device_label(user_agent: str | None) -> str:
    """A short name for the device, like "Firefox on Windows"; empty when the User-Agent says nothing useful."""
    agent = user_agent or ""
    browsers = [
        ("Edg", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    systems = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
    ]
    browser = next((name for marker, name in browsers if marker in agent), None)
    system = next((name for marker, name in systems if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ""


def complete_login(user: User, remember: bool) -> None:
    """The last step of every login (a later second factor calls this after its own check).

    The pre-login session is cleared first, so nothing planted in it (a CSRF token above all) survives.
    """
    session.clear()
    now = utcnow()
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, expired_condition(now)))
    token = new_session_token()
    row = UserSession(
        token_digest=token_digest(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        device=device_label(request.user_agent.string)[:60],
        remember=remember,
    )
    db.session.add(row)
    db.session.commit()
    user.device_session_token, user.device_session_id = token, row.id
    login_user(user, remember=remember, duration=max_age())
    session[AUTHOR_KEY] = user.id
    security_event("login", user.email, device=row.device, remember=remember)


def user_for_token(token: str) -> User | None:
    """Flask-Login's user loader: the active author of a live session, or None.

    An expired session is deleted; "last seen" is refreshed when it is a few minutes old. Both writes go
    through a connection of their own, so they never commit a view's unfinished work.
    """
    if not token or len(token) > 100:
        return None
    found = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_digest == token_digest(token), User.active.is_(True))
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if is_expired(row, now):
        with db.engine.begin() as connection:
            connection.execute(delete(UserSession).where(UserSession.id == row.id))
        security_event("session_ended", user.email, reason="expired", device=row.device)
        return None
    if now - row.last_seen_at >= LAST_SEEN_EVERY:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    user.device_session_token, user.device_session_id = token, row.id
    if session.get(AUTHOR_KEY) != user.id:  # a session started from the remember-me cookie
        session[AUTHOR_KEY] = user.id
    return user


def sessions_of(user: User):
    """The author's live sessions, most recently used first."""
    return (
        select(UserSession)
        .where(UserSession.user_id == user.id, ~expired_condition(utcnow()))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )


def end_session(user: User, session_id: int) -> UserSession | None:
    """End one of the author's sessions; None when it is not theirs (or already over)."""
    row = db.session.scalar(select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id))
    if row is not None:
        db.session.delete(row)
        security_event("session_ended", user.email, reason="signed_out", device=row.device)
    return row


def end_this_session(user: User) -> None:
    """Log out: only the session this request runs in ends."""
    db.session.execute(delete(UserSession).where(UserSession.id == user.device_session_id))
    security_event("logout", user.email)


def end_other_sessions(user: User, reason: str) -> int:
    """End every session of the author but the one this request runs in."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if user.device_session_id is not None:
        query = query.where(UserSession.id != user.device_session_id)
    ended = affected_rows(query)
    security_event("session_ended", user.email, reason=reason, count=ended)
    return ended


def end_all_sessions(user: User, reason: str) -> int:
    ended = affected_rows(delete(UserSession).where(UserSession.user_id == user.id))
    security_event("session_ended", user.email, reason=reason, count=ended)
    return ended
