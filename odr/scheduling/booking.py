"""Booking video sessions: propose 1–3 slots, parties accept, book without clashes.

A proposal is checked (zone given, future, within the mediator's weekly availability and
not during leave, not longer than SESSION_MAX_MINUTES, on a quarter hour). Booking takes
15-minute ``BusyBlock`` rows for every attendee; their unique constraint refuses a double
booking in the database even when two bookings race. Services commit; refusals raise
domain errors and leave nothing behind.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from odr.audit.services import record
from odr.core.errors import BadInput, Conflict, RuleBroken
from odr.core.time import DEFAULT_TZ, UTC, iso, now, parse_iso
from odr.extensions import db
from odr.mediators.models import AvailabilityException, AvailabilitySlot
from odr.scheduling.models import BusyBlock, MediationSession, SessionAttendee
from odr.scheduling.notices import tell_booked, tell_cancelled, tell_proposed, tell_rescheduled
from odr.scheduling.reminders import cancel_reminders, create_reminders

BLOCK = timedelta(minutes=15)
MAX_PROPOSALS = 3
BOOKABLE_CASE_STATUSES = ("accepted", "in_mediation", "settled")


def parse_start(value: Any, field: str = "starts_at") -> datetime:
    """ISO 8601 with an offset; a time without a zone is ambiguous and refused."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BadInput(_l("Give the time with its time zone."), code="time_zone_missing",
                           fields={field: _l("Give the time with its time zone (e.g. +08:00).")})
        return value.astimezone(UTC)
    try:
        return parse_iso(str(value))
    except ValueError:
        raise BadInput(_l("Give the time with its time zone."), code="time_zone_missing",
                       fields={field: _l("Give the time as ISO 8601 with its time zone (e.g. 2026-05-01T09:00+08:00).")}) from None


def blocks(starts_at: datetime, ends_at: datetime) -> list[datetime]:
    count = math.ceil((ends_at - starts_at) / BLOCK)
    return [starts_at + i * BLOCK for i in range(count)]


def validate_slot(mediator_id: int, starts_at: datetime, minutes: int, *, field: str = "starts_at",
                  ignore_session: int | None = None) -> datetime:
    """Refuse a slot clearly (400 for malformed, 422 for rule broken); return its end."""
    ends_at = check_time(starts_at, minutes, field=field)
    if not within_availability(mediator_id, starts_at, ends_at):
        raise RuleBroken(_l("This time is outside the mediator's availability."), code="outside_availability",
                         fields={field: _l("Choose a time within the mediator's availability.")})
    if clashes(mediator_id, starts_at, ends_at, ignore_session):
        raise Conflict(_l("The mediator already has a session at this time."), code="double_booking",
                       fields={field: _l("The mediator is busy at this time.")})
    return ends_at


def check_time(starts_at: datetime, minutes: int, *, field: str = "starts_at") -> datetime:
    """Length, quarter hour, future: the checks every session shares (hearings included); its end."""
    max_minutes = int(current_app.config["SESSION_MAX_MINUTES"])
    if minutes < 15 or minutes > max_minutes:
        raise BadInput(_l("A session lasts between 15 and %(n)d minutes.", n=max_minutes),
                       code="duration_out_of_range",
                       fields={"duration_minutes": _l("Between 15 and %(n)d minutes.", n=max_minutes)})
    if starts_at.minute % 15 or starts_at.second or starts_at.microsecond:
        raise BadInput(_l("Sessions start on the hour or a quarter past, half past or a quarter to."),
                       code="not_on_quarter_hour", fields={field: _l("Use :00, :15, :30 or :45.")})
    if starts_at <= now():
        raise RuleBroken(_l("This time is in the past."), code="slot_in_past",
                         fields={field: _l("Choose a time in the future.")})
    return starts_at + timedelta(minutes=minutes)


def within_availability(mediator_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    """Inside one weekly slot (Asia/Shanghai wall time, same day) and not during leave."""
    start_l = starts_at.astimezone(DEFAULT_TZ)
    start_min = start_l.hour * 60 + start_l.minute
    end_min = start_min + math.ceil((ends_at - starts_at).total_seconds() / 60)

    def minutes_of(t: Any) -> int:
        return 24 * 60 if (t.hour, t.minute) == (23, 59) else t.hour * 60 + t.minute

    slots = db.session.execute(select(AvailabilitySlot).where(
        AvailabilitySlot.mediator_id == mediator_id, AvailabilitySlot.weekday == start_l.weekday())).scalars()
    fits = end_min <= 24 * 60 and any(minutes_of(s.start) <= start_min and end_min <= minutes_of(s.end)
                                      for s in slots)
    if not fits:
        return False
    away = db.session.execute(select(AvailabilityException.id).where(
        AvailabilityException.mediator_id == mediator_id, AvailabilityException.starts_at < ends_at,
        AvailabilityException.ends_at > starts_at).limit(1)).first()
    return away is None


def clashes(user_id: int, starts_at: datetime, ends_at: datetime, ignore_session: int | None = None) -> bool:
    q = select(BusyBlock.id).where(BusyBlock.user_id == user_id, BusyBlock.block_start.in_(blocks(starts_at, ends_at)))
    if ignore_session is not None:
        q = q.where(BusyBlock.session_id != ignore_session)
    return db.session.execute(q.limit(1)).first() is not None


def party_seats(case: Any) -> list[tuple[int, str]]:
    """Parties and their agents with an account (an unclaimed respondent cannot accept yet)."""
    people: dict[int, str] = {}
    for party in case.parties:
        if party.user_id and party.user_id not in people:
            people[party.user_id] = "party"
    for agent in case.agents:
        if agent.user_id and agent.user_id not in people:
            people[agent.user_id] = "agent"
    return list(people.items())


def _attendees(case: Any) -> list[tuple[int, str]]:
    """A mediation session's seats: the mediator, then the parties and agents."""
    people = dict([(case.mediator_id, "mediator")] if case.mediator_id else [])
    for user_id, seat in party_seats(case):
        people.setdefault(user_id, seat)
    return list(people.items())


def propose(case: Any, actor: Any, slots: list[dict[str, Any]], kind: str = "mediation") -> list[MediationSession]:
    """The mediator proposes 1–3 times; parties are told and asked to accept one."""
    if case.status not in BOOKABLE_CASE_STATUSES:
        raise Conflict(_l("Sessions can be proposed only while the case is being mediated."), code="invalid_state")
    if not case.mediator_id:
        raise Conflict(_l("The case has no mediator yet."), code="no_mediator")
    if not 1 <= len(slots) <= MAX_PROPOSALS:
        raise BadInput(_l("Propose one to three times."), code="proposal_count")
    group = str(uuid.uuid4())
    parsed = []
    for i, slot in enumerate(slots):
        field = "starts_at" if len(slots) == 1 else f"slots.{i}.starts_at"
        start = parse_start(slot.get("starts_at"), field)
        minutes = int(slot.get("duration_minutes") or 60)
        parsed.append((start, validate_slot(case.mediator_id, start, minutes, field=field)))
    created = []
    for start, end in parsed:
        session = MediationSession(case_id=case.id, starts_at=start, ends_at=end, status="proposed", kind=kind,
                                   proposal_group=group, sequence=0, created_by_id=actor.id)
        for user_id, role in _attendees(case):
            session.attendees.append(SessionAttendee(user_id=user_id, role=role,
                                                     accepted_at=now() if role == "mediator" else None))
        db.session.add(session)
        db.session.flush()
        record("session.propose", session, actor=actor, after=session_state(session))
        created.append(session)
    tell_proposed(case, created, actor)
    db.session.commit()
    return created


def session_state(session: MediationSession) -> dict[str, Any]:
    return {"status": session.status, "starts_at": iso(session.starts_at), "ends_at": iso(session.ends_at),
            "sequence": session.sequence}


def accept(session: MediationSession, case: Any, actor: Any) -> MediationSession:
    """A party accepts this time (and so not the group's others); all accepted → booked."""
    if session.status != "proposed":
        raise Conflict(_l("This time is no longer open for acceptance."), code="invalid_state")
    if session.starts_at <= now():
        raise RuleBroken(_l("This time is in the past."), code="slot_in_past")
    mine = [a for a in session.attendees if a.user_id == actor.id]
    if not mine:
        raise Conflict(_l("You are not invited to this session."), code="not_attendee")
    siblings = _group(session)
    for other in siblings:
        for att in other.attendees:
            if att.user_id == actor.id and other.id != session.id and att.role != "mediator":
                att.accepted_at = None
    mine[0].accepted_at = now()
    record("session.accept", session, actor=actor, after={"user_id": actor.id})
    if all(a.accepted_at for a in session.attendees):
        _book(session, case, siblings, actor)
    db.session.commit()
    return session


def _group(session: MediationSession) -> list[MediationSession]:
    if not session.proposal_group:
        return [session]
    return list(db.session.execute(select(MediationSession).where(
        MediationSession.proposal_group == session.proposal_group)).scalars())


def _take_blocks(session: MediationSession) -> None:
    """Insert the busy blocks in a savepoint; a clash (race included) refuses the booking."""
    for att in session.attendees:
        if clashes(att.user_id, session.starts_at, session.ends_at, session.id):
            raise Conflict(_l("Someone taking part already has a session at this time."), code="double_booking")
    try:
        with db.session.begin_nested():
            for att in session.attendees:
                for start in blocks(session.starts_at, session.ends_at):
                    db.session.add(BusyBlock(user_id=att.user_id, block_start=start, session_id=session.id))
    except IntegrityError:
        raise Conflict(_l("Someone taking part already has a session at this time."), code="double_booking") from None


def _release_blocks(session: MediationSession) -> None:
    db.session.execute(delete(BusyBlock).where(BusyBlock.session_id == session.id))


def _book(session: MediationSession, case: Any, siblings: list[MediationSession], actor: Any) -> None:
    _take_blocks(session)
    session.status = "booked"
    for other in siblings:
        if other.id != session.id and other.status == "proposed":
            other.status, other.cancel_reason = "cancelled", "lapsed: another proposed time was booked"
            record("session.lapse", other, actor=actor, before={"status": "proposed"}, after={"status": "cancelled"})
    record("session.book", session, actor=actor, before={"status": "proposed"}, after=session_state(session))
    create_reminders(session)
    tell_booked(session, case)


def cancel(session: MediationSession, case: Any, actor: Any, reason: str) -> MediationSession:
    """Cancel with a reason; a booked session frees its time and sends METHOD:CANCEL."""
    if session.status not in ("proposed", "booked"):
        raise Conflict(_l("This session can no longer be cancelled."), code="invalid_state")
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_l("Give a reason."), code="reason_required", fields={"reason": _l("This field is required.")})
    before = session_state(session)
    was_booked = session.status == "booked"
    session.status, session.cancel_reason = "cancelled", reason[:2000]
    session.sequence += 1
    _release_blocks(session)
    cancel_reminders(session)
    record("session.cancel", session, actor=actor, before=before, after={**session_state(session), "reason": reason})
    tell_cancelled(session, case, actor, reason, was_booked)
    db.session.commit()
    return session


def reschedule(session: MediationSession, case: Any, actor: Any, starts_at: Any, minutes: int,
               reason: str) -> MediationSession:
    """The mediator moves a booked session: new time checked, SEQUENCE up, everyone told."""
    if session.status != "booked":
        raise Conflict(_l("Only a booked session can be moved."), code="invalid_state")
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_l("Give a reason."), code="reason_required", fields={"reason": _l("This field is required.")})
    start = parse_start(starts_at)
    end = validate_slot(case.mediator_id, start, minutes, ignore_session=session.id)
    before = session_state(session)
    cancel_reminders(session)
    _release_blocks(session)
    db.session.flush()
    session.starts_at, session.ends_at = start, end
    session.sequence += 1
    _take_blocks(session)
    record("session.reschedule", session, actor=actor, before=before, after={**session_state(session), "reason": reason})
    create_reminders(session)
    tell_rescheduled(session, case, actor, reason)
    db.session.commit()
    return session


def case_sessions(case: Any) -> list[MediationSession]:
    return list(db.session.execute(select(MediationSession).where(MediationSession.case_id == case.id)
                                   .order_by(MediationSession.starts_at)).scalars())
