"""Who may enter a session's video room, when, and in which capacity; recording consent.

The media server never reads the database: it trusts only the signed room token minted
here (mediation.protocol, the one module odr/ imports from mediation/). So every rule
about entering a room lives in this module — the session's status, the time window,
and the role and side the token vouches for — and the token is short-lived: it only has
to survive until the browser has sent its offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from mediation.protocol import sign_room_token
from odr.accounts import policy
from odr.accounts.models import Role
from odr.audit.services import record
from odr.cases.models import Case
from odr.core.errors import Conflict, Forbidden, RuleBroken
from odr.core.time import ensure_aware, iso, now
from odr.extensions import db
from odr.scheduling.hearings import HEARING
from odr.scheduling.models import MediationSession, SessionAttendee

#: How early before the booked start people may come in (lobby, camera check).
JOIN_EARLY = timedelta(minutes=15)
#: Matches the media server's default grace (ODR_MEDIA_GRACE_SECONDS): the room stays
#: open this long after the booked end, so a session that runs over is not cut off.
DEFAULT_GRACE_SECONDS = 15 * 60
#: Long enough to send an offer; a reconnect asks for a fresh token.
TOKEN_TTL_SECONDS = 300
JOINABLE_STATUSES = ("booked", "live")


@dataclass(frozen=True)
class RoomSeat:
    """The capacity in which one user enters one room (the token's role and side)."""

    role: str
    side: str | None


def grace() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("MEDIA_GRACE_SECONDS", DEFAULT_GRACE_SECONDS)))


def join_window(session: MediationSession) -> tuple[datetime, datetime]:
    """From shortly before the booked start until the booked end plus the grace period."""
    return ensure_aware(session.starts_at) - JOIN_EARLY, ensure_aware(session.ends_at) + grace()


def session_case(session: MediationSession) -> Case:
    return db.session.get(Case, session.case_id)


def seat_for(user: Any, case: Case, kind: str | None = None) -> RoomSeat | None:
    """The user's seat from their relation to the case now (not from the booking), so an
    agent appointed after the booking can still come in; None for onlookers (admins).

    In a court hearing (``kind == "hearing"``) the token's role decides who hosts
    (``mediation.protocol.HOST_ROLES``), so only the application's presiding judge sits as
    "judge"; the rest of the reviewing court's staff, a second judge included, sit as
    "clerk", and staff of any other court have no seat. The seat follows a reassignment at
    once, because it is read from the application, not from the booking."""
    rel = policy.case_relations(user, case)
    if "mediator" in rel:
        return RoomSeat("mediator", None)
    if "party" in rel:
        return RoomSeat("party", "applicant" if "applicant" in rel else "respondent")
    if "agent" in rel:
        return RoomSeat("agent", "applicant" if "agent_applicant" in rel else "respondent")
    if "filer" in rel:
        return RoomSeat("party", "applicant")
    if "court" in rel and user.role in (Role.JUDGE, Role.CLERK):
        if kind != HEARING:
            return RoomSeat(user.role, None)
        if "presiding" in rel:
            return RoomSeat("judge", None)
        if "reviewing_court" in rel:
            return RoomSeat("clerk", None)
    return None


def check_can_enter(session: MediationSession, user: Any, at: datetime | None = None) -> RoomSeat:
    """Raise the clear reason why ``user`` cannot enter now; return their seat otherwise."""
    case = session_case(session)
    seat = seat_for(user, case, session.kind)
    if session.kind == HEARING and (seat is None or seat.role == "mediator"):
        # the court hears the parties (its own staff, not another court's); the mediator's
        # part ended with the agreement
        raise Forbidden(_l("A court hearing is for the court's staff, the parties and their agents."),
                        code="not_a_participant")
    if seat is None:
        raise Forbidden(_l("Only the mediator, the parties, their agents and the court's staff "
                           "take part in a session."), code="not_a_participant")
    if session.status not in JOINABLE_STATUSES:
        raise Conflict(_l("This session is %(status)s; only a booked session can be joined.",
                          status=session.status), code="session_not_joinable")
    moment = at or now()
    opens, closes = join_window(session)
    if moment < opens:
        raise RuleBroken(_l("The room opens %(n)d minutes before the session starts (at %(when)s).",
                            n=int(JOIN_EARLY.total_seconds() // 60), when=iso(opens)),
                         code="room_not_open_yet")
    if moment >= closes:
        raise RuleBroken(_l("This session's time is over; the room is closed."), code="room_closed")
    return seat


def join(session: MediationSession, user: Any) -> dict[str, Any]:
    """``{room_token, signaling_url, ice_servers}`` for one participant (API.md)."""
    seat = check_can_enter(session, user)
    cfg = current_app.config
    claims = {
        "session_id": session.id, "case_id": session.case_id, "user_id": user.id,
        "display_name": user.display_name or user.username, "role": seat.role, "side": seat.side,
        "room_ends_at": iso(session.ends_at), "kind": session.kind,
    }
    token = sign_room_token(cfg["MEDIA_SECRET"], claims, ttl_seconds=TOKEN_TTL_SECONDS,
                            now=now().timestamp())
    return {"room_token": token, "signaling_url": f"{cfg['MEDIA_URL'].rstrip('/')}/rooms/offer",
            "ice_servers": list(cfg.get("ICE_SERVERS") or [])}


def attendee(session: MediationSession, user: Any) -> SessionAttendee | None:
    return next((a for a in session.attendees if a.user_id == user.id), None)


def set_recording_consent(session: MediationSession, user: Any, consent: bool) -> SessionAttendee:
    """Record (or withdraw) one person's consent to recording, on the case timeline.

    The media server enforces consent in the room itself; this is the lasting record the
    law asks for (a recording stands in for minutes only with both sides' consent).
    """
    seat = seat_for(user, session_case(session), session.kind)
    if seat is None:
        raise Forbidden(_l("Only the session's participants give consent to recording."),
                        code="not_a_participant")
    if session.status in ("cancelled", "proposed"):
        raise Conflict(_l("This session is not booked."), code="session_not_joinable")
    row = attendee(session, user)
    if row is None:
        row = SessionAttendee(user_id=user.id, role=seat.role)
        session.attendees.append(row)
    before = iso(row.recording_consent_at)
    row.recording_consent_at = now() if consent else None
    db.session.flush()
    record("session.recording_consent" if consent else "session.recording_consent_withdrawn",
           session, actor=user, before={"recording_consent_at": before},
           after={"recording_consent_at": iso(row.recording_consent_at), "user_id": user.id})
    db.session.commit()
    return row
