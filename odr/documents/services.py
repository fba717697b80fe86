"""Issuing documents: render, hash, store, record, and verify them later.

Why it works this way:

* A document is issued once and never re-rendered: the stored bytes are what the
  parties, the court or a bank hold, and their SHA-256 is recorded with a short
  public verification code printed (with a QR code) on every page. ``/verify/<code>``
  shows what was issued and checks an uploaded file byte for byte.
* ``issue_document`` runs inside the caller's transaction (it flushes, it does not
  commit) because it is called from signal receivers (agreement effective, case
  failed) and from the confirmation room's services, which own their transactions.
  A file written for a transaction that then rolls back stays orphaned under a random
  name and is never referenced; that is preferable to a referenced file that is
  missing.
* The bytes go through ``odr.core.storage`` (a FileSystemStorage under
  ``DOCUMENTS_PATH``, or the shared S3 bucket), under random keys.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from odr.audit.services import record
from odr.core.errors import BadInput, NotFound
from odr.core.signals import document_issued
from odr.core.storage import FileSystemStorage, Storage, get_storage
from odr.core.time import now
from odr.documents.models import Document, DocumentKind
from odr.documents.qr import verification_url
from odr.documents.render import DOCUMENT_KINDS, render_pdf
from odr.extensions import db

#: Accepted uploads on the verification page (a legal document is far smaller).
MAX_VERIFY_BYTES = 20 * 1024 * 1024

KIND_LABELS = {
    DocumentKind.APPLICATION: _l("Mediation application"),
    DocumentKind.MINUTES: _l("Session minutes"),
    DocumentKind.AGREEMENT: _l("Settlement agreement"),
    DocumentKind.TERMINATION: _l("Termination notice"),
    DocumentKind.CONFIRMATION_APPLICATION: _l("Judicial confirmation application"),
    DocumentKind.RULING: _l("Ruling"),
}


# ---------------------------------------------------------------- names and codes

def new_verify_code() -> str:
    """10 characters of base32 (50 bits): short enough to type from paper, unguessable
    enough that codes cannot be enumerated."""
    while True:
        code = base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:10]
        exists = db.session.execute(select(Document.id).where(Document.verify_code == code)).first()
        if not exists:
            return code


def mask_name(name: str, kind: str = "person") -> str:
    """张三 → 张*, 欧阳小明 → 欧***; organizations keep their first and last two characters."""
    name = (name or "").strip()
    if not name:
        return ""
    if kind == "organization" and len(name) > 4:
        return name[:2] + "*" * min(len(name) - 4, 6) + name[-2:]
    return name[0] + "*" * max(len(name) - 1, 1)


def masked_parties(context: dict[str, Any]) -> str:
    names = []
    for key in ("applicants", "respondents"):
        for party in context.get(key) or []:
            names.append(mask_name(str(party.get("name", "")), party.get("kind", "person")))
    return "、".join(n for n in names if n)[:300]


# ---------------------------------------------------------------- bytes

def documents_storage() -> Storage:
    """Where issued PDFs live: the shared S3 storage when ODR_STORAGE is s3 (keys are
    random, so documents and evidence never collide), else DOCUMENTS_PATH on disk."""
    if current_app.config.get("STORAGE") == "s3":
        return get_storage()
    ext = current_app.extensions
    if "odr_documents_storage" not in ext:
        ext["odr_documents_storage"] = FileSystemStorage(current_app.config["DOCUMENTS_PATH"])
    return ext["odr_documents_storage"]


def store_bytes(data: bytes) -> str:
    """Write ``data`` under a new random key (atomically: committed or nothing) and return it."""
    writer = documents_storage().begin()
    try:
        writer.write(data)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise


def read_bytes(document: Document) -> bytes:
    """The issued PDF's bytes (the caller checks the policy)."""
    storage = documents_storage()
    if not storage.exists(document.storage_key):
        raise NotFound(_l("The file of this document is missing."))
    return b"".join(storage.iter_chunks(document.storage_key))


# ---------------------------------------------------------------- issuing

def require(values: dict[str, Any]) -> None:
    """Refuse to generate a document when required data is missing, naming what is missing."""
    missing = [str(label) for label, value in values.items() if value in (None, "", [], {})]
    if missing:
        raise BadInput(_l("The document cannot be generated yet; missing: %(what)s.",
                          what=", ".join(missing)), code="missing_document_data")


def issue_document(case: Any, kind: str, context: dict[str, Any], *, number: str, title: str,
                   issuer: str, agreement: Any = None, minutes: Any = None,
                   confirmation: Any = None, actor: Any = None) -> Document:
    """Render ``templates/documents/<kind>.html`` with ``context``, store it, record it.

    ``number`` is printed as ``doc_number``; ``title`` and ``issuer`` go into the PDF
    metadata and the verification page. Flushes but does not commit.
    """
    if kind not in DocumentKind.ALL or kind not in DOCUMENT_KINDS:
        raise BadInput(_l("Unknown document kind."), code="unknown_kind")
    require({_l("document number"): number, _l("issuing body"): issuer})
    code = new_verify_code()
    moment = now()
    full = {**context, "doc_number": number,
            "verification": {"code": code,
                             "url": verification_url(current_app.config["PUBLIC_URL"], code)}}
    pdf = render_pdf(kind, full, title=title, author=issuer, created=moment)
    digest = hashlib.sha256(pdf).hexdigest()
    key = store_bytes(pdf)
    version = (db.session.execute(select(func.count(Document.id)).where(
        Document.case_id == case.id, Document.kind == kind)).scalar() or 0) + 1
    document = Document(case_id=case.id, kind=kind, number=number, version=version, title=title,
                        issuer=issuer, sha256=digest, size=len(pdf), verify_code=code,
                        storage_key=key, agreement_id=getattr(agreement, "id", None),
                        minutes_id=getattr(minutes, "id", None),
                        confirmation_id=getattr(confirmation, "id", None),
                        masked_parties=masked_parties(full), created_at=moment)
    db.session.add(document)
    db.session.flush()
    record("document.issue", document, actor=actor,
           after={"kind": kind, "number": number, "version": version, "sha256": digest,
                  "verify_code": code})
    document_issued.send(document, case=case)
    return document


# ---------------------------------------------------------------- reading and verifying

def case_documents(case: Any) -> list[Document]:
    return list(db.session.execute(
        select(Document).where(Document.case_id == case.id).order_by(Document.id)).scalars())


def by_code(code: str) -> Document:
    doc = None
    if code and len(code) <= 16:
        doc = db.session.execute(
            select(Document).where(Document.verify_code == code.strip().upper())).scalar_one_or_none()
    if doc is None:
        raise NotFound(_l("No document has this verification code."))
    return doc


def public_view(document: Document) -> dict[str, Any]:
    """What anyone may learn from a verification code: no personal data but masked names."""
    return {"kind": document.kind, "number": document.number, "issuer": document.issuer,
            "issued_at": document.created_at, "sha256": document.sha256,
            "title": document.title, "parties": document.masked_parties or "",
            "version": document.version}


def matches(document: Document, stream: Any) -> bool:
    """Is the uploaded stream byte-identical to the issued file? Hashes it in chunks."""
    digest = hashlib.sha256()
    total = 0
    while True:
        chunk = stream.read(64 * 1024)
        if not chunk:
            break
        total += len(chunk)
        if total > MAX_VERIFY_BYTES:
            return False
        digest.update(chunk)
    return total == document.size and digest.hexdigest() == document.sha256
