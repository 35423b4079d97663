"""The production entry point: `gunicorn wsgi:app`."""

import os
import sys

MIN_SECRET_KEY_LENGTH = 32
_secret_key = os.environ.get("SECRET_KEY", "").strip()
if len(_secret_key) < MIN_SECRET_KEY_LENGTH:
    problem = "is not set" if not _secret_key else f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    sys.exit(
        f"SECRET_KEY {problem}: refusing to start. Set it to a long random value, e.g. "
        "python -c 'import secrets; print(secrets.token_hex(32))'."
    )

from blog import create_app  # noqa: E402  (only once the secret key is known to be usable)

app = create_app(migrations=False)  # the `flask db` commands run from the command line, not in workers
