"""调解不成: only the mediator ends a mediation as failed, with a reason; the parties get the
termination notice and their next steps."""

from __future__ import annotations

from sqlalchemy import select

from odr.audit.models import AuditEvent
from odr.documents.models import Document
from odr.extensions import db
from tests.case_factories import case_in_mediation
from tests.conftest import api_token, csrf_token, login


def test_mediator_fails_a_case_through_the_api(client, world):
    case = case_in_mediation(world)
    party = api_token(client, world.applicant.username)
    assert client.post(f"/api/v1/cases/{case.id}/fail", json={"reason": "x"}, headers=party).status_code == 403
    mediator = api_token(client, world.mediators[0].username)
    empty = client.post(f"/api/v1/cases/{case.id}/fail", json={"reason": " "}, headers=mediator)
    assert empty.status_code == 400 and "reason" in empty.get_json()["error"]["fields"]
    resp = client.post(f"/api/v1/cases/{case.id}/fail", headers=mediator,
                       json={"reason": "双方对赔偿数额分歧过大", "conduct": "被申请人两次无故缺席"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "failed"
    again = client.post(f"/api/v1/cases/{case.id}/fail", json={"reason": "x"}, headers=mediator)
    assert again.status_code == 409
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "case.fail")).scalar_one()
    assert event.after["conduct"] == "被申请人两次无故缺席"
    kinds = db.session.execute(select(Document.kind).where(Document.case_id == case.id)).scalars().all()
    assert "termination_notice" in kinds


def test_mediator_fails_a_case_from_the_case_page(client, world):
    case = case_in_mediation(world)
    login(client, world.mediators[0].username)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/fail" in page
    resp = client.post(f"/cases/{case.id}/fail", data={"csrf_token": csrf_token(client), "reason": ""})
    assert resp.status_code == 400
    resp = client.post(f"/cases/{case.id}/fail", data={"csrf_token": csrf_token(client), "reason": "分歧过大"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(case), case.id).status == "failed"
