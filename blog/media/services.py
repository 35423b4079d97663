"""Pictures in and out: decode and check an upload, strip its metadata, store its sizes; delete."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Media, MediaVariant, Post, User
from .storage import media_storage

log = logging.getLogger(__name__)

# Pillow's format name -> (Content-Type, file extension). Anything Pillow decodes beyond these is refused.
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
WIDTHS = (480, 960, 1600)
MAX_WIDTH = 2400
MEDIA_PATH = re.compile(r"/media/([0-9a-f]{20}-[0-9]{1,4}\.(?:jpg|png|webp|gif))")
NAME = re.compile(r"[0-9a-f]{20}-[0-9]{1,4}\.(?:jpg|png|webp|gif)")


class UploadRefused(ValueError):
    """An upload we don't store, with the message the author sees."""


def _refuse(message: str):
    raise UploadRefused(message)


def read_upload(file_storage) -> bytes:
    """The uploaded bytes, refused when empty or larger than MEDIA_MAX_BYTES."""
    limit = current_app.config["MEDIA_MAX_BYTES"]
    data = file_storage.stream.read(limit + 1)
    if not data:
        _refuse(_("The file is empty."))
    if len(data) > limit:
        _refuse(too_large_message())
    return data


def too_large_message() -> str:
    limit = current_app.config["MEDIA_MAX_BYTES"]
    return _("The file is larger than %(size)s, the largest picture this site accepts.", size=human_size(limit))


def human_size(size: int) -> str:
    if size < 1024:
        return _("%(n)d bytes", n=size)
    if size < 1024 * 1024:
        return _("%(n)s KB", n=f"{size / 1024:.0f}")
    return _("%(n)s MB", n=f"{size / (1024 * 1024):.1f}".removesuffix(".0"))


def decode(data: bytes) -> Image.Image:
    """The picture, fully decoded: by its content, never by its name or declared type."""
    max_pixels = current_app.config["MEDIA_MAX_PIXELS"]
    not_a_picture = _(
        "This is not a picture we accept: upload a JPEG, PNG, WebP or GIF image (SVG and other kinds are refused)."
    )
    with warnings.catch_warnings():
        # Pillow warns past its own pixel limit and raises at twice that: both are refusals here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
        except UnidentifiedImageError:
            _refuse(not_a_picture)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            _refuse(_("The picture has too many pixels."))
        except Exception:  # a damaged header: Pillow raises many kinds
            _refuse(_("The picture is damaged or incomplete."))
        if image.format not in ACCEPTED_FORMATS:
            _refuse(not_a_picture)
        # Checked from the header alone, before anything is decompressed.
        if image.width * image.height > max_pixels:
            _refuse(
                _(
                    "The picture has too many pixels (%(w)d × %(h)d); the limit is %(limit)s million.",
                    w=image.width,
                    h=image.height,
                    limit=f"{max_pixels / 1_000_000:g}",
                )
            )
        try:
            image.load()  # the first frame of a GIF or animated WebP
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            _refuse(_("The picture has too many pixels."))
        except Exception:
            _refuse(_("The picture is damaged or incomplete."))
    return image


def clean_copy(image: Image.Image) -> Image.Image:
    """Turned upright by its EXIF orientation, in sRGB, then without any metadata (EXIF, GPS, XMP, comments, ICC)."""
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if upright is None or upright is image:
        upright = image.copy()
    has_alpha = upright.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in upright.info
    if has_alpha:
        upright = upright.convert("RGBA")
    elif upright.mode == "CMYK" and icc_profile:
        pass  # converted with its own profile below
    elif upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    if icc_profile and upright.mode in ("RGB", "RGBA", "CMYK"):
        upright = in_srgb(upright, icc_profile)
    # Encoders copy some of info (PNG text, ICC, GIF comments) into the file: start from nothing.
    upright.info = {}
    return upright


def in_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    """The colours as the camera's profile (Display P3, Adobe RGB, CMYK...) meant them, in plain sRGB.

    The profile itself is dropped with the other metadata, and browsers take untagged pictures as sRGB.
    """
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
        if converted is not None:  # None only when asked to convert in place
            return converted
    except (ImageCms.PyCMSError, OSError, ValueError):
        log.info("media: unreadable colour profile ignored")
    return image.convert(output_mode) if image.mode != output_mode else image


def encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    elif fmt == "WEBP":
        image.save(out, format="WEBP", quality=80)
    elif fmt == "PNG":
        image.save(out, format="PNG")
    else:
        image.save(out, format="GIF")
    return out.getvalue()


def variant_widths(width: int) -> list[int]:
    largest = min(width, MAX_WIDTH)
    return sorted({w for w in WIDTHS if w < largest} | {largest})


def resized(image: Image.Image, width: int) -> Image.Image:
    if width == image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def store_upload(file_storage, uploader: User | None, alt: str, decorative: bool = False) -> Media:
    """Check, strip and store an upload in every size; the same file uploaded again is the same Media.

    Raises UploadRefused with a message for the author; nothing is stored then.
    """
    data = read_upload(file_storage)
    content_hash = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(select(Media).where(Media.content_hash == content_hash))
    if existing is not None:
        return existing
    image = decode(data)
    fmt = image.format or ""  # decode() only returns images whose format it accepted
    clean = clean_copy(image)
    mime_type, _ext = ACCEPTED_FORMATS[fmt]
    media = Media(
        content_hash=content_hash,
        original_filename=safe_filename(file_storage.filename),
        format=fmt,
        mime_type=mime_type,
        width=clean.width,
        height=clean.height,
        byte_size=len(data),
        alt_text="" if decorative else alt.strip(),
        decorative=decorative,
        uploader_id=uploader.id if uploader else None,
    )
    storage = media_storage()
    written = []
    try:
        for width in variant_widths(clean.width):
            version = resized(clean, width)
            for variant_format in dict.fromkeys(["WEBP", fmt]):
                encoded = encode(version, variant_format)
                variant_mime, ext = ACCEPTED_FORMATS[variant_format]
                # The name changes whenever the bytes do (so URLs can be cached for ever), and stays
                # unique per upload even when two uploads strip down to the same pixels.
                digest = hashlib.sha256(content_hash.encode() + encoded).hexdigest()[:20]
                variant = MediaVariant(
                    name=f"{digest}-{width}.{ext}",
                    format=variant_format,
                    mime_type=variant_mime,
                    width=version.width,
                    height=version.height,
                    byte_size=len(encoded),
                )
                storage.put(variant, encoded)
                written.append(variant)
                media.variants.append(variant)
        db.session.add(media)
        db.session.commit()
    except IntegrityError:
        # Someone uploaded the same file at the same moment: theirs is the entry, and the files are
        # byte-for-byte the ones we wrote, under the same names.
        db.session.rollback()
        existing = db.session.scalar(select(Media).where(Media.content_hash == content_hash))
        if existing is None:
            raise
        return existing
    except BaseException:
        db.session.rollback()
        for variant in written:
            storage.remove(variant)
        raise
    log.info("media %s stored: %s, %d versions", media.id, fmt, len(written))
    return media


def insert_markdown(media: Media, alt: str) -> str:
    """The Markdown an author pastes: the full-size picture, whose other sizes the renderer finds."""
    alt = (alt or media.alt_text).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"![{alt}](/media/{media.full_size.name})"


def safe_filename(filename: str | None) -> str:
    """The name the author's file had, for the library's eyes only (never a path on disk)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or _("untitled")


def delete_media(media: Media) -> None:
    """The entry and every stored version; files go once the rows are gone for sure."""
    storage = media_storage()
    variants = list(media.variants)
    db.session.delete(media)
    db.session.commit()
    for variant in variants:
        storage.remove(variant)


def posts_using(media_list: list[Media]) -> dict[int, list[Post]]:
    """Which posts use each picture: as featured image or in their body (any of its versions), in one query."""
    owner = {variant.name: media.id for media in media_list for variant in media.variants}
    usage: dict[int, list[Post]] = {media.id: [] for media in media_list}
    if not owner:
        return usage
    names = list(owner)
    condition = (
        or_(*(Post.body.contains(f"/media/{name}", autoescape=True) for name in names))
        if len(names) <= 50
        else Post.body.contains("/media/", autoescape=True)
    )
    # A featured picture is used too: its posts are found in the same query.
    condition = or_(condition, Post.featured_media_id.in_(list(usage)))
    posts = db.session.scalars(select(Post).where(condition).order_by(Post.title, Post.id)).all()
    for post in posts:
        in_body = [owner[name] for name in MEDIA_PATH.findall(post.body) if name in owner]
        featured = [post.featured_media_id] if post.featured_media_id in usage else []
        for media_id in dict.fromkeys(featured + in_body):
            usage[media_id].append(post)
    return usage


@dataclass
class ResponsiveImage:
    """What the Markdown renderer needs to write a <picture> for one of our pictures."""

    webp: list[tuple[str, int]]
    fallback: list[tuple[str, int]]
    fallback_mime: str
    src: str
    width: int
    height: int


def responsive_images(names: set[str]) -> dict[str, ResponsiveImage]:
    """Our pictures behind these /media/ names, all in one query (the bytes are never loaded)."""
    names = {name for name in names if NAME.fullmatch(name)}
    if not names:
        return {}
    wanted = select(MediaVariant.media_id).where(MediaVariant.name.in_(names))
    # A new post is in the session, half filled, while its body renders: a flush now would insert it.
    with db.session.no_autoflush:
        rows = db.session.scalars(
            select(MediaVariant)
            .where(MediaVariant.media_id.in_(wanted))
            .order_by(MediaVariant.media_id, MediaVariant.width)
        ).all()
    by_media: dict[int, list[MediaVariant]] = {}
    for variant in rows:
        by_media.setdefault(variant.media_id, []).append(variant)
    images = {}
    for variants in by_media.values():
        image = responsive_image(variants)
        for variant in variants:
            images[variant.name] = image
    return images


def responsive_image(variants: list[MediaVariant]) -> ResponsiveImage:
    """The <picture> sources of one picture's versions (WebP first, then its own format)."""
    variants = sorted(variants, key=lambda v: v.width)
    webp = [v for v in variants if v.format == "WEBP"]
    original = [v for v in variants if v.format != "WEBP"] or webp
    largest = original[-1]
    return ResponsiveImage(
        webp=[(f"/media/{v.name}", v.width) for v in webp] if original is not webp else [],
        fallback=[(f"/media/{v.name}", v.width) for v in original],
        fallback_mime=largest.mime_type,
        src=f"/media/{largest.name}",
        width=largest.width,
        height=largest.height,
    )


# Link previews (Facebook, Mastodon, Slack...) show about 1200 pixels wide at most.
SHARE_WIDTH = 1600


@dataclass
class SharedImage:
    """The picture link previews show: og:image, twitter:image and the JSON-LD image."""

    url: str  # absolute
    width: int | None
    height: int | None
    alt: str


def share_image(post) -> SharedImage | None:
    """The featured picture, else the first picture in the body, else None.

    Works from what the listing or article query already loaded (the featured picture's versions and the
    stored body HTML): no query of its own.
    """
    from ..templating import absolute_url  # templating's globals call this module: imported late

    media = getattr(post, "featured_media", None)
    if media is not None and media.variants:
        own = [v for v in media.variants if v.format == media.format] or list(media.variants)
        fitting = [v for v in own if v.width <= SHARE_WIDTH] or [min(own, key=lambda v: v.width)]
        chosen = max(fitting, key=lambda v: v.width)
        return SharedImage(
            url=absolute_url("media.serve", name=chosen.name),
            width=chosen.width,
            height=chosen.height,
            alt=post.featured_image_alt,
        )
    first = _FirstImage.of(getattr(post, "body_html", "") or "")
    if first is None:
        return None
    src = first.get("src") or ""
    own_name = MEDIA_PATH.fullmatch(src)
    if own_name:
        url = absolute_url("media.serve", name=own_name.group(1))
    elif src.startswith(("https://", "http://")):
        url = src
    else:
        return None
    return SharedImage(
        url=url, width=_pixels(first.get("width")), height=_pixels(first.get("height")), alt=first.get("alt") or ""
    )


def _pixels(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 100_000 else None


class _FirstImage(HTMLParser):
    """The attributes of the first <img> in sanitised HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "img" and self.found is None:
            self.found = dict(attrs)

    @classmethod
    def of(cls, html: str) -> dict[str, str | None] | None:
        if "<img" not in html:
            return None
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.found
