"""A case in mediation with a booked video session, built through the real services
(case intake, assignment, availability, proposal, acceptance by both parties)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from flask import Flask

from odr.cases.models import Case
from odr.core.time import DEFAULT_TZ, UTC
from odr.extensions import db
from odr.mediators.availability import profile_for, set_availability
from odr.scheduling import booking
from odr.scheduling.models import MediationSession
from tests.case_factories import case_in_mediation
from tests.english import english  # noqa: F401
from tests.factories import World


@dataclass
class Booked:
    case: Case
    session: MediationSession

    @property
    def starts_at(self) -> datetime:
        return self.session.starts_at.replace(tzinfo=UTC) if self.session.starts_at.tzinfo is None \
            else self.session.starts_at


def book_session(world: World, case: Case, days_ahead: int = 2, hour: int = 10) -> MediationSession:
    mediator = world.mediators[0]
    set_availability(profile_for(mediator.id),
                     [{"weekday": d, "start": "07:00", "end": "22:00"} for d in range(7)], [], mediator)
    day = datetime.now(UTC).astimezone(DEFAULT_TZ).date() + timedelta(days=days_ahead)
    start = datetime.combine(day, time(hour, 0), tzinfo=DEFAULT_TZ)
    [session] = booking.propose(case, mediator, [{"starts_at": start.isoformat(), "duration_minutes": 60}])
    booking.accept(session, case, world.applicant)
    booking.accept(session, case, world.respondent)
    db.session.refresh(session)
    assert session.status == "booked"
    return session


@pytest.fixture()
def booked(app: Flask, world: World) -> Booked:
    case = case_in_mediation(world)
    assert case.mediator_id == world.mediators[0].id
    return Booked(case, book_session(world, case))
