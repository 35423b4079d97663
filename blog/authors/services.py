"""Authors' slugs and bios: every new account gets a unique slug from its name; the caller commits."""

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import User
from ..posts.services import slugify

SLUG_LENGTH = 100  # the column holds 120: room for a "-<n>" suffix


def unique_author_slug(name: str, taken: set[str] | frozenset[str] = frozenset(), session=None) -> str:
    """The name's slug, suffixed "-2", "-3" ... while another author (or `taken`) has it."""
    session = session or db.session
    base = slugify(name, SLUG_LENGTH) or "author"
    slug, n = base, 2
    while slug in taken or session.scalar(select(User.id).where(User.slug == slug).limit(1)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def fill_author_slugs(session: Session, flush_context, instances) -> None:
    """Before a flush: each new author without a slug gets one (the admin page, the CLI, the importer and
    test fixtures all create users; none has to remember it). Two new authors of one name in one flush get
    different slugs."""
    given: set[str] = set()
    for user in [obj for obj in session.new if isinstance(obj, User)]:
        if not user.slug:
            with session.no_autoflush:
                user.slug = unique_author_slug(user.name or "", given, session)
        given.add(user.slug)


def register_slug_hook() -> None:
    """Listen on every session once (create_app may run many times in one process)."""
    if not event.contains(Session, "before_flush", fill_author_slugs):
        event.listen(Session, "before_flush", fill_author_slugs)


def normalise_bio(text: str | None) -> str:
    """One kind of line break, no trailing spaces, at most one blank line between paragraphs."""
    kept: list[str] = []
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.rstrip()
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()
