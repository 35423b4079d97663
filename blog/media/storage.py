"""Where a picture's files live: a folder (MEDIA_ROOT) or the database, behind one interface."""

import os
import tempfile
from pathlib import Path

from flask import current_app

from ..models import MediaVariant


class FilesystemStorage:
    """Files under MEDIA_ROOT, one flat folder, named as in the URL so a web server can serve them."""

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, variant: MediaVariant) -> Path:
        # Names are ours (hash, width, extension), never a user's path; still refuse anything else.
        if not variant.name or "/" in variant.name or "\\" in variant.name or variant.name.startswith("."):
            raise ValueError(f"not a media file name: {variant.name!r}")
        return self.root / variant.name

    def put(self, variant: MediaVariant, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._path(variant)
        # Write then rename: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, variant: MediaVariant) -> bytes | None:
        try:
            return self._path(variant).read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, variant: MediaVariant) -> None:
        self._path(variant).unlink(missing_ok=True)


class DatabaseStorage:
    """The bytes in media_variants.data: every app host sees the same pictures without a shared disk."""

    def put(self, variant: MediaVariant, data: bytes) -> None:
        variant.data = data

    def get(self, variant: MediaVariant) -> bytes | None:
        return variant.data

    def remove(self, variant: MediaVariant) -> None:
        """The bytes go with the row."""


def media_storage() -> FilesystemStorage | DatabaseStorage:
    if current_app.config["MEDIA_STORAGE"] == "database":
        return DatabaseStorage()
    return FilesystemStorage(current_app.config["MEDIA_ROOT"])
