"""API endpoints of the mediator pool on cases: assign (with candidates), booking,
disclosure, recusal, escalation and rating (API.md). Thin: parse, authorize, call a service."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from odr.accounts import policy
from odr.api.conventions import created, require_user
from odr.api.registry import endpoint
from odr.api.schema import Bool, Int, Obj, Str
from odr.cases import assignment, escalation, recusal
from odr.cases.models import Case
from odr.mediators.models import RecusalRequest
from odr.mediators.ratings import rate

PARTS = {"type": "object", "additionalProperties": {"type": "number"}}
ASSIGN_OUT = {"type": "object", "required": ["mediator_id", "score", "reasons"],
              "properties": {"mediator_id": {"type": "integer"}, "score": {"type": "number"},
                             "reasons": {"type": "array", "items": {"type": "string"}},
                             "parts": PARTS, "override": {"type": "boolean"}}}
CANDIDATE = {"type": "object", "required": ["mediator_id", "display_name", "score", "parts", "reasons"],
             "properties": {"mediator_id": {"type": "integer"}, "display_name": {"type": "string"},
                            "score": {"type": "number"}, "parts": PARTS,
                            "reasons": {"type": "array", "items": {"type": "string"}},
                            "active_cases": {"type": "integer"}, "max_cases": {"type": "integer"},
                            "full": {"type": "boolean"}, "next_free": {"type": ["string", "null"]},
                            "last_assigned_at": {"type": ["string", "null"]}}}
RECUSAL_OUT = {"type": "object", "required": ["id", "case_id", "mediator_id", "reason", "status"],
               "properties": {"id": {"type": "integer"}, "case_id": {"type": "integer"},
                              "mediator_id": {"type": "integer"}, "requested_by": {"type": "integer"},
                              "reason": {"type": "string"}, "status": {"type": "string"},
                              "decided_by": {"type": ["integer", "null"]},
                              "decision_note": {"type": ["string", "null"]},
                              "created_at": {"type": ["string", "null"]}}}
TRANSFER_OUT = {"type": "object", "required": ["id", "kind", "reason", "status", "organization_id"],
                "properties": {"id": {"type": "integer"}, "case_id": {"type": "integer"},
                               "kind": {"type": "string", "enum": ["escalation", "litigation"]},
                               "from_organization_id": {"type": ["integer", "null"]},
                               "to_organization_id": {"type": ["integer", "null"]},
                               "reason": {"type": "string"}, "status": {"type": "string"},
                               "organization_id": {"type": ["integer", "null"]},
                               "created_at": {"type": ["string", "null"]}}}


@endpoint("/cases/<int:case_id>/assign", "POST", summary="Assign a mediator (none given: the best match)",
          body=Obj({"mediator_id": Int(required=False, nullable=True, minimum=1),
                    "reason": Str(required=False, nullable=True, max_len=2000)}),
          response=ASSIGN_OUT, errors=(400, 403, 404, 409))
def pool_assign(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.assign")
    return jsonify(assignment.assign(case, require_user(), body.get("mediator_id"), body.get("reason")))


@endpoint("/cases/<int:case_id>/candidates", summary="Ranked mediator candidates with each score part",
          query=Obj({"include_full": Bool(required=False, default=False)}),
          response={"type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "items": CANDIDATE}}})
def pool_candidates(case_id: int, query: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.assign")
    return jsonify({"items": assignment.rank_candidates(case, include_full=bool(query.get("include_full")))})


@endpoint("/cases/<int:case_id>/booking", "POST", summary="Book a mediator or an organization (applicant)",
          body=Obj({"mediator_id": Int(required=False, nullable=True, minimum=1),
                    "organization_id": Int(required=False, nullable=True, minimum=1)}),
          response={"type": "object", "properties": {"organization_id": {"type": ["integer", "null"]},
                                                     "preferred_mediator_id": {"type": ["integer", "null"]}}})
def pool_book(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.edit")
    case = assignment.book(case, require_user(), body.get("mediator_id"), body.get("organization_id"))
    return jsonify({"organization_id": case.organization_id, "preferred_mediator_id": case.preferred_mediator_id})


@endpoint("/cases/<int:case_id>/booking/confirm", "POST", summary="The booked mediator or the admin confirms",
          response=ASSIGN_OUT)
def pool_confirm_booking(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.booking.confirm")
    return jsonify(assignment.confirm_booking(case, require_user()))


@endpoint("/cases/<int:case_id>/disclosure", "POST", summary="The mediator declares relations to the parties",
          status=201, body=Obj({"has_relation": Bool(), "description": Str(required=False, nullable=True,
                                                                           max_len=4000)}),
          response={"type": "object", "required": ["id", "has_relation"],
                    "properties": {"id": {"type": "integer"}, "has_relation": {"type": "boolean"},
                                   "description": {"type": ["string", "null"]}}})
def pool_disclose(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.disclose")
    row = recusal.disclose(case, require_user(), body["has_relation"], body.get("description"))
    return created({"id": row.id, "has_relation": row.has_relation, "description": row.description})


@endpoint("/cases/<int:case_id>/recusal", "POST", summary="Ask the mediator to withdraw (a mediator: withdraw)",
          status=201, body=Obj({"reason": Str(max_len=4000)}), response=RECUSAL_OUT)
def pool_recusal(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.recusal.request")
    return created(recusal.recusal_json(recusal.request_recusal(case, require_user(), body["reason"])))


@endpoint("/recusals/<int:request_id>/decide", "POST", summary="The organization admin decides a recusal request",
          body=Obj({"decision": Str(enum=("grant", "refuse")), "note": Str(required=False, nullable=True,
                                                                            max_len=4000),
                    "mediator_id": Int(required=False, nullable=True, minimum=1)}),
          response={"type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string"}, "assignment": {"type": ["object", "null"]},
                                   "assignment_error": {"type": "string"}}})
def pool_decide_recusal(request_id: int, body: dict[str, Any]) -> Any:
    req = policy.get_or_404(RecusalRequest, request_id, "case.recusal.decide")
    return jsonify(recusal.decide_recusal(req, require_user(), body["decision"] == "grant", body.get("note"),
                                          body.get("mediator_id")))


@endpoint("/cases/<int:case_id>/escalate", "POST", summary="Escalate to the parent organization",
          body=Obj({"reason": Str(max_len=4000)}), response=TRANSFER_OUT)
def pool_escalate(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.escalate")
    transfer = escalation.escalate(case, require_user(), body["reason"])
    return jsonify({**escalation.transfer_json(transfer), "status": case.status,
                    "organization_id": case.organization_id})


@endpoint("/cases/<int:case_id>/rating", "POST", summary="Rate the mediator 1–5 after the case ended (party)",
          status=201, body=Obj({"score": Int(minimum=1, maximum=5),
                                "comment": Str(required=False, nullable=True, max_len=2000)}),
          response={"type": "object", "required": ["id", "score"],
                    "properties": {"id": {"type": "integer"}, "score": {"type": "integer"}}})
def pool_rate(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.rate")
    row = rate(case, require_user(), body["score"], body.get("comment"))
    return created({"id": row.id, "score": row.score})
