"""Who sits for the court in a video hearing: only the application's presiding judge hosts
(the room token's role is "judge"); any other staff of the reviewing court, a second judge
included, sits as "clerk"; staff of another court have no seat; a reassignment moves the
host seat, the booking and the busy time to the new judge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from mediation.protocol import HOST_ROLES, is_host, verify_room_token
from odr.accounts.models import Role
from odr.audit.models import AuditEvent
from odr.confirmation import hearing, services
from odr.confirmation.models import ConfirmationApplication
from odr.core.errors import Conflict
from odr.extensions import db
from odr.scheduling.booking import blocks
from odr.scheduling.models import BusyBlock, MediationSession
from tests.confirmation.hearing_builders import Hearing, booked_hearing, other_court, staff, start_in, submitted
from tests.conftest import api_token, login
from tests.factories import World


def _join(client: FlaskClient, session: MediationSession, username: str) -> Any:
    """POST /sessions/{id}/join on the day (fresh API token: they are short-lived)."""
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        return client.post(f"/api/v1/sessions/{session.id}/join", headers=api_token(client, username))


def _role(app: Flask, resp: Any) -> str:
    assert resp.status_code == 200, resp.get_json()
    return verify_room_token(app.config["MEDIA_SECRET"], resp.get_json()["room_token"]).role


def _seats(session_id: int) -> dict[int, tuple[str, bool]]:
    db.session.expire_all()
    session = db.session.get(MediationSession, session_id)
    return {a.user_id: (a.role, a.accepted_at is not None) for a in session.attendees}


def _blocked(session_id: int) -> set[int]:
    return set(db.session.execute(select(BusyBlock.user_id).where(BusyBlock.session_id == session_id)).scalars())


def test_a_second_judge_of_the_court_joins_but_does_not_host(app: Flask, client: FlaskClient,
                                                             world: World) -> None:
    staff(world, "judge2", Role.JUDGE)
    staff(world, "otherjudge", Role.JUDGE, other_court(world))
    h = booked_hearing(world)
    presiding = _role(app, _join(client, h.session, "judge"))
    second = _role(app, _join(client, h.session, "judge2"))
    assert presiding == HOST_ROLES["hearing"] and is_host(presiding, "hearing")
    assert second == "clerk" and not is_host(second, "hearing")
    assert _role(app, _join(client, h.session, "clerk")) == "clerk"
    # a judge of another court does not even learn that the session exists
    assert _join(client, h.session, "otherjudge").status_code == 404
    # the room page hands room.js the same seat, so the host controls never show for judge2
    with time_machine.travel(h.session.starts_at - timedelta(minutes=5), tick=False):
        login(client, "judge2")
        page = client.get(f"/sessions/{h.session.id}/room").get_data(as_text=True)
    assert 'data-role="clerk"' in page and 'data-role="judge"' not in page


def test_staff_of_the_referring_court_have_no_seat_in_another_courts_hearing(
        app: Flask, client: FlaskClient, world: World) -> None:
    h = booked_hearing(world)
    referring = other_court(world)
    staff(world, "refjudge", Role.JUDGE, referring)
    h.case.court_id = referring  # a court-referred case, confirmed by a different court
    db.session.commit()
    resp = _join(client, h.session, "refjudge")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_a_participant"
    assert _role(app, _join(client, h.session, "judge")) == "judge"


def test_the_first_judge_to_call_a_hearing_presides_and_a_second_judge_sits_as_clerk(world: World) -> None:
    judge2 = staff(world, "judge2", Role.JUDGE)
    _case, application = submitted(world)
    # a clerk cannot call a hearing before a judge presides (the judge hosts the room)
    with pytest.raises(Conflict) as refused:
        hearing.schedule(application, world.clerk, start_in().isoformat(), 60)
    assert refused.value.code == "no_judge"
    db.session.rollback()
    assert db.session.execute(select(MediationSession)).first() is None
    session = hearing.schedule(application, world.judge, start_in().isoformat(), 60)
    h = Hearing(application.case, application, session)  # nobody presided yet: the proposing judge does now
    db.session.refresh(h.application)
    assert h.application.judge_id == world.judge.id
    took = db.session.execute(select(AuditEvent).where(AuditEvent.action == "confirmation.assign")).scalar_one()
    assert took.after["judge_id"] == world.judge.id and took.after["implicit"] is True
    assert _seats(h.session.id)[world.judge.id] == ("judge", True)  # proposed: the court has accepted
    # a second judge calling a hearing sits as clerk: the presiding judge keeps the host seat
    assert dict(hearing.seats_for(h.application, judge2)) == {world.judge.id: "judge", world.clerk.id: "clerk",
                                                              judge2.id: "clerk"}


def test_a_second_judge_scheduling_does_not_take_the_host_seat(app: Flask, client: FlaskClient,
                                                               world: World) -> None:
    judge2 = staff(world, "judge2", Role.JUDGE)
    case, application = submitted(world)
    services.assign_judge(application, world.clerk, world.judge.id)
    session = hearing.schedule(application, judge2, start_in().isoformat(), 60)
    seats = _seats(session.id)
    assert seats[world.judge.id] == ("judge", True) and seats[judge2.id] == ("clerk", True)
    assert [uid for uid, (role, _ok) in seats.items() if role == "judge"] == [world.judge.id]
    db.session.refresh(application)
    assert application.judge_id == world.judge.id  # unchanged by judge2's proposal


def test_reassignment_moves_the_host_seat_and_the_busy_time(app: Flask, client: FlaskClient,
                                                            world: World) -> None:
    judge2 = staff(world, "judge2", Role.JUDGE)
    h = booked_hearing(world)
    assert world.judge.id in _blocked(h.session.id)
    resp = client.post(f"/api/v1/confirmations/{h.application.id}/assign", json={"judge_id": judge2.id},
                       headers=api_token(client, "clerk"))
    assert resp.status_code == 200, resp.get_json()
    seats = _seats(h.session.id)
    assert seats[judge2.id] == ("judge", True) and world.judge.id not in seats
    blocked = _blocked(h.session.id)
    assert judge2.id in blocked and world.judge.id not in blocked
    reseat = db.session.execute(select(AuditEvent).where(AuditEvent.action == "session.reseat")).scalar_one()
    assert (reseat.before, reseat.after) == ({"judge_id": world.judge.id}, {"judge_id": judge2.id})
    # the tokens follow the application: the new judge hosts, the previous one no longer does
    assert _role(app, _join(client, h.session, "judge2")) == "judge"
    assert _role(app, _join(client, h.session, "judge")) == "clerk"


def test_reassignment_to_a_judge_busy_at_the_hearing_time_is_refused(client: FlaskClient, world: World) -> None:
    judge2 = staff(world, "judge2", Role.JUDGE)
    h = booked_hearing(world)
    # judge2 is already booked at that hour (another session's blocks)
    other = MediationSession(case_id=h.case.id, starts_at=h.session.starts_at, ends_at=h.session.ends_at,
                             status="cancelled", kind="hearing", created_by_id=judge2.id)
    db.session.add(other)
    db.session.flush()
    db.session.add(BusyBlock(user_id=judge2.id, block_start=blocks(h.session.starts_at, h.session.ends_at)[1],
                             session_id=other.id))
    db.session.commit()
    resp = client.post(f"/api/v1/confirmations/{h.application.id}/assign", json={"judge_id": judge2.id},
                       headers=api_token(client, "clerk"))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "double_booking"
    db.session.expire_all()
    assert db.session.get(ConfirmationApplication, h.application.id).judge_id == world.judge.id
    assert _seats(h.session.id)[world.judge.id] == ("judge", True) and judge2.id not in _seats(h.session.id)
