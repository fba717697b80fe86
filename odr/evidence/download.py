"""Sending stored bytes: attachment by default, inline only for previewable types."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from odr.core.storage import get_storage
from odr.evidence.models import Evidence
from odr.evidence.sniff import PREVIEWABLE


def content_response(ev: Evidence, *, inline: bool) -> Response:
    """Stream the file. The caller has authorized ``evidence.view`` on ``ev``."""
    disposition = "inline" if inline and ev.media_type in PREVIEWABLE else "attachment"
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in ev.filename)
    resp = Response(get_storage().iter_chunks(ev.storage_key), mimetype=ev.media_type, direct_passthrough=True)
    resp.headers["Content-Disposition"] = f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(ev.filename)}"
    resp.headers["Content-Length"] = str(ev.size)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; plugin-types application/pdf; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
