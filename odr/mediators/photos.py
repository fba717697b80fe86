"""A mediator's photo: the only way one gets in, is changed or removed, and how it is served.

Why every photo is re-encoded: a phone photo carries EXIF (GPS location, camera make and
serial, time taken) that the public must never receive, and an uploaded file can be a
decompression bomb, a polyglot, or markup renamed ``.jpg``. So the type is sniffed from
the bytes (never the name), the pixels are decoded with Pillow under a pixel cap, and
what is stored and served is a fresh JPEG drawn from those pixels, at most 600×750, with
no metadata at all. The original bytes are never written anywhere.

Writes follow the storage contract: the new file is written under a temporary name and
renamed into place, the row changes in the same transaction as its audit event, and the
file it replaced is deleted only after that commit; a refused or failed upload leaves
neither a file nor a changed row.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from typing import IO, Any

import filetype
from flask import url_for
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFile, ImageOps

from odr.accounts import policy
from odr.audit.services import record
from odr.core.errors import BadInput, Forbidden, TooLarge, UnsupportedType
from odr.core.storage import get_storage
from odr.extensions import db
from odr.mediators.models import MediatorProfile

log = logging.getLogger("odr.mediators.photos")

#: sniffed media type → the Pillow decoder allowed for it (nothing else is ever decoded)
PHOTO_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024
#: what a request carrying a photo may send in all: a photo somewhat over the limit is still
#: read (to a temporary file) so the form comes back with what was typed and a clear reason
MAX_PHOTO_REQUEST_BYTES = 4 * MAX_PHOTO_BYTES
#: more pixels than a 48-megapixel phone camera takes is not a portrait (and may be a bomb)
MAX_PIXELS = 50_000_000
BOX = (600, 750)
QUALITY = 85
#: the stored photo is read whole when served; anything larger was not written by this module
MAX_SERVED_BYTES = MAX_PHOTO_BYTES
_STRICT = threading.Lock()


@dataclass(frozen=True)
class PreparedPhoto:
    """A re-encoded photo, ready to store: only ``prepare_photo`` makes one, so
    ``store_photo`` can never be handed raw upload bytes."""

    jpeg: bytes
    width: int
    height: int


def too_big_message() -> Any:
    return _l("The photo is larger than %(mb)d MB.", mb=MAX_PHOTO_BYTES // (1024 * 1024))


def read_upload(stream: IO[bytes]) -> bytes:
    """The uploaded bytes, refusing more than ``MAX_PHOTO_BYTES`` without keeping them."""
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge(too_big_message(), code="file_too_large", fields={"file": too_big_message()})
    return data


def sniff_photo(head: bytes) -> str:
    """The photo's media type from its first bytes; anything but JPEG, PNG or WebP is refused
    (an SVG or HTML page renamed ``.jpg`` has no image signature and stops here)."""
    kind = filetype.guess(head[:8192])
    mime = kind.mime if kind is not None else None
    if mime not in PHOTO_TYPES:
        msg = _l("The photo must be a JPEG, PNG or WebP image.")
        raise UnsupportedType(msg, fields={"file": msg})
    return mime


def _unreadable() -> BadInput:
    msg = _l("The photo could not be read: the image is damaged or incomplete.")
    return BadInput(msg, code="corrupt_image", fields={"file": msg})


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Check and re-encode an uploaded photo; raises (413, 415, 400) and writes nothing."""
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge(too_big_message(), code="file_too_large", fields={"file": too_big_message()})
    if not data:
        msg = _l("Choose a photo to upload.")
        raise BadInput(msg, code="file_missing", fields={"file": msg})
    decoder = PHOTO_TYPES[sniff_photo(data)]
    try:
        with Image.open(io.BytesIO(data), formats=[decoder]) as img:
            width, height = img.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise _unreadable()
            img.draft("RGB", BOX)  # JPEG only: decode at a reduced scale, far less memory and CPU
            _load_strictly(img)
            upright = ImageOps.exif_transpose(img)  # a phone's "rotate on display" flag, applied
            pixels = _flatten(upright)
    except Exception:  # noqa: BLE001 - a hostile file can make a decoder raise anything: a 400, never a 500
        raise _unreadable() from None
    pixels.thumbnail(BOX, Image.Resampling.LANCZOS)
    clean = Image.new("RGB", pixels.size, (255, 255, 255))
    clean.paste(pixels)  # a new image: no info, EXIF, XMP, ICC or comment can ride along
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return PreparedPhoto(out.getvalue(), clean.width, clean.height)


def _load_strictly(img: Image.Image) -> None:
    """Decode, refusing a file that ends early. WeasyPrint sets Pillow's process-wide
    ``LOAD_TRUNCATED_IMAGES`` on import, under which a cut-off upload would decode with the
    missing part painted grey; the flag is cleared for this one decode (the lock keeps two
    photo decodes from restoring each other's value; documents only embed our own images)."""
    with _STRICT:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            img.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _flatten(img: Image.Image) -> Image.Image:
    """RGB pixels; transparency is laid on white, as the photo is shown on a white card."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        base = Image.new("RGB", rgba.size, (255, 255, 255))
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return img.convert("RGB")


def _check(profile: MediatorProfile, actor: Any) -> None:
    if not policy.can(actor, "mediator.photo", profile):
        raise Forbidden()


def store_photo(profile: MediatorProfile, photo: PreparedPhoto, actor: Any) -> MediatorProfile:
    """Store a prepared photo as ``profile``'s, replacing any earlier one."""
    _check(profile, actor)
    storage = get_storage()
    writer = storage.begin()  # a temporary name, renamed into place by commit()
    try:
        writer.write(photo.jpeg)
        key = writer.commit()
    except BaseException:
        writer.abort()
        raise
    old = profile.photo_key
    try:
        profile.photo_key = key
        record("mediator.photo", profile, actor=actor, object_id=profile.user_id,
               before={"photo": old is not None},
               after={"photo": True, "width": photo.width, "height": photo.height, "bytes": len(photo.jpeg)})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.delete(key)
        raise
    _discard(old)
    return profile


def set_photo(profile: MediatorProfile, data: bytes, actor: Any) -> MediatorProfile:
    """Check, re-encode and store an uploaded photo (the API's one call)."""
    _check(profile, actor)
    return store_photo(profile, prepare_photo(data), actor)


def remove_photo(profile: MediatorProfile, actor: Any) -> MediatorProfile:
    """Take the photo down; the file goes once the row no longer points at it."""
    _check(profile, actor)
    old = profile.photo_key
    if old is None:
        return profile
    profile.photo_key = None
    record("mediator.photo_remove", profile, actor=actor, object_id=profile.user_id,
           before={"photo": True}, after={"photo": False})
    db.session.commit()
    _discard(old)
    return profile


def _discard(key: str | None) -> None:
    """Delete a photo no row refers to any more. A failure only leaves an orphan file (never
    shown: nothing points at it), so it is logged rather than undoing a committed change."""
    if not key:
        return
    try:
        get_storage().delete(key)
    except Exception:  # noqa: BLE001 - the change is committed; the leftover is harmless
        log.warning("could not delete replaced mediator photo %s", key, exc_info=True)


def photo_url(profile: MediatorProfile, *, external: bool = False) -> str | None:
    """The public address of the photo, or None. It names the stored file's version, so a
    replaced photo is fetched anew while an unchanged one stays cached."""
    if not profile.photo_key:
        return None
    return url_for("mediators.photo", mediator_id=profile.user_id, v=profile.photo_key[:12], _external=external)


def stored_photo(key: str) -> tuple[bytes, str] | None:
    """The stored bytes and their media type sniffed from those bytes (the key has no name to
    guess from); None when missing, not an allowed image, or not something this module wrote."""
    storage = get_storage()
    if not storage.exists(key):
        return None
    with storage.open(key) as fh:
        data = fh.read(MAX_SERVED_BYTES + 1)
    if len(data) > MAX_SERVED_BYTES:
        return None
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in PHOTO_TYPES:
        return None
    return data, kind.mime
