"""Authors' accounts: the one query that finds an author by email, and adding an author; the caller commits."""

from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import Role, User


def author_by_email(email: str) -> Select:
    """The author with this address, whatever its case (addresses are unique regardless of case)."""
    return select(User).where(func.lower(User.email) == email.lower())


def email_taken(email: str, except_user_id: int | None = None) -> bool:
    """Whether another author already uses this address."""
    query = author_by_email(email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalar(query.limit(1)) is not None


def create_author(*, email: str, name: str, password: str, role: str = Role.AUTHOR) -> User:
    """A new author who can log in; the caller checks the address is free (email_taken) and commits."""
    user = User(email=email, name=name, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    return user
