"""Court hearings: a video session of kind "hearing" that the court, not the mediator, runs.

During judicial confirmation the judge may hear the parties by video in the same rooms
mediations use. The court proposes one time; the parties accept it like a mediation
session (``booking.accept``), and booking takes the same ``BusyBlock`` rows for every
attendee, so nobody — judge and clerk included — is booked twice. What differs from a
mediation is deliberate: court staff are not in the mediators' weekly availability, so
no availability check applies, and the mediator is not an attendee (the hearing is the
court's, and the room's host is the judge: ``mediation.protocol.HOST_ROLES``).

Which court staff sit in a case's hearing is the confirmation room's knowledge, and the
scheduling room must not import it; the confirmation room registers that answer with
:func:`provide_court_seats` at start-up (dependency points from confirmation to here).
Services commit; refusals raise domain errors and leave nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from odr.accounts.models import User
from odr.audit.services import record
from odr.core.errors import Conflict
from odr.core.time import now
from odr.extensions import db
from odr.notifications.services import notify
from odr.scheduling.booking import blocks, check_time, clashes, parse_start, party_seats, session_state
from odr.scheduling.models import BusyBlock, MediationSession, SessionAttendee
from odr.scheduling.notices import when

HEARING = "hearing"
#: Open hearings block a second proposal: one pending or booked hearing per case at a time.
OPEN_STATUSES = ("proposed", "booked", "live")
DEFAULT_MINUTES = 60

#: ``(case, actor) -> [(user_id, "judge" | "clerk"), ...]`` — the court staff who sit in the
#: hearing, the actor included; raises a domain error when the actor's court has nothing
#: open on the case. Registered by the confirmation room (see module docstring).
CourtSeats = Callable[[Any, Any], list[tuple[int, str]]]
_court_seats: CourtSeats | None = None


def provide_court_seats(fn: CourtSeats) -> None:
    """Register who sits for the court (called once from the confirmation room's init_app)."""
    global _court_seats
    _court_seats = fn


def court_seats(case: Any, actor: Any) -> list[tuple[int, str]]:
    if _court_seats is None:
        raise Conflict(_l("Hearings are not available: no court procedure is installed."), code="no_court_procedure")
    return _court_seats(case, actor)


def case_hearings(case: Any, statuses: tuple[str, ...] | None = None) -> list[MediationSession]:
    q = select(MediationSession).where(MediationSession.case_id == case.id, MediationSession.kind == HEARING)
    if statuses:
        q = q.where(MediationSession.status.in_(statuses))
    return list(db.session.execute(q.order_by(MediationSession.starts_at)).scalars())


def propose_hearing(case: Any, actor: Any, starts_at: Any, minutes: int | None = None, *,
                    commit: bool = True) -> MediationSession:
    """The judge or clerk proposes one hearing time; the parties are served notice and accept.

    Court staff accept by proposing (their ``accepted_at`` is set), so the session is booked
    when the last party accepts. A clash for anyone taking part is refused now, not only at
    booking, so the court learns at once that a party is busy. ``commit=False`` lets a caller
    add its own audit event to the same transaction.
    """
    seats = court_seats(case, actor)
    if case_hearings(case, OPEN_STATUSES):
        raise Conflict(_l("A hearing is already proposed or booked for this case. Cancel it first to "
                          "propose another time."), code="hearing_exists")
    start = parse_start(starts_at)
    end = check_time(start, int(minutes or DEFAULT_MINUTES))
    people = dict(party_seats(case))
    if not people:
        raise Conflict(_l("No party has an account yet, so nobody could accept the hearing."),
                       code="no_parties")
    for user_id, role in seats:
        people.setdefault(user_id, role)
    for user_id in people:
        if clashes(user_id, start, end):
            raise Conflict(_l("Someone taking part already has a session at this time."), code="double_booking",
                           fields={"starts_at": _l("Choose another time.")})
    session = MediationSession(case_id=case.id, starts_at=start, ends_at=end, status="proposed", kind=HEARING,
                               proposal_group=str(uuid.uuid4()), sequence=0, created_by_id=actor.id)
    moment = now()
    for user_id, role in people.items():
        session.attendees.append(SessionAttendee(user_id=user_id, role=role,
                                                 accepted_at=moment if role in ("judge", "clerk") else None))
    db.session.add(session)
    db.session.flush()
    record("session.propose", session, actor=actor, after={**session_state(session), "kind": HEARING,
                                                           "court_staff": [u for u, _r in seats]})
    _tell_parties(case, session, actor)
    if commit:
        db.session.commit()
    return session


def change_presiding(case: Any, old_id: int | None, new_id: int, actor: Any) -> list[MediationSession]:
    """Move the host seat of the case's open hearings from ``old_id`` to ``new_id``.

    The new judge accepts by being assigned and, for a booked hearing, takes its busy
    blocks — refused (Conflict) if they already have a session then, so a reassignment
    never double-books a judge. The previous judge's seat and blocks are released. Flushes;
    the caller (the reassignment) commits.
    """
    moved = []
    for session in case_hearings(case, OPEN_STATUSES):
        booked = session.status in ("booked", "live")
        seat = next((a for a in session.attendees if a.user_id == new_id), None)
        if booked and seat is None and clashes(new_id, session.starts_at, session.ends_at, session.id):
            raise Conflict(_l("The judge already has a session at the time of this case's hearing."),
                           code="double_booking")
        # whoever held the host seat before (old_id; any stray "judge" seat too) leaves it
        leaving = {a.user_id for a in session.attendees if a.role == "judge"} | {old_id}
        leaving.discard(new_id)
        for att in [a for a in session.attendees if a.user_id in leaving]:
            session.attendees.remove(att)
        db.session.execute(delete(BusyBlock).where(BusyBlock.session_id == session.id,
                                                  BusyBlock.user_id.in_(leaving - {None})))
        if seat is None:
            session.attendees.append(SessionAttendee(user_id=new_id, role="judge", accepted_at=now()))
            if booked:
                for start in blocks(session.starts_at, session.ends_at):
                    db.session.add(BusyBlock(user_id=new_id, block_start=start, session_id=session.id))
        else:
            seat.role, seat.accepted_at = "judge", seat.accepted_at or now()
        db.session.flush()
        record("session.reseat", session, actor=actor, before={"judge_id": old_id}, after={"judge_id": new_id})
        moved.append(session)
    return moved


def _tell_parties(case: Any, session: MediationSession, actor: Any) -> None:
    """Serve notice of the proposed hearing (legal: a delivery record per channel)."""
    number = case.number or f"#{case.id}"
    for att in session.attendees:
        if att.role in ("judge", "clerk"):
            continue
        user = db.session.get(User, att.user_id)
        if user is None:
            continue
        with force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
            title = _("Case %(number)s: the court proposes a video hearing", number=number)
            body = _("The court reviewing your application for judicial confirmation proposes to hear the "
                     "parties by video on %(when)s. Please accept the time on the case page; the hearing is "
                     "booked when every party has accepted. On the day, join from the case page.",
                     when=when(session, user))
        notify(user, "hearing_proposed", title, body, f"/cases/{case.id}#sessions", case=case, legal=True,
               key=f"hearing-proposed:{session.id}:user:{user.id}")
