"""A WeasyPrint URL fetcher that fetches nothing outside the application.

Documents are rendered from templates filled with party-supplied text. Autoescaping
keeps that text inert, but the renderer itself must also refuse to reach out: a
``file://`` URL would copy server files into a PDF handed to a party, and an
``http://`` URL would let a document trigger requests from inside the network
(server-side request forgery). So, as indico's receipts renderer does, only two
kinds of URL are served, both without any I/O beyond the static folder:

* ``data:`` URIs of a few image and style types (the QR code and seal are
  generated in-process as data URIs);
* ``odr-static:<path>`` for files under one static directory (for instance an
  organization's logo), with a short list of suffixes and no way out of it.

Everything else raises, which WeasyPrint reports as a warning and skips: the
document still renders, without the resource.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, unquote_to_bytes

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["ALLOWED_DATA_TYPES", "RefusedURL", "RestrictedURLFetcher", "STATIC_SCHEME"]

logger = logging.getLogger(__name__)

STATIC_SCHEME = "odr-static"
ALLOWED_DATA_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml", "text/css"})
_STATIC_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".svg", ".css", ".otf", ".ttf"})
_MAX_BYTES = 2 * 1024 * 1024
_MAX_FONT_BYTES = 8 * 1024 * 1024  # the built single-face CJK fonts are about 5 MB
_DEFAULT_STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"


class RefusedURL(ValueError):
    """Raised for any URL outside the allowed set; WeasyPrint logs it and moves on."""


class RestrictedURLFetcher(URLFetcher):
    """Serve ``data:`` and ``odr-static:`` URLs only; record every refusal.

    One instance per rendered document, so ``refused`` lists exactly the URLs that
    document tried to load (tests and logs use it).
    """

    def __init__(self, static_root: Path | None = None) -> None:
        # The parent's own protocol filter is a second lock on the door should
        # WeasyPrint ever call the parent's fetch.
        super().__init__(allowed_protocols=("data", STATIC_SCHEME), allow_redirects=False)
        self.static_root = (static_root or _DEFAULT_STATIC_ROOT).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return the resource for an allowed URL or raise ``RefusedURL``."""
        scheme, _, rest = url.partition(":")
        scheme = scheme.lower()
        if scheme == "data":
            return self._data(url, rest)
        if scheme == STATIC_SCHEME:
            return self._static(url, rest)
        self._refuse(url, "scheme not allowed")

    def _refuse(self, url: str, reason: str) -> NoReturn:
        shown = url if len(url) <= 200 else url[:200] + "…"
        self.refused.append(shown)
        logger.warning("document renderer refused %s: %s", shown, reason)
        raise RefusedURL(f"refused {shown}: {reason}")

    def _data(self, url: str, rest: str) -> URLFetcherResponse:
        header, comma, payload = rest.partition(",")
        if not comma:
            self._refuse(url, "malformed data URI")
        params = [p.strip() for p in header.split(";")]
        mime = (params[0] or "text/plain").lower()
        if mime not in ALLOWED_DATA_TYPES:
            self._refuse(url, f"data type {mime} not allowed")
        if len(payload) > _MAX_BYTES * 4 // 3 + 4:
            self._refuse(url, "data URI too large")
        try:
            body = base64.b64decode(payload, validate=True) if "base64" in params[1:] else (
                unquote_to_bytes(payload))
        except ValueError:
            self._refuse(url, "undecodable data URI")
        return URLFetcherResponse(url, body, {"Content-Type": mime})

    def _static(self, url: str, rest: str) -> URLFetcherResponse:
        relative = unquote(rest.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
        path = (self.static_root / relative).resolve()
        if not path.is_relative_to(self.static_root) or path.suffix.lower() not in _STATIC_SUFFIXES:
            self._refuse(url, "outside the static folder or file type not allowed")
        limit = _MAX_FONT_BYTES if path.suffix.lower() in (".otf", ".ttf") else _MAX_BYTES
        if not path.is_file() or path.stat().st_size > limit:
            self._refuse(url, "no such static file, or too large")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
