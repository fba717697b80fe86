"""POST /api/v1/sessions/{id}/join: who gets a room token, with which claims, and when."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from mediation.protocol import verify_room_token
from odr.core.time import iso
from odr.extensions import db
from odr.scheduling import booking
from tests.conftest import api_token, login
from tests.factories import World
from tests.video.conftest import Booked


def _join(client: FlaskClient, session_id: int, username: str) -> tuple[int, dict]:
    resp = client.post(f"/api/v1/sessions/{session_id}/join", headers=api_token(client, username))
    return resp.status_code, resp.get_json()


def test_participants_get_a_token_the_media_server_accepts(app: Flask, client: FlaskClient, world: World,
                                                           booked: Booked) -> None:
    secret = app.config["MEDIA_SECRET"]
    expected = {world.applicant.username: ("party", "applicant"),
                world.respondent.username: ("party", "respondent"),
                world.mediators[0].username: ("mediator", None)}
    with time_machine.travel(booked.starts_at - timedelta(minutes=5), tick=False):
        for username, (role, side) in expected.items():
            status, body = _join(client, booked.session.id, username)
            assert status == 200, body
            assert set(body) == {"room_token", "signaling_url", "ice_servers"}
            assert body["signaling_url"] == f"{app.config['MEDIA_URL']}/rooms/offer"
            assert body["ice_servers"] == []
            claims = verify_room_token(secret, body["room_token"])
            user = {u.username: u for u in (world.applicant, world.respondent, world.mediators[0])}[username]
            assert claims.session_id == booked.session.id and claims.case_id == booked.case.id
            assert claims.user_id == user.id and claims.display_name == user.display_name
            assert (claims.role, claims.side) == (role, side)
            assert claims.room_ends_at == iso(booked.session.ends_at)
            assert 0 < claims.exp - int((booked.starts_at - timedelta(minutes=5)).timestamp()) <= 300


def test_court_staff_join_as_judge_or_clerk(app: Flask, client: FlaskClient, world: World, booked: Booked) -> None:
    booked.case.court_id = world.court.id
    db.session.commit()
    with time_machine.travel(booked.starts_at, tick=False):
        for user, role in ((world.judge, "judge"), (world.clerk, "clerk")):
            status, body = _join(client, booked.session.id, user.username)
            assert status == 200, body
            claims = verify_room_token(app.config["MEDIA_SECRET"], body["room_token"])
            assert (claims.role, claims.side) == (role, None)


def test_outsiders_get_nothing(client: FlaskClient, world: World, booked: Booked) -> None:
    with time_machine.travel(booked.starts_at, tick=False):
        for user in (world.outsider, world.town_mediator, world.town_admin):
            status, body = _join(client, booked.session.id, user.username)
            assert status == 404, (user.username, body)
            assert body["error"]["code"] == "not_found"
        status, body = _join(client, 999999, world.applicant.username)
        assert status == 404
        # the organization's admin may see the case but does not take part
        status, body = _join(client, booked.session.id, world.org_admin.username)
        assert status in (403, 404) and "room_token" not in body
        resp = client.post(f"/api/v1/sessions/{booked.session.id}/join")
        assert resp.status_code == 401


def test_outside_the_window_is_422_with_a_reason(client: FlaskClient, world: World, booked: Booked) -> None:
    sid, name = booked.session.id, world.applicant.username
    status, body = _join(client, sid, name)  # two days early
    assert status == 422 and body["error"]["code"] == "room_not_open_yet"
    assert "15 minutes" in body["error"]["message"]
    with time_machine.travel(booked.starts_at - timedelta(minutes=16), tick=False):
        assert _join(client, sid, name)[0] == 422
    with time_machine.travel(booked.starts_at - timedelta(minutes=14), tick=False):
        assert _join(client, sid, name)[0] == 200
    end = booked.starts_at + timedelta(minutes=60)
    with time_machine.travel(end + timedelta(minutes=14), tick=False):
        assert _join(client, sid, name)[0] == 200  # running over: grace period
    with time_machine.travel(end + timedelta(minutes=16), tick=False):
        status, body = _join(client, sid, name)
        assert status == 422 and body["error"]["code"] == "room_closed"


def test_a_cancelled_session_cannot_be_joined(client: FlaskClient, world: World, booked: Booked) -> None:
    booking.cancel(booked.session, booked.case, world.mediators[0], "illness")
    with time_machine.travel(booked.starts_at, tick=False):
        status, body = _join(client, booked.session.id, world.applicant.username)
    assert status == 409 and body["error"]["code"] == "session_not_joinable"


def test_room_page_hosts_room_js_with_its_data(app: Flask, client: FlaskClient, world: World,
                                               booked: Booked) -> None:
    login(client, world.respondent.username)
    with time_machine.travel(booked.starts_at - timedelta(minutes=2), tick=False):
        resp = client.get(f"/sessions/{booked.session.id}/room")
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert 'src="/static/js/room.js"' in html and 'id="odr-room"' in html
        assert html.index('src="/static/js/room_view.js"') < html.index('src="/static/js/room.js"')
        attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', html))
        assert attrs["session-id"] == str(booked.session.id)
        assert attrs["join-url"] == f"/api/v1/sessions/{booked.session.id}/join"
        assert attrs["role"] == "party" and attrs["side"] == "respondent"
        assert attrs["signaling-url"] == f"{app.config['MEDIA_URL']}/rooms/offer"
        assert attrs["csrf-token"] and attrs["lang"] in ("zh", "en")
        assert "<script>" not in html and "onclick" not in html
        # the page's own flow: the browser joins with its session cookie and the CSRF token
        joined = client.post(attrs["join-url"], headers={"X-CSRFToken": attrs["csrf-token"]})
        assert joined.status_code == 200, joined.get_json()
        assert verify_room_token(app.config["MEDIA_SECRET"], joined.get_json()["room_token"]).side == "respondent"
        refused = client.post(attrs["join-url"])
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"


def test_room_page_explains_when_it_is_closed_and_hides_from_outsiders(client: FlaskClient, world: World,
                                                                      booked: Booked) -> None:
    login(client, world.applicant.username)
    html = client.get(f"/sessions/{booked.session.id}/room").get_data(as_text=True)
    assert "15 minutes before" in html and "room.js" not in html and "id=\"odr-room\"" not in html
    assert "Recording" in html and 'name="csrf_token"' in html
    other = client.application.test_client()
    login(other, world.outsider.username)
    assert other.get(f"/sessions/{booked.session.id}/room").status_code == 404
