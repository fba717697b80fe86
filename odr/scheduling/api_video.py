"""POST /sessions/{id}/join (API.md "Media signaling") and the session minutes.

Joining hands out a short-lived room token for the media server; the rules (who, when,
as what) live in odr.scheduling.video_room. Minutes endpoints mirror the web pages so an
integration can do what a person can (API.md conventions).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from odr.accounts import policy
from odr.api.conventions import require_user
from odr.api.registry import endpoint
from odr.api.schema import Bool, Obj, Str
from odr.cases.models import Case
from odr.core.time import iso
from odr.extensions import db
from odr.scheduling import minutes as minutes_service
from odr.scheduling import video_room
from odr.scheduling.models import MediationSession, Minutes

JOIN_OUT = {"type": "object", "required": ["room_token", "signaling_url", "ice_servers"], "properties": {
    "room_token": {"type": "string"}, "signaling_url": {"type": "string"},
    "ice_servers": {"type": "array", "items": {"type": "object"}}}}
MINUTES_OUT = {"type": "object", "required": ["id", "version", "status", "body"], "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "session_id": {"type": ["integer", "null"]},
    "version": {"type": "integer"},
    "status": {"type": "string", "enum": ["draft", "confirming", "confirmed", "superseded"]},
    "body": {"type": "string"}, "author_id": {"type": "integer"},
    "confirmed_at": {"type": ["string", "null"]}, "created_at": {"type": ["string", "null"]},
    "confirmations": {"type": "array", "items": {"type": "object", "properties": {
        "party_id": {"type": "integer"}, "side": {"type": "string"}, "name": {"type": "string"},
        "user_id": {"type": ["integer", "null"]}, "confirmed_at": {"type": ["string", "null"]}}}}}}


def minutes_json(m: Minutes) -> dict[str, Any]:
    return {"id": m.id, "case_id": m.case_id, "session_id": m.session_id, "version": m.version,
            "status": m.status, "body": m.body, "author_id": m.author_id,
            "confirmed_at": iso(m.confirmed_at), "created_at": iso(m.created_at),
            "confirmations": [{"party_id": s.party.id, "side": s.party.side, "name": s.party.name,
                               "user_id": s.user_id, "confirmed_at": iso(s.confirmed_at)}
                              for s in minutes_service.party_confirmations(m)]}


@endpoint("/sessions/<int:session_id>/join", "POST", summary="Join a session's video room: a room token for the media server",
          tags=["scheduling"], response=JOIN_OUT, errors=(401, 403, 404, 409, 422))
def video_join_session(session_id: int) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "session.join")
    return jsonify(video_room.join(session, require_user()))


@endpoint("/sessions/<int:session_id>/minutes", "GET", summary="Every version of a session's minutes, newest first",
          tags=["scheduling"], response={"type": "object", "properties": {
              "items": {"type": "array", "items": MINUTES_OUT}, "total": {"type": "integer"}}},
          errors=(401, 404))
def video_minutes_list(session_id: int) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "minutes.view")
    case = db.session.get(Case, session.case_id)
    writer = policy.can(require_user(), "session.minutes.write", session)
    items = [minutes_json(m) for m in minutes_service.versions(case, session)
             if writer or m.status != minutes_service.DRAFT]  # a draft is the writer's until shared
    return jsonify({"items": items, "total": len(items)})


@endpoint("/sessions/<int:session_id>/minutes", "PUT",
          summary="Write the session minutes (the mediator; in a court hearing the presiding judge or "
                  "seated clerk); submit asks the parties to confirm",
          tags=["scheduling"], body=Obj({"body": Str(max_len=minutes_service.MAX_BODY),
                                          "submit": Bool(required=False, default=False)}),
          response=MINUTES_OUT, errors=(400, 401, 403, 404, 409))
def video_minutes_save(session_id: int, body: dict[str, Any]) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "session.minutes.write")
    case = db.session.get(Case, session.case_id)
    saved = minutes_service.save_minutes(case, session, require_user(), body["body"], submit=body["submit"])
    return jsonify(minutes_json(saved))


@endpoint("/minutes/<int:minutes_id>/confirm", "POST", summary="Confirm this version of the minutes (party or agent)",
          tags=["scheduling"], response=MINUTES_OUT, errors=(401, 403, 404, 409))
def video_minutes_confirm(minutes_id: int) -> Any:
    minutes = policy.get_or_404(Minutes, minutes_id, "minutes.confirm")
    return jsonify(minutes_json(minutes_service.confirm_minutes(minutes, require_user())))
