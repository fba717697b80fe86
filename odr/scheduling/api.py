"""Session booking over the API (API.md): propose, accept, cancel, reschedule, list, .ics."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.api.conventions import created, require_user
from odr.api.registry import endpoint
from odr.api.schema import Int, List, Obj, Str
from odr.cases.models import Case
from odr.core.errors import BadInput
from odr.core.time import iso
from odr.extensions import db
from odr.scheduling import booking
from odr.scheduling.deadlines import case_deadlines
from odr.scheduling.ics import build_ics
from odr.scheduling.models import MediationSession

SESSION_OUT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "starts_at": {"type": "string"},
    "ends_at": {"type": "string"}, "status": {"type": "string",
                                              "enum": ["proposed", "booked", "live", "ended", "cancelled"]},
    "kind": {"type": "string", "enum": ["mediation", "hearing"]},
    "sequence": {"type": "integer"}, "proposal_group": {"type": ["string", "null"]},
    "cancel_reason": {"type": ["string", "null"]},
    "attendees": {"type": "array", "items": {"type": "object", "properties": {
        "user_id": {"type": "integer"}, "role": {"type": "string"},
        "accepted": {"type": "boolean"}}}}}}
SLOT = Obj({"starts_at": Str(max_len=40, description="ISO 8601 with offset"),
            "duration_minutes": Int(required=False, minimum=1, maximum=24 * 60, default=60)})
DEADLINE_OUT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "due_at": {"type": "string"},
    "status": {"type": "string"}, "extended_count": {"type": "integer"}}}


def session_json(s: MediationSession) -> dict[str, Any]:
    return {"id": s.id, "case_id": s.case_id, "starts_at": iso(s.starts_at), "ends_at": iso(s.ends_at),
            "status": s.status, "kind": s.kind, "sequence": s.sequence, "proposal_group": s.proposal_group,
            "cancel_reason": s.cancel_reason,
            "attendees": [{"user_id": a.user_id, "role": a.role, "accepted": a.accepted_at is not None}
                          for a in s.attendees]}


def _session_and_case(session_id: int, action: str) -> tuple[MediationSession, Case]:
    session = policy.get_or_404(MediationSession, session_id, action)
    return session, db.session.get(Case, session.case_id)


@endpoint("/cases/<int:case_id>/sessions", "POST", status=201, summary="Propose session times (mediator)",
          body=Obj({"starts_at": Str(required=False, max_len=40, description="ISO 8601 with offset"),
                    "duration_minutes": Int(required=False, minimum=1, maximum=24 * 60, default=60),
                    "slots": List(SLOT, required=False, min_items=1, max_items=3)}),
          response=SESSION_OUT, errors=(400, 403, 404, 409, 422))
def sessions_propose(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.sessions.propose")
    slots = body.get("slots") or ([{"starts_at": body["starts_at"], "duration_minutes": body.get("duration_minutes")}]
                                  if body.get("starts_at") else [])
    if not slots:
        raise BadInput(_l("Give at least one time."), fields={"starts_at": _l("This field is required.")})
    sessions = booking.propose(case, require_user(), slots)
    out = session_json(sessions[0])
    if len(sessions) > 1:
        out["proposals"] = [session_json(s) for s in sessions]
    return created(out)


@endpoint("/cases/<int:case_id>/sessions", summary="The case's sessions",
          response={"type": "object", "properties": {"items": {"type": "array", "items": SESSION_OUT},
                                                     "total": {"type": "integer"}}})
def sessions_list(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.sessions.list")
    items = [session_json(s) for s in booking.case_sessions(case)]
    return jsonify({"items": items, "total": len(items)})


@endpoint("/sessions/<int:session_id>/accept", "POST", summary="Accept a proposed time (party)",
          response=SESSION_OUT, errors=(403, 404, 409, 422))
def sessions_accept(session_id: int) -> Any:
    session, case = _session_and_case(session_id, "session.accept")
    return jsonify(session_json(booking.accept(session, case, require_user())))


@endpoint("/sessions/<int:session_id>/cancel", "POST", summary="Cancel a session with a reason",
          body=Obj({"reason": Str(max_len=2000)}), response=SESSION_OUT, errors=(400, 403, 404, 409))
def sessions_cancel(session_id: int, body: dict[str, Any]) -> Any:
    session, case = _session_and_case(session_id, "session.cancel")
    return jsonify(session_json(booking.cancel(session, case, require_user(), body["reason"])))


@endpoint("/sessions/<int:session_id>/reschedule", "POST", summary="Move a booked session (mediator)",
          body=Obj({"starts_at": Str(max_len=40), "duration_minutes": Int(minimum=1, maximum=24 * 60),
                    "reason": Str(max_len=2000)}), response=SESSION_OUT, errors=(400, 403, 404, 409, 422))
def sessions_reschedule(session_id: int, body: dict[str, Any]) -> Any:
    session, case = _session_and_case(session_id, "session.manage")
    return jsonify(session_json(booking.reschedule(session, case, require_user(), body["starts_at"],
                                                   body["duration_minutes"], body["reason"])))


@endpoint("/sessions/<int:session_id>.ics", summary="The session as an iCalendar event",
          produces="text/calendar")
def sessions_ics(session_id: int) -> Any:
    session, case = _session_and_case(session_id, "session.ics")
    method = "CANCEL" if session.status == "cancelled" else "REQUEST"
    return Response(build_ics(session, case, method=method), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="session-{session.id}.ics"'})


@endpoint("/cases/<int:case_id>/deadlines", summary="The case's deadlines, soonest first",
          response={"type": "object", "properties": {"items": {"type": "array", "items": DEADLINE_OUT},
                                                     "total": {"type": "integer"}}})
def deadlines_list(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.view")
    items = [{"id": d.id, "kind": d.kind, "due_at": iso(d.due_at), "status": d.status,
              "extended_count": d.extended_count} for d in case_deadlines(case)]
    return jsonify({"items": items, "total": len(items)})
