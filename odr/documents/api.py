"""/cases/{id}/documents and /documents/{id}/pdf (the public /verify/{code} is in views.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from odr.accounts import policy
from odr.api.conventions import created, require_user
from odr.api.registry import endpoint
from odr.api.schema import Int, Obj, Str
from odr.cases.models import Case
from odr.core.time import iso
from odr.documents import issuing
from odr.documents.models import Document
from odr.documents.services import case_documents, read_bytes

DOCUMENT_OUT = {"type": "object", "required": ["id", "kind", "number", "sha256", "verify_code", "created_at"],
                "properties": {"id": {"type": "integer"}, "kind": {"type": "string"},
                               "number": {"type": ["string", "null"]}, "sha256": {"type": "string"},
                               "verify_code": {"type": "string"}, "created_at": {"type": "string"},
                               "title": {"type": "string"}, "issuer": {"type": "string"},
                               "version": {"type": "integer"}, "size": {"type": "integer"},
                               "agreement_id": {"type": ["integer", "null"]}}}


def document_json(d: Document) -> dict[str, Any]:
    return {"id": d.id, "kind": d.kind, "number": d.number, "sha256": d.sha256,
            "verify_code": d.verify_code, "created_at": iso(d.created_at), "title": d.title,
            "issuer": d.issuer, "version": d.version, "size": d.size, "agreement_id": d.agreement_id}


@endpoint("/cases/<int:case_id>/documents", summary="Documents issued in a case",
          response={"type": "object", "required": ["items", "total"],
                    "properties": {"items": {"type": "array", "items": DOCUMENT_OUT},
                                   "total": {"type": "integer"}}})
def documents_list(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "document.view")
    items = case_documents(case)
    return jsonify({"items": [document_json(d) for d in items], "total": len(items)})


@endpoint("/cases/<int:case_id>/documents", "POST", status=201,
          summary="Generate a document of the case (mediator, organization admin)",
          body=Obj({"kind": Str(enum=issuing.ON_DEMAND),
                    "minutes_id": Int(required=False, nullable=True, minimum=1),
                    "reason_code": Str(required=False, nullable=True, max_len=32)}),
          response=DOCUMENT_OUT, errors=(400, 403, 404, 409))
def documents_generate(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.view")  # who may issue which kind: issuing.generate
    doc = issuing.generate(case, body["kind"], require_user(), minutes_id=body.get("minutes_id"),
                           reason_code=body.get("reason_code"))
    return created(document_json(doc))


@endpoint("/documents/<int:document_id>", summary="One document's record", response=DOCUMENT_OUT)
def documents_get(document_id: int) -> Any:
    return jsonify(document_json(policy.get_or_404(Document, document_id, "document.view")))


@endpoint("/documents/<int:document_id>/pdf", summary="The issued PDF", produces="application/pdf")
def documents_pdf(document_id: int) -> Any:
    doc = policy.get_or_404(Document, document_id, "document.view")
    return pdf_response(doc)


def pdf_response(doc: Document) -> Response:
    """The stored bytes as a download named after the kind and id (ASCII-safe)."""
    response = Response(read_bytes(doc), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.kind}-{doc.id}.pdf"'
    response.headers["X-Content-SHA256"] = doc.sha256
    response.headers["Cache-Control"] = "private, no-store"
    return response
