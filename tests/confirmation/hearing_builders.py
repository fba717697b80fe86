"""A court hearing booked through the real services (consent by both parties, acceptance
by the court, the hearing proposed by court staff and accepted by both parties), and a
second judge of the same court — shared by tests/confirmation and tests/video."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from odr.accounts.models import User
from odr.cases.models import Case
from odr.confirmation import hearing, services
from odr.confirmation.models import ConfirmationApplication
from odr.core.time import DEFAULT_TZ, UTC
from odr.extensions import db
from odr.mediators.staff import create_staff
from odr.organizations.services import create_court
from odr.scheduling import booking
from odr.scheduling.models import MediationSession
from tests.confirmation.helpers import effective_case
from tests.factories import PASSWORD, World


@dataclass
class Hearing:
    case: Case
    application: ConfirmationApplication
    session: MediationSession


def start_in(days: int = 3, hour: int = 10) -> datetime:
    day = datetime.now(UTC).astimezone(DEFAULT_TZ).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, 0), tzinfo=DEFAULT_TZ)


def staff(world: World, username: str, role: str, court_id: int | None = None) -> User:
    """Another judge or clerk (of the world's court unless told), through the real service."""
    user = create_staff({"username": username, "password": PASSWORD, "display_name": username, "role": role,
                         "court_id": court_id or world.court.id}, world.admin)
    db.session.commit()
    return user


def other_court(world: World) -> int:
    court = create_court({"name": "绍兴市越城区人民法院", "code": "浙0602", "region_code": "330602"}, world.admin)
    db.session.commit()
    return court.id


def submitted(world: World) -> tuple[Case, ConfirmationApplication]:
    """Both parties consented: the application is at the world's court, accepted by the clerk."""
    case = effective_case(world)
    for user in (world.applicant, world.respondent):
        application = services.consent(case, user)
    assert application.status == "submitted"
    services.accept(application, world.clerk)
    return case, application


def booked_hearing(world: World, proposer: User | None = None, days: int = 3) -> Hearing:
    """The hearing proposed by ``proposer`` (the world's judge by default) and booked."""
    case, application = submitted(world)
    session = hearing.schedule(application, proposer or world.judge, start_in(days).isoformat(), 60)
    for party in (world.applicant, world.respondent):
        booking.accept(session, case, party)
    db.session.refresh(session)
    assert session.status == "booked"
    return Hearing(case, application, session)
