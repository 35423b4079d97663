"""Media queries: a stored version by its name, and the library's pictures."""

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..models import Media, MediaVariant


def variant_named(name: str) -> Select:
    return select(MediaVariant).where(MediaVariant.name == name)


def library() -> Select:
    """Every picture, newest first, with its versions and uploader loaded up front."""
    return (
        select(Media)
        .options(selectinload(Media.variants), selectinload(Media.uploader))
        .order_by(Media.created_at.desc(), Media.id.desc())
    )


def picture_choices() -> Select:
    """Every picture of the library for a featured-image select: id, file name and size, newest first."""
    return select(Media.id, Media.original_filename, Media.width, Media.height).order_by(Media.id.desc())
