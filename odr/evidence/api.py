"""/cases/{id}/evidence and /evidence/{id}/content (API.md)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from odr.accounts import policy
from odr.api.conventions import created, paging_query, require_user
from odr.api.registry import endpoint
from odr.api.schema import Obj, Str
from odr.cases.models import Case
from odr.evidence.download import content_response
from odr.evidence.models import Evidence
from odr.evidence.serialize import evidence_json
from odr.evidence.services import receive_evidence, visible_evidence, withdraw_evidence
from odr.evidence.sniff import ALLOWED_LABELS
from odr.evidence.streaming import lift_request_cap

EVIDENCE_OUT = {"type": "object",
                "required": ["id", "title", "filename", "size", "sha256", "media_type", "submitted_by", "created_at"],
                "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                               "filename": {"type": "string"}, "size": {"type": "integer"},
                               "sha256": {"type": "string"}, "media_type": {"type": "string"},
                               "submitted_by": {"type": ["integer", "null"]},
                               "created_at": {"type": "string", "format": "date-time"},
                               "visibility": {"type": "string", "enum": ["all", "mediator"]},
                               "duplicate_of": {"type": ["integer", "null"]},
                               "withdrawn_at": {"type": ["string", "null"]}}}
UPLOAD_FORM = {"type": "object", "required": ["file", "title"],
               "properties": {"file": {"type": "string", "format": "binary",
                                       "description": f"Allowed (sniffed from content): {ALLOWED_LABELS}"},
                              "title": {"type": "string", "maxLength": 200},
                              "description": {"type": "string"},
                              "visibility": {"type": "string", "enum": ["all", "mediator"]},
                              "kind": {"type": "string", "enum": ["evidence", "power_of_attorney"]},
                              "agent_id": {"type": "integer"}}}


@endpoint("/cases/<int:case_id>/evidence", "POST", summary="Upload one evidence file (streamed)", status=201,
          multipart=UPLOAD_FORM, response=EVIDENCE_OUT, errors=(400, 401, 403, 404, 409, 413, 415, 507))
def evidence_upload(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.evidence.upload")
    lift_request_cap()
    ev = receive_evidence(case, require_user(), request.stream, request.headers.get("Content-Type"),
                          request.content_length)
    return created(evidence_json(ev))


@endpoint("/cases/<int:case_id>/evidence", summary="The case's evidence visible to the caller",
          query=paging_query(), response={"type": "object", "required": ["items", "total"],
                                          "properties": {"items": {"type": "array", "items": EVIDENCE_OUT},
                                                         "total": {"type": "integer"}}}, errors=(401, 404))
def evidence_list(case_id: int, query: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.evidence.list")
    items = visible_evidence(case, require_user())
    start = (query["page"] - 1) * query["per_page"]
    return jsonify({"items": [evidence_json(e) for e in items[start:start + query["per_page"]]],
                    "total": len(items)})


@endpoint("/evidence/<int:evidence_id>/content", summary="The file, as an attachment",
          produces="application/octet-stream", errors=(401, 404))
def evidence_content(evidence_id: int) -> Any:
    ev = policy.get_or_404(Evidence, evidence_id, "evidence.view")
    return content_response(ev, inline=False)


@endpoint("/evidence/<int:evidence_id>/withdraw", "POST", summary="Withdraw an item (the bytes are kept)",
          body=Obj({"reason": Str(required=False, nullable=True, max_len=2000)}), response=EVIDENCE_OUT,
          errors=(400, 401, 403, 404, 409))
def evidence_withdraw(evidence_id: int, body: dict[str, Any]) -> Any:
    ev = policy.get_or_404(Evidence, evidence_id, "evidence.withdraw")
    return jsonify(evidence_json(withdraw_evidence(ev, require_user(), body.get("reason"))))
