"""/cases/{id}/confirmation and /confirmations… (API.md, judicial confirmation)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from odr.accounts import policy
from odr.accounts.models import Role
from odr.api.conventions import created, page, paging_query, require_user
from odr.api.registry import endpoint
from odr.api.schema import Date, Int, List, Obj, Str
from odr.cases.models import Case
from odr.confirmation import hearing, rules, services
from odr.confirmation.models import ConfirmationApplication
from odr.confirmation.queries import APPLICATION_OUT, application_json, court_query
from odr.core.errors import Forbidden
from odr.scheduling.api import SESSION_OUT, session_json


def _app(app_id: int, action: str) -> ConfirmationApplication:
    return policy.get_or_404(ConfirmationApplication, app_id, action)


@endpoint("/cases/<int:case_id>/confirmation", "POST", summary="Consent to apply jointly for judicial confirmation",
          body=Obj({"court_id": Int(required=False, nullable=True, minimum=1,
                                    description="one of the lawful courts; default: the competent court")}),
          response=APPLICATION_OUT, errors=(403, 404, 409, 422))
def confirmation_consent(case_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    case = policy.get_or_404(Case, case_id, "case.confirmation.consent")
    application = services.consent(case, actor, court_id=body.get("court_id"))
    return jsonify(application_json(application))


@endpoint("/confirmations", "GET", summary="Confirmation applications at the caller's court",
          query=paging_query(status=Str(required=False, enum=rules.STATUSES)),
          response={"type": "object", "properties": {"items": {"type": "array", "items": APPLICATION_OUT},
                                                     "total": {"type": "integer"}}})
def confirmations_list(query: dict[str, Any]) -> Any:
    actor = require_user()
    policy.authorize("court.queue")
    if actor.role not in Role.COURT or actor.court_id is None:
        raise Forbidden()
    return page(court_query(actor.court_id, query.get("status")), query, application_json)


@endpoint("/confirmations/<int:app_id>", "GET", summary="One confirmation application", response=APPLICATION_OUT)
def confirmations_get(app_id: int) -> Any:
    require_user()
    return jsonify(application_json(_app(app_id, "confirmation.view")))


@endpoint("/confirmations/<int:app_id>/accept", "POST", summary="Accept (受理) the application",
          response=APPLICATION_OUT, errors=(403, 404, 409))
def confirmations_accept(app_id: int) -> Any:
    actor = require_user()
    return jsonify(application_json(services.accept(_app(app_id, "confirmation.accept"), actor)))


@endpoint("/confirmations/<int:app_id>/not-accept", "POST", summary="Do not accept (不予受理), with the reason",
          body=Obj({"reason": Str(max_len=4000)}), response=APPLICATION_OUT, errors=(403, 404, 409))
def confirmations_not_accept(app_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    application = _app(app_id, "confirmation.not_accept")
    return jsonify(application_json(services.not_accept(application, actor, body["reason"])))


@endpoint("/confirmations/<int:app_id>/request-materials", "POST", summary="Ask the parties for more materials",
          body=Obj({"description": Str(max_len=4000), "due_date": Date()}), response=APPLICATION_OUT,
          errors=(403, 404, 409))
def confirmations_request_materials(app_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    application = _app(app_id, "confirmation.request_materials")
    return jsonify(application_json(services.request_materials(application, actor, body["description"],
                                                               body["due_date"])))


@endpoint("/confirmations/<int:app_id>/materials", "POST", summary="Parties: say the requested materials are supplied",
          body=Obj({"note": Str(max_len=4000)}), response=APPLICATION_OUT, errors=(403, 404, 409))
def confirmations_supply(app_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    application = _app(app_id, "confirmation.view")
    policy.authorize("case.confirmation.consent", application.case)
    return jsonify(application_json(services.supply_materials(application, actor, body["note"])))


@endpoint("/confirmations/<int:app_id>/assign", "POST", summary="Assign the reviewing judge",
          body=Obj({"judge_id": Int(minimum=1)}), response=APPLICATION_OUT, errors=(403, 404, 409))
def confirmations_assign(app_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    application = _app(app_id, "confirmation.assign")
    return jsonify(application_json(services.assign_judge(application, actor, body["judge_id"])))


@endpoint("/confirmations/<int:app_id>/rule", "POST", summary="Rule: confirm valid or reject on lawful grounds",
          body=Obj({"decision": Str(enum=("confirm", "reject")),
                    "grounds": List(Str(enum=rules.GROUND_KEYS), required=False, max_items=6,
                                    description="C §358 grounds; required for a rejection"),
                    "reason": Str(required=False, nullable=True, max_len=4000)}),
          response=APPLICATION_OUT, errors=(403, 404, 409))
def confirmations_rule(app_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    application = _app(app_id, "confirmation.rule")
    ruled = services.rule(application, actor, body["decision"], body.get("grounds") or [], body.get("reason"))
    return jsonify(application_json(ruled))


@endpoint("/confirmations/<int:app_id>/withdraw", "POST", summary="Parties: withdraw before the ruling",
          body=Obj({"reason": Str(required=False, nullable=True, max_len=2000)}), response=APPLICATION_OUT,
          errors=(403, 404, 409))
def confirmations_withdraw(app_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    application = _app(app_id, "confirmation.withdraw")
    return jsonify(application_json(services.withdraw(application, actor, body.get("reason"))))


@endpoint("/confirmations/<int:app_id>/hearing", "POST", status=201,
          summary="Court staff: propose a video hearing with the parties (they accept it like a session)",
          body=Obj({"starts_at": Str(max_len=40, description="ISO 8601 with offset, on a quarter hour"),
                    "duration_minutes": Int(required=False, minimum=15, maximum=24 * 60, default=60)}),
          response=SESSION_OUT, errors=(400, 403, 404, 409, 422))
def confirmations_hearing(app_id: int, body: dict[str, Any]) -> Any:
    actor = require_user()
    application = _app(app_id, "confirmation.hearing")
    session = hearing.schedule(application, actor, body["starts_at"], body.get("duration_minutes"))
    return created(session_json(session))
