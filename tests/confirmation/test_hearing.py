"""The court's video hearing during judicial confirmation: proposed by the judge or clerk,
accepted by the parties like a session, joined in the mediation room with the judge as host."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from mediation.protocol import verify_room_token
from odr.audit.models import AuditEvent
from odr.cases.models import Case
from odr.core.time import DEFAULT_TZ, UTC
from odr.extensions import db
from odr.mediators.staff import create_staff
from odr.notifications.models import Delivery, Notification
from odr.organizations.services import create_court
from odr.scheduling.models import BusyBlock, MediationSession
from tests.confirmation.helpers import effective_case
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD, World

_TOKENS: dict[tuple[int, str], dict[str, str]] = {}


@pytest.fixture(autouse=True)
def _fresh_tokens() -> None:
    _TOKENS.clear()


def _auth(client: FlaskClient, username: str) -> dict[str, str]:
    key = (id(client), username)
    if key not in _TOKENS:
        _TOKENS[key] = api_token(client, username)
    return _TOKENS[key]


def _submitted(client: FlaskClient, world: World) -> tuple[Case, int]:
    case = effective_case(world)
    for who in ("applicant", "respondent"):
        resp = client.post(f"/api/v1/cases/{case.id}/confirmation", json={}, headers=_auth(client, who))
        assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "submitted"
    return case, body["id"]


def _start(days: int = 3, hour: int = 10) -> datetime:
    day = datetime.now(UTC).astimezone(DEFAULT_TZ).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, 0), tzinfo=DEFAULT_TZ)


def _propose(client: FlaskClient, app_id: int, who: str, start: datetime, minutes: int = 60) -> object:
    return client.post(f"/api/v1/confirmations/{app_id}/hearing", headers=_auth(client, who),
                       json={"starts_at": start.isoformat(), "duration_minutes": minutes})


def _booked_hearing(client: FlaskClient, world: World) -> tuple[Case, int, MediationSession]:
    case, app_id = _submitted(client, world)
    assert client.post(f"/api/v1/confirmations/{app_id}/accept", headers=_auth(client, "clerk")).status_code == 200
    resp = _propose(client, app_id, "judge", _start())
    assert resp.status_code == 201, resp.get_json()
    sid = resp.get_json()["id"]
    for who in ("applicant", "respondent"):
        assert client.post(f"/api/v1/sessions/{sid}/accept", headers=_auth(client, who)).status_code == 200
    return case, app_id, db.session.get(MediationSession, sid)


def test_judge_schedules_parties_accept_and_it_is_booked(client: FlaskClient, world: World) -> None:
    case, app_id = _submitted(client, world)
    judge = _auth(client, "judge")
    assert client.post(f"/api/v1/confirmations/{app_id}/accept", headers=_auth(client, "clerk")).status_code == 200
    resp = _propose(client, app_id, "judge", _start())
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["kind"] == "hearing" and body["status"] == "proposed"
    roles = {a["user_id"]: (a["role"], a["accepted"]) for a in body["attendees"]}
    assert roles[world.judge.id] == ("judge", True)
    assert roles[world.clerk.id] == ("clerk", True)  # the clerk who accepted sits too
    assert roles[world.applicant.id] == ("party", False)
    assert world.mediators[0].id not in roles  # the court's hearing, not a mediation
    sid = body["id"]
    # the parties are served notice (a delivery record), and the case's event log has it
    note = db.session.execute(select(Notification).where(Notification.user_id == world.applicant.id,
                                                         Notification.kind == "hearing_proposed")).scalar_one()
    assert db.session.execute(select(Delivery).where(Delivery.notification_id == note.id)).first() is not None
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "confirmation.hearing")).first()
    # a second hearing while one is open is refused
    again = _propose(client, app_id, "judge", _start(days=4))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "hearing_exists"

    assert client.post(f"/api/v1/sessions/{sid}/accept", headers=_auth(client, "applicant")).status_code == 200
    resp = client.post(f"/api/v1/sessions/{sid}/accept", headers=_auth(client, "respondent"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "booked"
    blocked = set(db.session.execute(select(BusyBlock.user_id).where(BusyBlock.session_id == sid)).scalars())
    assert blocked == {world.judge.id, world.clerk.id, world.applicant.id, world.respondent.id}

    listed = client.get(f"/api/v1/cases/{case.id}/sessions", headers=_auth(client, "applicant")).get_json()
    assert [s["kind"] for s in listed["items"]] == ["hearing"]
    # the judge's court: the queue shows the hearing, the review page lists it with the room
    login(client, "judge")
    queue = client.get("/court/confirmations?tab=accepted").get_data(as_text=True)
    assert "Booked" in queue
    page = client.get(f"/confirmations/{app_id}").get_data(as_text=True)
    assert f"/sessions/{sid}/room" in page
    assert judge  # the judge's token stayed valid throughout


def test_double_booking_of_a_party_is_refused(client: FlaskClient, world: World) -> None:
    case, app_id, session = _booked_hearing(client, world)
    db.session.refresh(session)
    session.status = "cancelled"  # keep its blocks: a clash must come from BusyBlock, not the open-hearing rule
    db.session.commit()
    later = _start() + timedelta(minutes=30)
    # the judge who called the first hearing presides now (application.judge_id), so the clerk may
    # call one too; the parties' busy time refuses it (no_judge: tests/confirmation/test_hearing_seats.py)
    by_clerk = _propose(client, app_id, "clerk", later)
    assert by_clerk.status_code == 409 and by_clerk.get_json()["error"]["code"] == "double_booking"
    resp = _propose(client, app_id, "judge", later)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "double_booking"
    assert db.session.execute(select(MediationSession).where(MediationSession.case_id == case.id)).scalars() \
        .all() == [session]


def test_refusals_other_court_party_and_bad_time(client: FlaskClient, world: World) -> None:
    _case, app_id = _submitted(client, world)
    other = create_court({"name": "绍兴市越城区人民法院", "code": "浙0602", "region_code": "330602"}, world.admin)
    create_staff({"username": "otherjudge", "password": PASSWORD, "display_name": "赵法官", "role": "judge",
                  "court_id": other.id}, world.admin)
    db.session.commit()
    assert _propose(client, app_id, "otherjudge", _start()).status_code == 404
    assert _propose(client, app_id, "applicant", _start()).status_code == 403
    bad = _propose(client, app_id, "judge", _start() + timedelta(minutes=7))
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "not_on_quarter_hour"
    past = _propose(client, app_id, "judge", _start(days=-2))
    assert past.status_code == 422
    assert db.session.execute(select(MediationSession)).first() is None


def test_join_gives_the_judge_the_host_role(app: Flask, client: FlaskClient, world: World) -> None:
    _case, _app_id, session = _booked_hearing(client, world)
    secret = app.config["MEDIA_SECRET"]
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        _TOKENS.clear()  # API tokens are short-lived: log in again on the day
        claims = {}
        for who in ("judge", "clerk", "applicant", "respondent"):
            resp = client.post(f"/api/v1/sessions/{session.id}/join", headers=_auth(client, who))
            assert resp.status_code == 200, (who, resp.get_json())
            claims[who] = verify_room_token(secret, resp.get_json()["room_token"])
        mediator = client.post(f"/api/v1/sessions/{session.id}/join", headers=_auth(client, "mediator"))
    assert claims["judge"].role == "judge" and claims["judge"].kind == "hearing" and claims["judge"].is_mediator
    assert claims["clerk"].role == "clerk" and not claims["clerk"].is_mediator
    assert claims["applicant"].role == "party" and claims["applicant"].side == "applicant"
    assert not claims["applicant"].is_mediator and not claims["respondent"].is_mediator
    assert mediator.status_code in (403, 404)


def test_web_form_on_the_review_page(client: FlaskClient, world: World) -> None:
    case, app_id = _submitted(client, world)
    login(client, "judge")
    page = client.get(f"/confirmations/{app_id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/hearing"' in page
    start = _start()
    form = {"csrf_token": csrf_token(client, f"/confirmations/{app_id}"), "date": start.date().isoformat(),
            "time": "10:07", "duration_minutes": "45"}
    refused = client.post(f"/cases/{case.id}/hearing", data=form)
    assert refused.status_code == 400 and "Use :00, :15, :30 or :45." in refused.get_data(as_text=True)
    form["time"] = "10:00"
    done = client.post(f"/cases/{case.id}/hearing", data=form, follow_redirects=True)
    assert done.status_code == 200 and "The hearing was proposed" in done.get_data(as_text=True)
    session = db.session.execute(select(MediationSession)).scalar_one()
    assert session.kind == "hearing" and (session.ends_at - session.starts_at) == timedelta(minutes=45)
    # the parties accept on their case page, in the sessions panel
    login(client, "applicant")
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Court hearing" in case_page and f"/sessions/{session.id}/accept" in case_page
    assert client.get(f"/cases/{case.id}/hearing").status_code == 403
    login(client, "clerk")
    assert client.get(f"/cases/{case.id}/hearing").status_code == 200


@pytest.mark.netns
@pytest.mark.timeout(120)
def test_judge_admits_a_party_in_the_hearing_room(app: Flask, client: FlaskClient, world: World,
                                                   tmp_path: Path) -> None:
    from tests.mediation.helpers import SECRET, Client, running_server, wait_for

    app.config["MEDIA_SECRET"] = SECRET
    _case, _app_id, session = _booked_hearing(client, world)
    with time_machine.travel(session.starts_at - timedelta(minutes=5), tick=False):
        _TOKENS.clear()
        tokens = {who: client.post(f"/api/v1/sessions/{session.id}/join", headers=_auth(client, who))
                  .get_json()["room_token"] for who in ("judge", "applicant", "clerk")}

    async def scenario() -> None:
        # the tokens were minted at the hearing's time, days ahead of the real clock the
        # media server reads: let it accept them as if it were that day
        async with running_server(tmp_path, max_token_ttl=10 * 86400) as server:
            judge = Client(server, tokens["judge"], luma=40)
            party = Client(server, tokens["applicant"], luma=120)
            clerk = Client(server, tokens["clerk"], luma=200)
            for c in (judge, party, clerk):
                await c.join()
                await c.wait_open()
            await wait_for(lambda: judge.state_of(party.participant_id) == "lobby")
            assert judge.state_of(judge.participant_id) == "admitted"  # the host is never in the lobby
            clerk.send({"type": "admit", "participant_id": party.participant_id})  # only the host admits
            await wait_for(lambda: clerk.last("error") is not None)
            assert clerk.last("error")["code"] == "forbidden"
            judge.send({"type": "admit", "participant_id": party.participant_id})
            await wait_for(lambda: judge.state_of(party.participant_id) == "admitted")
            await wait_for(lambda: party.video_frames.get(judge.participant_id, 0) > 5, timeout=20)
            judge.send({"type": "end"})
            await wait_for(lambda: party.last("ended") is not None)

    asyncio.run(scenario())
