"""What a file really is, from its first bytes — never from its name or declared type."""

from __future__ import annotations

import re

import filetype

#: media type → label shown in the 415 message (issue 3 allow-list)
ALLOWED = {
    "application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIC",
    "audio/mpeg": "MP3", "audio/mp4": "M4A", "audio/x-wav": "WAV", "audio/amr": "AMR",
    "video/mp4": "MP4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "text/plain": "TXT",
}
ALLOWED_LABELS = ", ".join(dict.fromkeys(ALLOWED.values()))
PREVIEWABLE = {"application/pdf", "image/jpeg", "image/png"}
HEAD_BYTES = 8192


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            # the head may end inside a multi-byte character
            head.decode(encoding) if len(head) < HEAD_BYTES else head[:-4].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


#: how active content announces itself (browsers sniff these as HTML/SVG/XML whatever the type)
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|"
                     rb"[a-z]+[^>]*\son[a-z]+\s*=)", re.IGNORECASE)


def _is_markup(head: bytes) -> bool:
    """Plain-text evidence never carries HTML, SVG or XML: such "text" is refused, so no
    browser can ever be tricked into rendering a party's upload as a page."""
    return bool(_MARKUP.search(head))


def sniff(head: bytes) -> str | None:
    """The allowed media type of content starting with ``head``, or None if not allowed."""
    kind = filetype.guess(head)
    if kind is not None:
        mime = "audio/x-wav" if kind.mime in ("audio/wav", "audio/x-wav") else kind.mime
        return mime if mime in ALLOWED else None
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    return "text/plain" if _looks_like_text(head) and not _is_markup(head) else None
