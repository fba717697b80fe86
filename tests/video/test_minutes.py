"""Session minutes: versions, confirmation by each party, fixed once everyone confirmed."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from odr.audit.models import AuditEvent
from odr.core.errors import Conflict, Forbidden
from odr.extensions import db
from odr.scheduling import minutes as svc
from odr.scheduling.models import Minutes
from tests.conftest import api_token, csrf_token, login
from tests.factories import World
from tests.video.conftest import Booked


def _fresh(m: Minutes) -> Minutes:
    db.session.expire_all()
    return db.session.get(Minutes, m.id)


def test_versions_and_confirmation(world: World, booked: Booked) -> None:
    case, session, mediator = booked.case, booked.session, world.mediators[0]
    v1 = svc.save_minutes(case, session, mediator, "张三：通道上的杂物影响通行。")
    assert (v1.version, v1.status) == (1, "draft")
    same = svc.save_minutes(case, session, mediator, "张三：通道上的杂物影响通行。\n李四：同意清理。")
    assert same.id == v1.id and same.version == 1  # nobody confirmed yet: edited in place
    with pytest.raises(Conflict):
        svc.confirm_minutes(v1, world.applicant)  # a draft is not open for confirmation
    v1 = svc.save_minutes(case, session, mediator, same.body, submit=True)
    assert (v1.id, v1.status) == (same.id, "confirming")
    svc.confirm_minutes(v1, world.applicant)
    with pytest.raises(Conflict):
        svc.confirm_minutes(v1, world.applicant)
    assert _fresh(v1).status == "confirming"
    # a change after someone confirmed: a new version; the old text is not altered
    v2 = svc.save_minutes(case, session, mediator, same.body + "\n双方约定三日内清理。", submit=True)
    assert (v2.version, v2.status) == (2, "confirming")
    assert _fresh(v1).status == "superseded" and _fresh(v1).body == same.body
    svc.confirm_minutes(v2, world.respondent)
    assert _fresh(v2).status == "confirming"
    done = svc.confirm_minutes(v2, world.applicant)
    assert done.status == "confirmed" and done.confirmed_at is not None
    with pytest.raises(Conflict):
        svc.confirm_minutes(v2, world.respondent)
    # fixed: a later change is a supplement, the confirmed version stays confirmed
    v3 = svc.save_minutes(case, session, mediator, "补充：李四表示歉意。")
    assert (v3.version, v3.status) == (3, "draft")
    assert _fresh(v2).status == "confirmed" and "三日内" in _fresh(v2).body
    actions = [e.action for e in db.session.execute(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action.like("minutes.%"))).scalars()]
    assert actions.count("minutes.confirm") == 3 and "minutes.confirmed" in actions
    assert "minutes.supersede" in actions


def test_only_the_mediator_writes_and_only_parties_confirm(world: World, booked: Booked) -> None:
    case, session = booked.case, booked.session
    with pytest.raises(Forbidden):
        svc.save_minutes(case, session, world.applicant, "我来写")
    m = svc.save_minutes(case, session, world.mediators[0], "记录", submit=True)
    for user in (world.mediators[0], world.org_admin, world.outsider):
        with pytest.raises(Forbidden):
            svc.confirm_minutes(m, user)


def test_minutes_over_the_api(client: FlaskClient, world: World, booked: Booked) -> None:
    sid = booked.session.id
    med, app_h = api_token(client, world.mediators[0].username), api_token(client, world.applicant.username)
    resp = client.put(f"/api/v1/sessions/{sid}/minutes", json={"body": "调解员：开始调解。"}, headers=med)
    assert resp.status_code == 200 and resp.get_json()["status"] == "draft"
    assert client.get(f"/api/v1/sessions/{sid}/minutes", headers=app_h).get_json()["total"] == 0
    assert client.put(f"/api/v1/sessions/{sid}/minutes", json={"body": "x"}, headers=app_h).status_code == 403
    resp = client.put(f"/api/v1/sessions/{sid}/minutes", json={"body": "调解员：开始调解。", "submit": True},
                      headers=med)
    mid = resp.get_json()["id"]
    listed = client.get(f"/api/v1/sessions/{sid}/minutes", headers=app_h).get_json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "confirming"
    assert client.post(f"/api/v1/minutes/{mid}/confirm", headers=app_h).status_code == 200
    last = client.post(f"/api/v1/minutes/{mid}/confirm", headers=api_token(client, world.respondent.username))
    assert last.status_code == 200 and last.get_json()["status"] == "confirmed"
    assert all(c["confirmed_at"] for c in last.get_json()["confirmations"])
    outsider = api_token(client, world.outsider.username)
    assert client.post(f"/api/v1/minutes/{mid}/confirm", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/sessions/{sid}/minutes", headers=outsider).status_code == 404


def test_minutes_pages(app: Flask, world: World, booked: Booked) -> None:
    sid = booked.session.id
    mediator = app.test_client()
    login(mediator, world.mediators[0].username)
    page = mediator.get(f"/sessions/{sid}/minutes")
    assert page.status_code == 200 and 'id="minutes-body"' in page.get_data(as_text=True)
    token = csrf_token(mediator, f"/sessions/{sid}/minutes")
    resp = mediator.post(f"/sessions/{sid}/minutes", data={"csrf_token": token, "body": "调解员：请双方陈述。",
                                                          "action": "submit"})
    assert resp.status_code == 302
    assert mediator.post(f"/sessions/{sid}/minutes", data={"body": "no token"}).status_code == 400
    minutes = db.session.execute(select(Minutes)).scalar_one()
    party = app.test_client()
    login(party, world.applicant.username)
    html = party.get(f"/minutes/{minutes.id}").get_data(as_text=True)
    assert "请双方陈述" in html and f'action="/minutes/{minutes.id}/confirm"' in html
    assert 'id="minutes-body"' not in party.get(f"/sessions/{sid}/minutes").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert party.post(f"/minutes/{minutes.id}/confirm", data={"csrf_token": token}).status_code == 302
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "minutes.confirm")).first()
    assert party.post(f"/sessions/{sid}/minutes", data={"csrf_token": token, "body": "x"}).status_code == 403


def test_the_case_panel_lists_sessions_and_minutes(app: Flask, world: World, booked: Booked) -> None:
    svc.save_minutes(booked.case, booked.session, world.mediators[0], "记录", submit=True)
    with app.test_request_context("/"):
        from flask import render_template_string
        from flask_login import login_user

        login_user(world.applicant)
        html = render_template_string('{% include "cases/_panel_minutes.html" %}', case=booked.case)
        assert f"/sessions/{booked.session.id}/room" in html and "Read and confirm" in html
        login_user(world.outsider)
        assert "panel-minutes" not in render_template_string('{% include "cases/_panel_minutes.html" %}',
                                                             case=booked.case)


def test_recording_consent_is_recorded(app: Flask, world: World, booked: Booked) -> None:
    client = app.test_client()
    login(client, world.respondent.username)
    token = csrf_token(client, f"/sessions/{booked.session.id}/room")
    resp = client.post(f"/sessions/{booked.session.id}/recording-consent", data={"csrf_token": token, "consent": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    row = next(a for a in booked.session.attendees if a.user_id == world.respondent.id)
    assert row.recording_consent_at is not None
    assert "Withdraw my consent" in client.get(f"/sessions/{booked.session.id}/room").get_data(as_text=True)
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "session.recording_consent")).first()
