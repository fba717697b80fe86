"""Extending the mediation period over the API: the mediator asks, each party answers."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from odr.accounts import policy
from odr.api.conventions import created, require_user
from odr.api.registry import endpoint
from odr.api.schema import Bool, Obj, Str
from odr.cases.models import Case
from odr.core.time import iso
from odr.extensions import db
from odr.scheduling import extension
from odr.scheduling.models import ExtensionRequest

EXTENSION_OUT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "deadline_id": {"type": "integer"},
    "status": {"type": "string", "enum": ["pending", "applied", "refused", "lapsed"]},
    "days": {"type": "integer"}, "due_date": {"type": "string", "description": "new last day (Asia/Shanghai)"},
    "reason": {"type": "string"}, "requested_by": {"type": "integer"},
    "consented_party_ids": {"type": "array", "items": {"type": "integer"}},
    "created_at": {"type": ["string", "null"]}}}


def extension_json(req: ExtensionRequest, case: Case) -> dict[str, Any]:
    return {"id": req.id, "case_id": req.case_id, "deadline_id": req.deadline_id, "status": req.status,
            "days": req.days, "due_date": extension.new_due_date(req).isoformat(), "reason": req.reason,
            "requested_by": req.requested_by_id,
            "consented_party_ids": sorted(extension.consented_parties(case, req)),
            "created_at": iso(req.created_at)}


@endpoint("/cases/<int:case_id>/extension", "POST", status=201,
          summary="Ask the parties to extend the mediation period (mediator)",
          body=Obj({"due_date": Str(max_len=10, description="new last day, YYYY-MM-DD (Asia/Shanghai)"),
                    "reason": Str(max_len=2000)}),
          response=EXTENSION_OUT, errors=(400, 403, 404, 409, 422))
def extension_request(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.extend")
    req = extension.request_extension(case, require_user(), body["due_date"], body["reason"])
    return created(extension_json(req, case))


@endpoint("/cases/<int:case_id>/extensions", summary="The case's extension requests, newest first",
          response={"type": "object", "properties": {"items": {"type": "array", "items": EXTENSION_OUT},
                                                     "total": {"type": "integer"}}})
def extension_list(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.view")
    items = [extension_json(r, case) for r in extension.case_requests(case)]
    return jsonify({"items": items, "total": len(items)})


@endpoint("/extensions/<int:request_id>/consent", "POST", summary="Consent to or refuse an extension (party)",
          body=Obj({"consent": Bool()}), response=EXTENSION_OUT, errors=(400, 403, 404, 409))
def extension_consent(request_id: int, body: dict[str, Any]) -> Any:
    req = policy.get_or_404(ExtensionRequest, request_id, "case.extend.consent")
    case = db.session.get(Case, req.case_id)
    return jsonify(extension_json(extension.answer(req, case, require_user(), bool(body["consent"])), case))
