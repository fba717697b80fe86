"""A finished session recording, delivered by the media server, into the case's evidence.

The media server posts multipart ``session_id, sha256, started_at, ended_at, file`` and
signs the SHA-256 it computed (mediation/callbacks.py). The body is read from the socket
in chunks by odr/evidence/streaming.py (the uploads' reader, with a WebM-only sniffer):
the signature is checked on the ``sha256`` field *before* any file byte is stored, the
file is hashed while it streams into evidence storage, and the record is written only if
the received bytes hash to the signed value. Anything else aborts the write and leaves
nothing behind. A repeated delivery (the media server retries) finds the stored record.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from mediation.protocol import parse_iso, recording_signed_bytes, verify_callback
from odr.audit.services import record
from odr.core.errors import BadInput, Conflict, Unauthorized, UnsupportedType
from odr.core.storage import Storage, get_storage
from odr.core.time import local
from odr.evidence import streaming
from odr.evidence.streaming import Upload
from odr.extensions import db
from odr.scheduling.video_events import load_session

MAX_FIELD_BYTES = 4096
DEFAULT_MAX_RECORDING_BYTES = 8 * 1024 * 1024 * 1024
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"  # EBML header: the media server records WebM
SHA256_RE = re.compile(r"[0-9a-f]{64}")


class BadSignature(Unauthorized):
    code = "bad_signature"


def _webm_only(head: bytes) -> str:
    if not head.startswith(WEBM_MAGIC):
        raise UnsupportedType(_l("A recording must be a WebM file."))
    return "video/webm"


def _check_signature(fields: dict[str, str], header: str | None, secret: str) -> str:
    claimed = fields.get("sha256", "").strip().lower()
    if not SHA256_RE.fullmatch(claimed):
        raise BadSignature(_l("The recording's signed hash is missing."))
    signed = recording_signed_bytes(fields.get("session_id", ""), claimed, fields.get("started_at", ""),
                                    fields.get("ended_at", ""))
    if not verify_callback(secret, signed, header):
        raise BadSignature(_l("The callback signature is invalid or expired."))
    return claimed


def receive(stream: BinaryIO, content_type: str | None, header: str | None, secret: str,
            storage: Storage, limit: int) -> Upload:
    """Stream the multipart body into ``storage``; signature first, nothing kept on failure."""
    return streaming.receive(stream, content_type, storage, limit=limit, sniffer=_webm_only,
                             before_file=lambda fields: _check_signature(fields, header, secret),
                             max_field_bytes=MAX_FIELD_BYTES)


def store_recording(stream: BinaryIO, content_type: str | None, header: str | None) -> Any:
    """Receive, verify and file one recording as evidence of kind "recording"; commit."""
    from odr.evidence.models import Evidence

    cfg = current_app.config
    storage = get_storage()
    got = receive(stream, content_type, header, cfg["MEDIA_SECRET"], storage,
                  int(cfg.get("MAX_RECORDING_BYTES", DEFAULT_MAX_RECORDING_BYTES)))
    try:
        claimed = _check_signature(got.fields, header, cfg["MEDIA_SECRET"])
        if got.sha256 != claimed:
            raise BadInput(_l("The recording does not match its signed SHA-256."), code="hash_mismatch")
        session = load_session({"session_id": got.fields.get("session_id")})
        existing = db.session.execute(select(Evidence).where(
            Evidence.kind == "recording", Evidence.sha256 == got.sha256)).scalars().first()
        if existing is not None:
            if existing.session_id != session.id:
                raise Conflict(_l("This recording is already filed for another session."),
                               code="duplicate_recording")
            if got.key:
                storage.delete(got.key)
            return existing
        started = _when(got.fields.get("started_at", ""))
        ended = _when(got.fields.get("ended_at", ""))
        evidence = Evidence(
            case_id=session.case_id, kind="recording", session_id=session.id,
            title=str(_l("Recording of the video session (%(start)s – %(end)s)", start=started, end=ended))[:200],
            description=str(_l("Recorded by the platform with the consent of everyone present; "
                               "private caucus time is never recorded.")),
            filename=(got.filename or "recording.webm")[:200], size=got.size, sha256=got.sha256, media_type="video/webm",
            storage_key=got.key, visibility="all", submitted_by_id=None)
        db.session.add(evidence)
        db.session.flush()
        record("session.recording_stored", evidence, case_id=session.case_id,
               after={"session_id": session.id, "sha256": got.sha256, "size": got.size,
                      "started_at": started, "ended_at": ended})
        db.session.commit()
        return evidence
    except BaseException:
        db.session.rollback()
        if got.key and not _referenced(got.key):
            storage.delete(got.key)
        raise


def _when(value: str) -> str:
    """The media server's ISO time as local wall time for the title; kept as sent if odd."""
    try:
        return local(parse_iso(value[:40])).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value[:40]


def _referenced(key: str) -> bool:
    from odr.evidence.models import Evidence

    return db.session.execute(select(Evidence.id).where(Evidence.storage_key == key)).first() is not None
