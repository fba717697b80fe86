"""Reading a multipart upload from the socket in chunks, straight into storage.

The request body is never held whole: werkzeug's sans-IO MultipartDecoder is fed the
raw stream one chunk at a time; text fields (small, capped) are kept, the file part is
sniffed from its first bytes, hashed and written to a storage writer as it arrives.
Anything that goes wrong — too large, wrong type, a client that disconnects — aborts
the writer, so no bytes stay behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from odr.core.errors import BadInput, TooLarge, UnsupportedType
from odr.core.storage import Storage, Writer
from odr.evidence.sniff import ALLOWED_LABELS, HEAD_BYTES, sniff

READ_SIZE = 256 * 1024
MAX_FIELD_BYTES = 64 * 1024


@dataclass
class Upload:
    """A file written to storage (committed) with what the form said about it."""

    key: str
    filename: str
    size: int
    sha256: str
    media_type: str
    fields: dict[str, str] = field(default_factory=dict)


#: Decides a file's media type from its first bytes; raises to refuse it.
Sniffer = Callable[[bytes], str]


def sniff_evidence(head: bytes) -> str:
    """The evidence allow-list: a known document, image, audio or video type, or refused."""
    media = sniff(head)
    if media is None:
        raise UnsupportedType(_l("This file type is not allowed. Allowed: %(types)s.", types=ALLOWED_LABELS),
                              fields={"allowed": ALLOWED_LABELS})
    return media


class _FilePart:
    def __init__(self, storage: Storage, limit: int, filename: str, sniffer: Sniffer) -> None:
        self.storage, self.limit, self.filename, self.sniffer = storage, limit, filename, sniffer
        self.head = bytearray()
        self.writer: Writer | None = None
        self.hasher = hashlib.sha256()
        self.size = 0
        self.media_type: str | None = None

    def _start(self) -> None:
        self.media_type = self.sniffer(bytes(self.head))
        self.writer = self.storage.begin()
        self.writer.write(bytes(self.head))
        self.head.clear()

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(_l("The file is larger than %(mb)d MB.", mb=self.limit // (1024 * 1024)),
                           code="file_too_large")
        self.hasher.update(data)
        if self.writer is None:
            self.head.extend(data)
            if len(self.head) >= HEAD_BYTES:
                self._start()
        else:
            self.writer.write(data)

    def finish(self) -> None:
        if self.writer is None:
            if self.size == 0:
                raise BadInput(_l("The file is empty."), fields={"file": _l("The file is empty.")})
            self._start()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None


def lift_request_cap() -> None:
    """Let this request's body past the app-wide MAX_CONTENT_LENGTH: a streamed upload
    reads it in chunks and enforces its own limit (with a message that names it), so
    werkzeug must not refuse it first. Call before touching ``request.stream``."""
    from flask import request

    request.max_content_length = 1 << 62  # Flask treats None as "use the app's cap"


def receive(stream: BinaryIO, content_type: str | None, storage: Storage, *, limit: int,
            content_length: int | None = None, sniffer: Sniffer = sniff_evidence,
            before_file: Callable[[dict[str, str]], Any] | None = None,
            max_field_bytes: int = MAX_FIELD_BYTES) -> Upload:
    """Parse a multipart body with one ``file`` part; commit it to storage or leave nothing.

    ``sniffer`` names the allow-list (evidence by default; the media server's recordings
    accept WebM only); ``before_file`` sees the fields sent before the file and may refuse
    before a single file byte is stored (the recording callback checks its signature there).
    """
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary:
        raise BadInput(_l("Send the file as multipart/form-data."), code="multipart_required")
    if content_length is not None and content_length > limit + max_field_bytes * 4:
        raise TooLarge(_l("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)), code="file_too_large")
    decoder = MultipartDecoder(boundary.encode("latin-1"))
    fields: dict[str, str] = {}
    current: Any = None
    buf = bytearray()
    part: _FilePart | None = None
    done: _FilePart | None = None
    finished = False
    try:
        while not finished:
            try:
                chunk = stream.read(READ_SIZE)
            except ClientDisconnected:
                raise BadInput(_l("The upload was interrupted."), code="upload_interrupted") from None
            decoder.receive_data(chunk if chunk else None)
            while True:
                event = decoder.next_event()
                if isinstance(event, NeedData):
                    if not chunk:
                        raise BadInput(_l("The upload was interrupted."), code="upload_interrupted")
                    break
                if isinstance(event, Epilogue):
                    finished = True
                    break
                if isinstance(event, File):
                    if event.name != "file" or part is not None or done is not None:
                        raise BadInput(_l("Send exactly one file, in the field named file."), code="one_file")
                    if before_file is not None:
                        before_file(fields)
                    part = _FilePart(storage, limit, event.filename or "", sniffer)
                    current = part
                elif isinstance(event, Field):
                    current = event.name
                    buf.clear()
                elif isinstance(event, Data):
                    if current is part and part is not None:
                        part.feed(event.data)
                        if not event.more_data:
                            part.finish()
                            done, part, current = part, None, None
                    else:
                        buf.extend(event.data)
                        if len(buf) > max_field_bytes:
                            raise TooLarge(_l("A form field is too long."))
                        if not event.more_data:
                            fields[str(current)] = buf.decode("utf-8", "replace")
                            buf.clear()
        if done is None:
            if before_file is not None:
                before_file(fields)  # a refusal of the sender outranks "no file"
            raise BadInput(_l("Choose a file to upload."), fields={"file": _l("Choose a file to upload.")})
        assert done.writer is not None and done.media_type is not None
        key = done.writer.commit()
        return Upload(key=key, filename=done.filename, size=done.size, sha256=done.hasher.hexdigest(),
                      media_type=done.media_type, fields=fields)
    except BaseException as exc:
        for p in (part, done):
            if p is not None:
                p.abort()
        if isinstance(exc, ValueError):  # malformed multipart framing
            raise BadInput(_l("The upload is not valid multipart/form-data."), code="malformed_multipart") from None
        raise
