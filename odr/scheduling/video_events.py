"""Room events reported by the media server, onto the case timeline and the session.

The media server knows people only by the claims of the room token the app signed; it
reports what happened (someone joined, was admitted, a caucus began, recording started,
the room ended) in signed callbacks. Here each event becomes an audit event on the case
— the timeline is built from them — and moves the session to ``live`` on the first
arrival and to ``ended`` when the room closes. The callback's signature is checked by
the view before anything here runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from mediation import protocol
from odr.accounts.models import User
from odr.audit.services import record
from odr.core.errors import BadInput, NotFound
from odr.core.time import iso, now
from odr.extensions import db
from odr.scheduling.models import MediationSession

#: media event → audit action (the case timeline shows these)
ACTIONS = {
    protocol.EVENT_PARTICIPANT_JOINED: "session.participant_joined",
    protocol.EVENT_PARTICIPANT_LEFT: "session.participant_left",
    protocol.EVENT_ADMITTED: "session.participant_admitted",
    protocol.EVENT_CAUCUS_STARTED: "session.caucus_started",
    protocol.EVENT_CAUCUS_ENDED: "session.caucus_ended",
    protocol.EVENT_RECORDING_STARTED: "session.recording_started",
    protocol.EVENT_RECORDING_STOPPED: "session.recording_stopped",
    protocol.EVENT_ROOM_ENDED: "session.room_ended",
}
#: Labels for the timeline, for whoever renders it.
LABELS = {
    "session.participant_joined": _l("joined the video session"),
    "session.participant_left": _l("left the video session"),
    "session.participant_admitted": _l("was admitted from the lobby"),
    "session.caucus_started": _l("Private caucus started"),
    "session.caucus_ended": _l("Private caucus ended"),
    "session.recording_started": _l("Recording started"),
    "session.recording_stopped": _l("Recording stopped"),
    "session.room_ended": _l("The video session ended"),
    "session.live": _l("The session started"),
    "session.ended": _l("The session ended"),
    "session.recording_consent": _l("consented to recording"),
    "session.recording_consent_withdrawn": _l("withdrew consent to recording"),
    "session.recording_stored": _l("The recording was added to the case file"),
    "minutes.create": _l("Minutes written"),
    "minutes.update": _l("Minutes edited"),
    "minutes.supersede": _l("Minutes replaced by a new version"),
    "minutes.confirm": _l("confirmed the minutes"),
    "minutes.confirmed": _l("The minutes were confirmed by every party"),
}
#: Fields of an event kept on the timeline (nothing else the body may carry).
_KEEP = ("participant_id", "user_id", "display_name", "role", "side", "by", "participant_ids",
         "user_ids", "reason", "file", "at")


def _id(value: Any) -> int | None:
    """Ids in callbacks are what the app put in the token: integers, maybe as strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 19:
        return int(value.strip())
    return None


def _moment(value: Any) -> datetime:
    """The event's own time if it is sane, else now (the callback may arrive late)."""
    if isinstance(value, str):
        try:
            moment = protocol.parse_iso(value)
        except ValueError:
            return now()
        current = now()
        return moment if moment <= current else current
    return now()


def load_session(payload: dict[str, Any]) -> MediationSession:
    """The session an event is about; its case must match what the token said."""
    session_id = _id(payload.get("session_id"))
    session = db.session.get(MediationSession, session_id) if session_id is not None else None
    if session is None:
        raise NotFound(_l("No such session."), code="unknown_session")
    case_id = payload.get("case_id")
    if case_id is not None and _id(case_id) != session.case_id:
        raise BadInput(_l("The event's case does not match the session."), code="case_mismatch")
    return session


def apply_event(payload: Any) -> MediationSession:
    """Record one room event on the timeline and move the session's status; commit."""
    if not isinstance(payload, dict):
        raise BadInput(_l("An event is a JSON object."), code="bad_event")
    event = payload.get("event")
    if event not in ACTIONS:
        raise BadInput(_l("Unknown room event."), code="unknown_event")
    session = load_session(payload)
    user_id = _id(payload.get("user_id"))
    by_id = _id(payload.get("by"))
    actor = db.session.get(User, by_id if event == protocol.EVENT_ADMITTED and by_id else user_id) \
        if (user_id or by_id) else None
    details = {k: payload[k] for k in _KEEP if k in payload}
    record(ACTIONS[event], session, actor=actor, after=details)
    moment = _moment(payload.get("at"))
    if event == protocol.EVENT_ROOM_ENDED:
        if session.status in ("booked", "live"):
            before = {"status": session.status}
            session.status = "ended"
            session.ended_at = moment
            session.started_at = session.started_at or moment
            record("session.ended", session, before=before,
                   after={"status": "ended", "ended_at": iso(moment), "reason": payload.get("reason")})
    elif session.status == "booked" and event == protocol.EVENT_PARTICIPANT_JOINED:
        session.status = "live"
        session.started_at = moment
        record("session.live", session, before={"status": "booked"},
               after={"status": "live", "started_at": iso(moment)})
    db.session.commit()
    return session
