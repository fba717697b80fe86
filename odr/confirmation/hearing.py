"""The court's video hearing during judicial confirmation (issue 8: "optionally hold a video
hearing with the parties, reusing the mediation rooms").

The booking itself is the scheduling room's (``odr.scheduling.hearings``); this module
answers what only the confirmation room knows: whether the actor's court is handling an
application on the case, and who sits for the court (the presiding judge, the clerk, the
actor). It registers that answer with scheduling at start-up, so the scheduling room's
page ``scheduling.hearing`` works without importing this room.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts.models import Role, User
from odr.audit.services import record
from odr.confirmation import rules
from odr.confirmation.models import ConfirmationApplication
from odr.core.errors import Conflict, Forbidden
from odr.extensions import db
from odr.scheduling import hearings
from odr.scheduling.models import MediationSession


def application_at_court(case: Any, court_id: int | None) -> ConfirmationApplication | None:
    """The case's application the court is handling now (submitted, accepted, awaiting materials)."""
    if court_id is None:
        return None
    return db.session.execute(
        select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id,
                                              ConfirmationApplication.court_id == court_id,
                                              ConfirmationApplication.status.in_(rules.AT_COURT))
        .order_by(ConfirmationApplication.id.desc()).limit(1)).scalar_one_or_none()


def seats_for(application: ConfirmationApplication, actor: User) -> list[tuple[int, str]]:
    """The court's side of the hearing: presiding judge first, then the clerk and the actor.

    A hearing needs a presiding judge because the judge hosts the room (admits, removes,
    ends); a clerk scheduling before a judge is assigned is told to assign one first. Only
    the presiding judge sits as "judge": anyone else of the court, a second judge included,
    sits as "clerk" and does not host (the room token's role follows the same rule,
    ``odr.scheduling.video_room.seat_for``).
    """
    if actor is None or actor.role not in Role.COURT or actor.court_id != application.court_id:
        raise Forbidden(_l("Only staff of the court the application was made to can do this."))
    presiding = application.judge_id or (actor.id if actor.role == Role.JUDGE else None)
    if presiding is None:
        raise Conflict(_l("Assign the judge who presides before scheduling a hearing."), code="no_judge")
    seats: dict[int, str] = {presiding: "judge"}
    if application.clerk_id:
        seats.setdefault(application.clerk_id, "clerk")
    seats.setdefault(actor.id, "clerk")
    return list(seats.items())


def take_the_chair(application: ConfirmationApplication, actor: User) -> None:
    """A judge who calls a hearing on an application nobody presides over yet presides.

    The host seat is read from ``application.judge_id`` whenever someone joins, so the judge
    who sat as "judge" at the proposal must be the one recorded there. Flushes; the
    proposal's transaction commits it (or a refusal rolls it back with the proposal).
    """
    if application.judge_id is not None or actor.role != Role.JUDGE:
        return
    application.judge_id = actor.id
    db.session.flush()
    record("confirmation.assign", application, actor=actor, before={"judge_id": None},
           after={"judge_id": actor.id, "implicit": True, "reason": "hearing"})


def court_seats(case: Any, actor: User) -> list[tuple[int, str]]:
    """Registered with ``odr.scheduling.hearings``: refuse unless the actor's court is handling it.

    Called when a hearing is proposed, so a judge proposing one without a presiding judge
    assigned takes the chair here (:func:`take_the_chair`)."""
    application = application_at_court(case, getattr(actor, "court_id", None))
    if application is None:
        raise Conflict(_l("A hearing can be held only while your court is reviewing an application for "
                          "judicial confirmation of this case."), code="invalid_state")
    seats = seats_for(application, actor)
    take_the_chair(application, actor)
    return seats


def follow_presiding(application: ConfirmationApplication, before: int | None, actor: User) -> None:
    """The presiding judge changed (``court.assign_judge``): the open hearings' seats follow.

    The room token already follows (it is read from the application); this moves the
    booking: the new judge takes the host seat and the time, the previous one leaves.
    """
    if before == application.judge_id or application.judge_id is None:
        return
    hearings.change_presiding(application.case, before, application.judge_id, actor)


def schedule(application: ConfirmationApplication, actor: User, starts_at: Any,
             minutes: int | None) -> MediationSession:
    """Propose the hearing for ``application`` (the API's entry point; the page goes through
    ``scheduling.hearing`` by case, which reaches :func:`court_seats`)."""
    if application.status not in rules.AT_COURT:
        raise Conflict(_l("A hearing can be held only while the court is reviewing the application."),
                       code="invalid_state")
    seats_for(application, actor)
    session = hearings.propose_hearing(application.case, actor, starts_at, minutes, commit=False)
    record("confirmation.hearing", application, actor=actor,
           after={"session_id": session.id, "starts_at": session.starts_at.isoformat()})
    db.session.commit()
    return session


def application_hearings(application: ConfirmationApplication) -> list[MediationSession]:
    """The case's hearings, shown on the judge's screen and counted in the queue."""
    return hearings.case_hearings(application.case)


def next_hearing(application: ConfirmationApplication) -> MediationSession | None:
    """The open hearing (proposed, booked or under way), if any, for the queue's column."""
    open_ = hearings.case_hearings(application.case, hearings.OPEN_STATUSES)
    return open_[0] if open_ else None


def init_hearings() -> None:
    """Tell the scheduling room who sits for the court (called from ``init_app``)."""
    hearings.provide_court_seats(court_seats)
