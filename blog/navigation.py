"""Where a form may send the user next: only to paths on this site (the `next` parameter)."""

from urllib.parse import urlsplit


def is_safe_next(target: str | None) -> bool:
    """A path on this site: no scheme, no host, no backslash tricks, no control characters."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
