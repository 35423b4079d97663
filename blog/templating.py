"""Jinja filters and globals shared by every template."""

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_time, to_user_timezone

from .extensions import db


def iso_datetime(value) -> str:
    """Machine-readable time for <time datetime>, in the site's zone with its offset."""
    return to_user_timezone(value).isoformat(timespec="minutes")


def recent_posts(limit: int = 5):
    from .posts.queries import recent_posts as recent_posts_query

    return db.session.scalars(recent_posts_query(limit)).all()


def shorten(text: str, length: int = 90) -> str:
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    return text[: length].rsplit(" ", 1)[0].rstrip(",.;:") + "\u2026"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=lambda value, fmt="long": format_date(value, fmt),
        datetime=lambda value, fmt="medium": format_datetime(value, fmt),
        time=lambda value, fmt="short": format_time(value, fmt),
        isodatetime=iso_datetime,
        shorten=shorten,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(recent_posts=recent_posts)

    @app.context_processor
    def site_settings():
        config = current_app.config
        return {
            "site_name": config["SITE_NAME"],
            "site_tagline": config["SITE_TAGLINE"],
            "site_language": config["SITE_LANGUAGE"],
        }
