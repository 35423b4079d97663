"""The production entry point: `gunicorn wsgi:app`."""

import os
import sys

if not os.environ.get("SECRET_KEY"):
    sys.exit("SECRET_KEY is not set: refusing to start. Set it to a long random value, e.g. "
             "python -c 'import secrets; print(secrets.token_hex(32))'.")

from blog import create_app

app = create_app()
