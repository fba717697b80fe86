"""Extending the mediation period with every party's consent: API, web forms, expiry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from odr.audit.models import AuditEvent
from odr.core.time import DEFAULT_TZ, now
from odr.extensions import db
from odr.notifications.models import Notification
from odr.scheduling.models import Deadline, ExtensionRequest
from odr.scheduling.sweep import process_expired_deadlines
from tests.case_factories import case_in_mediation
from tests.conftest import api_token, csrf_token, login


def _period(case):
    db.session.expire_all()
    return db.session.execute(select(Deadline).where(
        Deadline.case_id == case.id, Deadline.kind == "mediation_period").order_by(Deadline.id.desc())).scalars().first()


def _later(deadline, days):
    return (deadline.due_at.astimezone(DEFAULT_TZ).date() + timedelta(days=days)).isoformat()


def test_all_parties_consent_moves_the_period(app, client, world):
    case = case_in_mediation(world)
    period = _period(case)
    assert period is not None and period.status == "open"
    old_due, target = period.due_at, _later(period, 14)
    med, app_h, resp_h = (api_token(client, u) for u in ("mediator", "applicant", "respondent"))

    resp = client.post(f"/api/v1/cases/{case.id}/extension", headers=med,
                       json={"due_date": target, "reason": "评估报告尚未出具"})
    assert resp.status_code == 201, resp.get_json()
    ext = resp.get_json()
    assert ext["status"] == "pending" and ext["due_date"] == target and ext["days"] == 14
    # one request at a time; parties ask, the mediator answers: both refused
    again = client.post(f"/api/v1/cases/{case.id}/extension", headers=med, json={"due_date": target, "reason": "x"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "extension_pending"
    assert client.post(f"/api/v1/cases/{case.id}/extension", headers=app_h,
                       json={"due_date": target, "reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/extensions/{ext['id']}/consent", headers=med,
                       json={"consent": True}).status_code == 403
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "extension_requested", Notification.user_id == world.respondent.id)) == 1

    first = client.post(f"/api/v1/extensions/{ext['id']}/consent", headers=app_h, json={"consent": True})
    assert first.status_code == 200 and first.get_json()["status"] == "pending"
    twice = client.post(f"/api/v1/extensions/{ext['id']}/consent", headers=app_h, json={"consent": True})
    assert twice.status_code == 409
    assert _period(case).due_at == old_due

    done = client.post(f"/api/v1/extensions/{ext['id']}/consent", headers=resp_h, json={"consent": True})
    assert done.status_code == 200 and done.get_json()["status"] == "applied"
    moved = _period(case)
    assert moved.id == period.id and moved.extended_count == 1 and moved.status == "open"
    assert moved.due_at.astimezone(DEFAULT_TZ).date().isoformat() == target
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)))
    assert {"case.extension.request", "case.extension.consent", "deadline.extend"} <= actions
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "extension_applied")) >= 3  # both parties and the mediator
    listed = client.get(f"/api/v1/cases/{case.id}/extensions", headers=resp_h).get_json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "applied"


def test_refusal_ends_the_request_and_bad_dates_are_refused(app, client, world):
    case = case_in_mediation(world)
    period = _period(case)
    med, resp_h = api_token(client, "mediator"), api_token(client, "respondent")
    url = f"/api/v1/cases/{case.id}/extension"
    earlier = client.post(url, headers=med, json={"due_date": _later(period, -1), "reason": "x"})
    assert earlier.status_code == 422 and earlier.get_json()["error"]["code"] == "date_not_later"
    assert client.post(url, headers=med, json={"due_date": "next week", "reason": "x"}).status_code == 400
    assert client.post(url, headers=med, json={"due_date": _later(period, 500), "reason": "x"}).status_code == 422
    assert client.post(url, headers=med, json={"due_date": _later(period, 5), "reason": " "}).status_code == 400
    assert db.session.scalar(select(func.count(ExtensionRequest.id))) == 0

    ext = client.post(url, headers=med, json={"due_date": _later(period, 5), "reason": "补充证据"}).get_json()
    refused = client.post(f"/api/v1/extensions/{ext['id']}/consent", headers=resp_h, json={"consent": False})
    assert refused.status_code == 200 and refused.get_json()["status"] == "refused"
    assert _period(case).due_at == period.due_at and _period(case).extended_count == 0
    assert client.post(f"/api/v1/extensions/{ext['id']}/consent", headers=resp_h,
                       json={"consent": True}).status_code == 409
    # a refusal ends this request only: the mediator may ask again
    assert client.post(url, headers=med, json={"due_date": _later(period, 3), "reason": "再议"}).status_code == 201


def test_extension_after_expiry_reopens_the_period(app, client, world):
    case = case_in_mediation(world)
    period = _period(case)
    period.due_at = now() - timedelta(minutes=1)
    db.session.commit()
    assert process_expired_deadlines() >= 1
    db.session.expire_all()
    grace = db.session.execute(select(Deadline).where(Deadline.kind == "mediation_grace")).scalar_one()
    assert grace.status == "open" and _period(case).status == "expired"

    med = api_token(client, "mediator")
    target = (now().astimezone(DEFAULT_TZ).date() + timedelta(days=10)).isoformat()
    ext = client.post(f"/api/v1/cases/{case.id}/extension", headers=med,
                      json={"due_date": target, "reason": "双方仍在协商"}).get_json()
    for who in ("applicant", "respondent"):
        client.post(f"/api/v1/extensions/{ext['id']}/consent", headers=api_token(client, who), json={"consent": True})
    fresh = _period(case)
    assert fresh.id != period.id and fresh.status == "open" and fresh.extended_count == 1
    db.session.refresh(grace)
    assert grace.status == "met"


def test_extension_through_the_deadlines_panel(app, client, world):
    case = case_in_mediation(world)
    period = _period(case)
    target = _later(period, 7)
    login(client, "mediator")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/extension"' in page
    token = csrf_token(client, f"/cases/{case.id}")
    # no CSRF token: refused, nothing stored
    client.post(f"/cases/{case.id}/extension", data={"due_date": target, "reason": "x"})
    assert db.session.scalar(select(func.count(ExtensionRequest.id))) == 0
    resp = client.post(f"/cases/{case.id}/extension", data={"due_date": target, "reason": "鉴定中", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#deadlines")
    req = db.session.execute(select(ExtensionRequest)).scalar_one()

    party = app.test_client()
    for who in ("applicant", "respondent"):
        login(party, who)
        page = party.get(f"/cases/{case.id}").get_data(as_text=True)
        assert f"/extensions/{req.id}/consent" in page
        party.post(f"/extensions/{req.id}/consent",
                   data={"consent": "yes", "csrf_token": csrf_token(party, f"/cases/{case.id}")})
        party.post("/logout", data={"csrf_token": csrf_token(party, f"/cases/{case.id}")})
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, req.id).status == "applied"
    assert _period(case).due_at.astimezone(DEFAULT_TZ).date().isoformat() == target
