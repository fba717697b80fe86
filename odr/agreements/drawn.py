"""Drawn signatures: an optional PNG a signer draws next to their e-signature.

The image is decoration of the legal act, not the act itself (the password, the code and
the content hash are): so it is checked strictly and cheaply, and a bad one refuses the
whole signature rather than being silently dropped, because the signer saw it on screen.

* It must really be a PNG (magic bytes through odr.evidence.sniff, then Pillow opens
  it), at most ``MAX_BYTES``, of sane dimensions, with some ink on it.
* It is re-encoded before it is stored, so no ancillary chunk a client put in the file
  (text, a polyglot payload) is ever kept or served; the stored file is what we checked.
* It is stored through odr.core.storage (outside the web root, written to a part file
  and renamed, so a failed write leaves nothing) and shown only inline, as a data: URI,
  on pages and in PDFs that are themselves permission-checked; WeasyPrint's restricted
  fetcher (odr.documents.fetcher) accepts image/png data: URIs and nothing from outside.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
from typing import Any

from flask_babel import lazy_gettext as _l

from odr.core.errors import BadInput, DomainError, TooLarge, UnsupportedType
from odr.core.storage import get_storage

log = logging.getLogger("odr.agreements.drawn")

MAX_BYTES = 200 * 1024
MIN_SIZE = (40, 20)
MAX_SIZE = (2000, 1000)
#: pixels that count as ink: opaque enough and darker than paper
MIN_INK_PIXELS = 20
_DATA_PREFIX = "data:image/png;base64,"
FIELD = "signature_image"


def _bad(message: Any, cls: type[DomainError] = BadInput, code: str = "invalid_signature_image") -> DomainError:
    return cls(message, code=code, fields={FIELD: message})


def decode(value: str | bytes | None) -> bytes | None:
    """The PNG bytes from a data: URL, bare base64 or raw bytes; None when nothing was drawn."""
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, bytes):
        return value
    text = value.strip()
    if text.startswith("data:"):
        header, comma, text = text.partition(",")
        if not comma or header.lower() != _DATA_PREFIX[:-1]:
            raise _bad(_l("The drawn signature must be a PNG image."), UnsupportedType, "unsupported_type")
    if len(text) > (MAX_BYTES * 4) // 3 + 8:
        raise _bad(_l("The drawn signature is too large (at most 200 KB)."), TooLarge, "too_large")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _bad(_l("The drawn signature could not be read.")) from None


def clean(value: str | bytes | None) -> bytes | None:
    """Check a drawn signature and return it re-encoded as a plain PNG (None: nothing drawn).

    Raises 415 for anything but a PNG, 413 above 200 KB, 400 for odd sizes or a blank one.
    """
    from PIL import Image, ImageChops, UnidentifiedImageError

    from odr.evidence.sniff import sniff

    data = decode(value)
    if data is None:
        return None
    if len(data) > MAX_BYTES:
        raise _bad(_l("The drawn signature is too large (at most 200 KB)."), TooLarge, "too_large")
    if sniff(data[:8192]) != "image/png":
        raise _bad(_l("The drawn signature must be a PNG image."), UnsupportedType, "unsupported_type")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
            width, height = probe.size
            if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
                raise _bad(_l("The drawn signature must be between %(min)s and %(max)s pixels.",
                              min=f"{MIN_SIZE[0]}×{MIN_SIZE[1]}", max=f"{MAX_SIZE[0]}×{MAX_SIZE[1]}"))
            probe.load()
            image = probe.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _bad(_l("The drawn signature could not be read.")) from None
    opaque = image.getchannel("A").point(lambda a: 255 if a > 32 else 0)
    dark = image.convert("L").point(lambda v: 255 if v < 200 else 0)
    ink = ImageChops.multiply(opaque, dark)
    if ink.histogram()[255] < MIN_INK_PIXELS:
        raise _bad(_l("The drawn signature is empty. Draw it again or leave it out."))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def store(png: bytes) -> str:
    """Write the checked PNG to storage and return its key (nothing is left if the write fails)."""
    writer = get_storage().begin()
    try:
        writer.write(png)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


def discard(key: str) -> None:
    """Remove an image whose signature was not stored after all (the transaction failed)."""
    try:
        get_storage().delete(key)
    except Exception:  # noqa: BLE001 - the signer's error matters more than a leftover file
        log.exception("could not remove the drawn signature %s", key)


def data_uri(key: str | None) -> str | None:
    """The stored image as a ``data:image/png;base64,…`` URI, or None (no image, or unreadable)."""
    if not key:
        return None
    try:
        fh = get_storage().open(key)
        try:
            data = fh.read(MAX_BYTES * 4 + 1)
        finally:
            fh.close()
    except Exception as exc:  # noqa: BLE001 - a missing image must not break a page or a PDF
        log.warning("drawn signature %s cannot be read: %s", key, exc)
        return None
    return _DATA_PREFIX + base64.b64encode(data).decode("ascii")
