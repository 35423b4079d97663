"""Two-factor rules: TOTP secrets and codes, replay protection, recovery codes. The caller commits."""

import hashlib
import hmac
import re
import secrets
import time

import pyotp
from sqlalchemy import delete, func, or_, select, update

from ..extensions import affected_rows, db
from ..models import RecoveryCode, User, utcnow

STEP_SECONDS = 30
# Codes of the step before and after the current one are accepted too (clocks drift, people type slowly).
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_TOTP_CODE = re.compile(r"[0-9]{6}")


def clock() -> float:
    """The time codes are checked against (tests freeze it)."""
    return time.time()


def current_step(now: float | None = None) -> int:
    return int((clock() if now is None else now) // STEP_SECONDS)


def start_setup(user: User) -> str:
    """The secret being set up: a new one, or the one already shown if set-up was started and not finished
    (so reloading the page doesn't void a QR code already scanned)."""
    if user.totp_secret is None or user.two_factor_enabled:
        user.totp_secret = pyotp.random_base32()
        user.totp_enabled_at = None
        user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User, secret: str, site_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=site_name)


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI for an <img> (segno's SVG uses attributes only, no inline style)."""
    import segno  # 1.7 MB: loaded by the worker that first shows a QR code, not by every worker

    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalised_code(raw: str | None) -> str:
    return re.sub(r"[\s-]", "", raw or "").lower()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is, within the window around now; None when it matches none."""
    if not _TOTP_CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    step = current_step(now)
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def use_totp_code(user: User, secret: str, raw: str | None) -> bool:
    """Accept a TOTP code once: its step must be later than the last one used, checked and written in one
    UPDATE so two hosts (or two tabs) can't both accept the same code."""
    step = matching_step(secret, normalised_code(raw))
    if step is None:
        return False
    used = affected_rows(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if used:
        user.totp_last_step = step
    return used == 1


def recovery_digest(code: str) -> str:
    # A recovery code is 50 random bits: a plain SHA-256 can't be reversed by guessing, and needs no key
    # that a SECRET_KEY rotation would break.
    return hashlib.sha256(normalised_code(code).encode()).hexdigest()


def use_recovery_code(user: User, raw: str | None) -> bool:
    code = normalised_code(raw)
    if not code or _TOTP_CODE.fullmatch(code) or len(code) > 20:
        return False
    used = affected_rows(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_digest == recovery_digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return used == 1


def check_second_factor(user: User, raw: str | None) -> str | None:
    """ "code" or "recovery_code" when the input is a fresh TOTP code or an unused recovery code (now used up);
    None otherwise."""
    if not user.two_factor_enabled or not user.totp_secret:
        return None
    if use_totp_code(user, user.totp_secret, raw):
        return "code"
    if use_recovery_code(user, raw):
        return "recovery_code"
    return None


def new_recovery_code() -> str:
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def enable_two_factor(user: User, raw_code: str | None) -> list[str] | None:
    """Turn two-factor on when the code matches the secret being set up; the new recovery codes (shown once),
    or None when the code is wrong."""
    if user.two_factor_enabled or not user.totp_secret:
        return None
    if not use_totp_code(user, user.totp_secret, raw_code):
        return None
    user.totp_enabled_at = utcnow()
    return replace_recovery_codes(user)


def replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_digest=recovery_digest(code)) for code in codes)
    return codes


def unused_recovery_codes(user: User) -> int:
    query = select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return db.session.scalar(query) or 0


def disable_two_factor(user: User) -> None:
    """Off, secret and recovery codes gone (turned off by the author, or reset by an admin)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
