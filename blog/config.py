"""Settings: each one read from the environment variable of the same name, with laptop defaults."""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true/false, 1/0 or yes/no, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def env_str(name: str, default: str | None) -> str | None:
    raw = os.environ.get(name)
    return default if raw is None or raw.strip() == "" else raw.strip()


def read_secret_key(instance_path: str) -> str | None:
    """SECRET_KEY from the environment, else the one `make run` wrote into the instance folder."""
    key = env_str("SECRET_KEY", None)
    if key:
        return key
    key_file = Path(instance_path) / "secret_key"
    if key_file.is_file():
        return key_file.read_text().strip() or None
    return None


def load_config(instance_path: str) -> dict:
    """Build the app's configuration from the environment."""
    default_db = "sqlite:///" + str(Path(instance_path) / "blog.sqlite3")
    return {
        "SECRET_KEY": read_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": env_str("DATABASE_URL", default_db),
        "SITE_NAME": env_str("SITE_NAME", "Field Notes"),
        # Unset: the default tagline in the site's language (site_settings.default_tagline).
        "SITE_TAGLINE": env_str("SITE_TAGLINE", None),
        "SITE_DESCRIPTION": env_str("SITE_DESCRIPTION", ""),
        "SITE_ACCENT": env_str("SITE_ACCENT", "#0b5cad"),
        "SITE_FOOTER_TEXT": env_str("SITE_FOOTER_TEXT", ""),
        "SITE_URL": env_str("SITE_URL", None),
        "TRUSTED_HOSTS": env_str("TRUSTED_HOSTS", None),
        "SITE_TIMEZONE": env_str("SITE_TIMEZONE", "UTC"),
        "SITE_LANGUAGE": env_str("SITE_LANGUAGE", "en"),
        "POSTS_PER_PAGE": env_int("POSTS_PER_PAGE", 10),
        "MAX_CONTENT_LENGTH": env_int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "REVISIONS_KEEP": env_int("REVISIONS_KEEP", 50),
        "AUTOSAVE_SECONDS": env_int("AUTOSAVE_SECONDS", 30),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SQLITE_BUSY_TIMEOUT": env_int("SQLITE_BUSY_TIMEOUT", 15),
        "DATABASE_RETRY_AFTER": env_int("DATABASE_RETRY_AFTER", 30),
        # A long writing session must never lose its work to an expired CSRF token.
        "WTF_CSRF_TIME_LIMIT": None,
        "TRUSTED_PROXIES": env_int("TRUSTED_PROXIES", 0),
        "RATELIMIT_STORAGE_URI": env_str("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": env_str("RATELIMIT_KEY_PREFIX", "blog"),
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_RATE_LIMIT": env_str("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env_str("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute"),
        "REQUIRE_2FA_FOR_ADMINS": env_bool("REQUIRE_2FA_FOR_ADMINS", False),
        "SESSION_IDLE_DAYS": env_int("SESSION_IDLE_DAYS", 14),
        "SESSION_MAX_DAYS": env_int("SESSION_MAX_DAYS", 60),
        "EDITOR_STASH_HOURS": env_int("EDITOR_STASH_HOURS", 24),
        "COMMENT_MODERATION": env_str("COMMENT_MODERATION", "first-time"),
        "COMMENT_MAX_LINKS": env_int("COMMENT_MAX_LINKS", 2),
        "COMMENT_MAX_DEPTH": env_int("COMMENT_MAX_DEPTH", 4),
        "COMMENT_PAGE_SIZE": env_int("COMMENT_PAGE_SIZE", 100),
        "COMMENT_TOKEN_HOURS": env_int("COMMENT_TOKEN_HOURS", 24),
        "COMMENT_MIN_SECONDS": env_int("COMMENT_MIN_SECONDS", 3),
        "COMMENT_RATE_LIMIT": env_str("COMMENT_RATE_LIMIT", "5 per minute;50 per day"),
        "COMMENT_CLOSE_AFTER_DAYS": env_int("COMMENT_CLOSE_AFTER_DAYS", 0),
        "CONTACT_RATE_LIMIT": env_str("CONTACT_RATE_LIMIT", "3 per minute;20 per day"),
        "CONTACT_MIN_SECONDS": env_int("CONTACT_MIN_SECONDS", 3),
        "CONTACT_TOKEN_HOURS": env_int("CONTACT_TOKEN_HOURS", 24),
        "CONTACT_RECIPIENT": env_str("CONTACT_RECIPIENT", None),
        "MAIL_SERVER": env_str("MAIL_SERVER", None),
        "MAIL_PORT": env_int("MAIL_PORT", 25),
        "MAIL_USERNAME": env_str("MAIL_USERNAME", None),
        "MAIL_PASSWORD": env_str("MAIL_PASSWORD", None),
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": env_bool("MAIL_USE_SSL", False),
        "MAIL_FROM": env_str("MAIL_FROM", "blog@localhost"),
        # Links in mails built outside a request (the queue sender) when SITE_URL is unset.
        "MAIL_FALLBACK_URL": env_str("MAIL_FALLBACK_URL", "http://127.0.0.1:5000"),
        "MAIL_MAX_ATTEMPTS": env_int("MAIL_MAX_ATTEMPTS", 10),
        "MAIL_TIMEOUT": env_int("MAIL_TIMEOUT", 30),
        "MAIL_REQUEST_TIMEOUT": env_int("MAIL_REQUEST_TIMEOUT", 3),
        "MEDIA_STORAGE": env_str("MEDIA_STORAGE", "filesystem"),
        "MEDIA_ROOT": env_str("MEDIA_ROOT", str(Path(instance_path) / "media")),
        "MEDIA_MAX_BYTES": env_int("MEDIA_MAX_BYTES", 10 * 1024 * 1024),
        "MEDIA_MAX_PIXELS": env_int("MEDIA_MAX_PIXELS", 40_000_000),
        "PASSWORD_RESET_MINUTES": env_int("PASSWORD_RESET_MINUTES", 60),
        "PASSWORD_RESET_RATE_LIMIT": env_str("PASSWORD_RESET_RATE_LIMIT", "5 per minute;20 per hour"),
        "PASSWORD_RESET_EMAIL_RATE_LIMIT": env_str("PASSWORD_RESET_EMAIL_RATE_LIMIT", "3 per hour"),
        # Reply mails to readers wait this long, gathering every reply in the thread into one mail.
        "NOTIFY_DIGEST_MINUTES": env_int("NOTIFY_DIGEST_MINUTES", 10),
        # An unconfirmed address gets the confirmation mail again at most this often.
        "NOTIFY_CONFIRM_RESEND_MINUTES": env_int("NOTIFY_CONFIRM_RESEND_MINUTES", 60),
        "PAGE_CACHE": env_bool("PAGE_CACHE", True),
        "CACHE_URL": env_str("CACHE_URL", None),
        "CACHE_KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "blog"),
        "PAGE_CACHE_ENTRIES": env_int("PAGE_CACHE_ENTRIES", 200),
        "PAGE_CACHE_SECONDS": env_int("PAGE_CACHE_SECONDS", 3600),
        "PAGE_CACHE_FORM_SECONDS": env_int("PAGE_CACHE_FORM_SECONDS", 10),
        "CACHE_MAX_AGE": env_int("CACHE_MAX_AGE", 60),
        "CACHE_STALE_SECONDS": env_int("CACHE_STALE_SECONDS", 60),
        "SITEMAP_URLS_PER_FILE": env_int("SITEMAP_URLS_PER_FILE", 50_000),
        "SEARCH_RANK_LIMIT": env_int("SEARCH_RANK_LIMIT", 200),
    }


# Health checks and local tools reach the app on these whatever the settings say.
LOCAL_HOSTS = ["localhost", "127.0.0.1"]


def trusted_hosts(configured, site_url: str | None) -> list[str]:
    """The Host names the app answers; any other Host header is a 400 (Flask checks TRUSTED_HOSTS).

    Without this, a request's Host (`evil.example`) would become the site's address in canonical links,
    feeds and the sitemap, and a cache in front would keep that page for everyone.
    """
    if isinstance(configured, str):
        configured = configured.split(",")
    hosts = [host.strip().lower() for host in configured or [] if host and host.strip()]
    if site_url:
        site_host = urlsplit(site_url).hostname
        if not site_host:
            raise ValueError(f"SITE_URL {site_url!r} has no host name: write it like https://blog.example.com")
        hosts.append(site_host)
    return list(dict.fromkeys(hosts + LOCAL_HOSTS))


def derive_settings(config) -> None:
    """Settings that follow from others; applied after any test overrides."""
    timezone = config["SITE_TIMEZONE"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SITE_TIMEZONE {timezone!r} is not a known time zone") from None
    if config["COMMENT_MODERATION"] not in ("first-time", "all", "none"):
        raise ValueError("COMMENT_MODERATION must be first-time, all or none")
    if not re.fullmatch(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", config["SITE_ACCENT"] or ""):
        raise ValueError(f"SITE_ACCENT {config['SITE_ACCENT']!r} is not a colour: write it like #0b5cad or #b52")
    if not 1 <= config["POSTS_PER_PAGE"] <= 100:
        raise ValueError("POSTS_PER_PAGE must be between 1 and 100")
    if config["COMMENT_MAX_LINKS"] < 0 or config["COMMENT_CLOSE_AFTER_DAYS"] < 0:
        raise ValueError("COMMENT_MAX_LINKS and COMMENT_CLOSE_AFTER_DAYS must be 0 or more")
    if config["COMMENT_MAX_DEPTH"] < 1 or config["COMMENT_PAGE_SIZE"] < 1:
        raise ValueError("COMMENT_MAX_DEPTH and COMMENT_PAGE_SIZE must be at least 1")
    if min(config["SESSION_IDLE_DAYS"], config["SESSION_MAX_DAYS"], config["EDITOR_STASH_HOURS"]) < 1:
        raise ValueError("SESSION_IDLE_DAYS, SESSION_MAX_DAYS and EDITOR_STASH_HOURS must be at least 1")
    if config["REVISIONS_KEEP"] < 1 or config["AUTOSAVE_SECONDS"] < 1:
        raise ValueError("REVISIONS_KEEP and AUTOSAVE_SECONDS must be at least 1")
    if config["NOTIFY_DIGEST_MINUTES"] < 0 or config["NOTIFY_CONFIRM_RESEND_MINUTES"] < 1:
        raise ValueError("NOTIFY_DIGEST_MINUTES must be 0 or more and NOTIFY_CONFIRM_RESEND_MINUTES at least 1")
    if (
        min(config["PAGE_CACHE_ENTRIES"], config["PAGE_CACHE_SECONDS"]) < 1
        or min(config["PAGE_CACHE_FORM_SECONDS"], config["CACHE_MAX_AGE"], config["CACHE_STALE_SECONDS"]) < 0
    ):
        raise ValueError("PAGE_CACHE_ENTRIES and PAGE_CACHE_SECONDS must be at least 1, other cache times 0 or more")
    if config["MEDIA_STORAGE"] not in ("filesystem", "database"):
        raise ValueError("MEDIA_STORAGE must be filesystem or database")
    site_url = (config.get("SITE_URL") or "").rstrip("/") or None
    secure = bool(site_url and site_url.startswith("https://"))
    config["SITE_URL"] = site_url
    config["TRUSTED_HOSTS"] = trusted_hosts(config.get("TRUSTED_HOSTS"), site_url)
    config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = secure
    # A remember-me cookie never outlives the session it names.
    config["REMEMBER_COOKIE_DURATION"] = timedelta(days=config["SESSION_MAX_DAYS"])
    config["BABEL_DEFAULT_LOCALE"] = config["SITE_LANGUAGE"]
    config["BABEL_DEFAULT_TIMEZONE"] = timezone
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # Python's sqlite3 waits this long for another writer's lock before "database is locked".
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**options.get("connect_args", {}), "timeout": config["SQLITE_BUSY_TIMEOUT"]}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
