"""/cases, their intake transitions, and /invitations/{token}/claim (API.md)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from odr.accounts import policy
from odr.api.conventions import created, page, paging_query, require_user
from odr.api.registry import endpoint
from odr.api.schema import Int, List, Money, Obj, Str
from odr.cases import services
from odr.cases.lifecycle import STATUSES
from odr.cases.models import Case, Category, Source
from odr.cases.serialize import case_events, case_json, cases_json, event_json

_AGENT = Obj({"name": Str(max_len=100), "id_number": Str(required=False, nullable=True, max_len=18),
              "phone": Str(required=False, nullable=True, max_len=20)})
_PARTY = Obj({"kind": Str(enum=("person", "organization")), "name": Str(max_len=120),
              "id_number": Str(required=False, nullable=True, max_len=18),
              "phone": Str(required=False, nullable=True, max_len=20),
              "email": Str(required=False, nullable=True, max_len=254),
              "credit_code": Str(required=False, nullable=True, max_len=18),
              "legal_representative": Str(required=False, nullable=True, max_len=100),
              "address": Str(required=False, nullable=True, max_len=200),
              "agent": Obj(_AGENT.fields, required=False, nullable=True)})
_CLAIM = Obj({"description": Str(max_len=4000), "amount": Money(required=False, nullable=True)})
_CASE_FIELDS = {
    "category": Str(enum=Category.ALL), "facts": Str(max_len=20000),
    "claims": List(_CLAIM, max_items=30), "respondents": List(_PARTY, max_items=20),
    "applicants": List(_PARTY, required=False, max_items=20),
    "organization_id": Int(required=False, nullable=True, minimum=1),
    "mediator_id": Int(required=False, nullable=True, minimum=1),
    "source": Str(required=False, enum=Source.ALL),
    "region_code": Str(required=False, nullable=True, max_len=12, pattern=r"\d{6,12}"),
    "court_case_number": Str(required=False, nullable=True, max_len=64),
}


def _optional(field: Any) -> Any:
    """The same field, not required (PATCH sends only what changed)."""
    import copy

    clone = copy.copy(field)
    clone.required = False
    return clone


_PARTY_OUT = {"type": "object", "required": ["id", "side", "kind", "name"],
              "properties": {"id": {"type": "integer"}, "side": {"type": "string"}, "kind": {"type": "string"},
                             "name": {"type": "string"}, "consent": {"type": "string"}}}
CASE_OUT = {"type": "object",
            "required": ["id", "number", "status", "category", "facts", "claims", "parties",
                         "organization_id", "mediator_id", "deadlines", "created_at"],
            "properties": {"id": {"type": "integer"}, "number": {"type": ["string", "null"]},
                           "status": {"type": "string", "enum": list(STATUSES)},
                           "category": {"type": "string"}, "facts": {"type": "string"},
                           "source": {"type": "string"},
                           "claims": {"type": "array", "items": {"type": "object", "properties": {
                               "id": {"type": "integer"}, "description": {"type": "string"},
                               "amount": {"type": ["string", "null"]}}}},
                           "parties": {"type": "array", "items": _PARTY_OUT},
                           "organization_id": {"type": ["integer", "null"]},
                           "mediator_id": {"type": ["integer", "null"]},
                           "deadlines": {"type": "array", "items": {"type": "object"}},
                           "created_at": {"type": "string", "format": "date-time"}}}
LIST_OUT = {"type": "object", "required": ["items", "total"],
            "properties": {"items": {"type": "array", "items": CASE_OUT}, "total": {"type": "integer"}}}
_ERRS = (400, 401, 403, 404, 409)


def _case(case_id: int, action: str) -> Case:
    return policy.get_or_404(Case, case_id, action)


def _out(case: Case) -> Any:
    return jsonify(case_json(case, require_user()))


@endpoint("/cases", "POST", summary="File a mediation application (or divert a lawsuit)", status=201,
          body=Obj(_CASE_FIELDS), response=CASE_OUT, errors=(400, 401, 403))
def cases_create(body: dict[str, Any]) -> Any:
    policy.authorize("case.create")
    user = require_user()
    return created(case_json(services.create_case(user, body), user))


@endpoint("/cases", summary="Cases visible to the caller",
          query=paging_query(status=Str(required=False, enum=STATUSES)), response=LIST_OUT)
def cases_list(query: dict[str, Any]) -> Any:
    policy.authorize("account.use")
    user = require_user()
    q = policy.visible_cases(user).order_by(Case.id.desc())
    if query.get("status"):
        q = q.where(Case.status == query["status"])
    return page(q, query, serialize_all=lambda cases: cases_json(cases, user))


@endpoint("/cases/<int:case_id>", summary="One case", response=CASE_OUT, errors=(401, 404))
def cases_get(case_id: int) -> Any:
    return _out(_case(case_id, "case.view"))


@endpoint("/cases/<int:case_id>", "PATCH", summary="Edit a draft (any subset of the fields of POST /cases)",
          body=Obj({k: _optional(v) for k, v in _CASE_FIELDS.items() if k != "source"}),
          response=CASE_OUT, errors=_ERRS)
def cases_update(case_id: int, body: dict[str, Any]) -> Any:
    case = _case(case_id, "case.edit")
    return _out(services.update_draft(case, require_user(), body))


@endpoint("/cases/<int:case_id>/submit", "POST", summary="Submit a draft (draft → submitted)",
          response=CASE_OUT, errors=_ERRS)
def cases_submit(case_id: int) -> Any:
    case = _case(case_id, "case.submit")
    return _out(services.submit_case(case, require_user()))


@endpoint("/cases/<int:case_id>/withdraw", "POST", summary="Withdraw the application",
          body=Obj({"reason": Str(required=False, nullable=True, max_len=2000)}), response=CASE_OUT, errors=_ERRS)
def cases_withdraw(case_id: int, body: dict[str, Any]) -> Any:
    case = _case(case_id, "case.withdraw")
    return _out(services.withdraw_case(case, require_user(), body.get("reason")))


@endpoint("/cases/<int:case_id>/fail", "POST", summary="End the mediation as failed (调解不成)",
          body=Obj({"reason": Str(max_len=4000),
                    "conduct": Str(required=False, nullable=True, max_len=4000,
                                   description="conduct that raised the other side's costs (E §21)")}),
          response=CASE_OUT, errors=_ERRS)
def cases_fail(case_id: int, body: dict[str, Any]) -> Any:
    case = _case(case_id, "case.fail")
    return _out(services.fail_case(case, require_user(), body["reason"], body.get("conduct")))


@endpoint("/cases/<int:case_id>/accept", "POST", summary="Accept the case (受理); respondents are invited",
          response=CASE_OUT, errors=_ERRS)
def cases_accept(case_id: int) -> Any:
    case = _case(case_id, "case.accept")
    return _out(services.accept_case(case, require_user()))


@endpoint("/cases/<int:case_id>/reject", "POST", summary="Do not accept the case (不予受理)",
          body=Obj({"reason": Str(max_len=2000)}), response=CASE_OUT, errors=_ERRS)
def cases_reject(case_id: int, body: dict[str, Any]) -> Any:
    case = _case(case_id, "case.reject")
    return _out(services.reject_case(case, require_user(), body["reason"]))


@endpoint("/cases/<int:case_id>/transfer", "POST", summary="Transfer a submitted case to another organization",
          body=Obj({"organization_id": Int(minimum=1), "reason": Str(max_len=2000)}),
          response=CASE_OUT, errors=_ERRS)
def cases_transfer(case_id: int, body: dict[str, Any]) -> Any:
    case = _case(case_id, "case.transfer")
    return _out(services.transfer_case(case, require_user(), body["organization_id"], body["reason"]))


@endpoint("/cases/<int:case_id>/respond", "POST", summary="A respondent agrees to or declines mediation",
          body=Obj({"decision": Str(enum=("accept", "decline")),
                    "statement": Str(required=False, nullable=True, max_len=20000)}),
          response=CASE_OUT, errors=_ERRS)
def cases_respond(case_id: int, body: dict[str, Any]) -> Any:
    case = _case(case_id, "case.respond")
    return _out(services.respond(case, require_user(), body["decision"], body.get("statement")))


@endpoint("/cases/<int:case_id>/events", summary="The case's audit trail", query=paging_query(),
          response={"type": "object", "required": ["items", "total"],
                    "properties": {"items": {"type": "array", "items": {"type": "object"}},
                                   "total": {"type": "integer"}}}, errors=(401, 404))
def cases_events(case_id: int, query: dict[str, Any]) -> Any:
    case = _case(case_id, "case.events")
    events = case_events(case)
    start = (query["page"] - 1) * query["per_page"]
    return jsonify({"items": [event_json(e) for e in events[start:start + query["per_page"]]],
                    "total": len(events)})


@endpoint("/invitations/<token>/claim", "POST", summary="Claim a respondent's invitation link",
          response={"type": "object", "required": ["case_id", "party_id"],
                    "properties": {"case_id": {"type": "integer"}, "party_id": {"type": "integer"},
                                   "side": {"type": "string"}}}, errors=(401, 404, 409, 422))
def invitations_claim(token: str) -> Any:
    policy.authorize("invitation.claim")
    party = services.claim_invitation(token, require_user())
    return jsonify({"case_id": party.case_id, "party_id": party.id, "side": party.side})
