"""Disclosure, recusal and escalation up the tiers, through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from odr.cases.models import Case, Transfer
from odr.extensions import db
from odr.mediators.models import MediatorProfile, RecusalRequest
from odr.notifications.models import Notification
from tests.case_factories import case_in_mediation, submitted_case
from tests.conftest import api_token
from tests.factories import World


def test_party_recusal_granted_reassigns(client: Any, world: World) -> None:
    case = case_in_mediation(world)
    first = case.mediator_id
    resp = client.post(f"/api/v1/cases/{case.id}/recusal", json={"reason": "他是被申请人的表哥"},
                       headers=api_token(client, "applicant"))
    assert resp.status_code == 201, resp.get_json()
    req_id = resp.get_json()["id"]
    assert resp.get_json()["status"] == "pending"
    # the admin was told
    assert db.session.execute(select(Notification).where(Notification.user_id == world.org_admin.id,
                                                         Notification.kind == "recusal.requested")).first()
    resp = client.post(f"/api/v1/recusals/{req_id}/decide", json={"decision": "grant", "note": "relation"},
                       headers=api_token(client, "orgadmin"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["assignment"]["mediator_id"] != first
    db.session.refresh(case)
    assert case.mediator_id not in (None, first)
    assert db.session.get(MediatorProfile, first).active_cases == 0
    # the recused mediator is excluded from later matching
    resp = client.post(f"/api/v1/cases/{case.id}/assign", json={"mediator_id": first},
                       headers=api_token(client, "orgadmin"))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "mediator_excluded"


def test_recusal_needs_reason_and_party(client: Any, world: World) -> None:
    case = case_in_mediation(world)
    resp = client.post(f"/api/v1/cases/{case.id}/recusal", json={"reason": ""},
                       headers=api_token(client, "applicant"))
    assert resp.status_code == 400
    resp = client.post(f"/api/v1/cases/{case.id}/recusal", json={"reason": "x"},
                       headers=api_token(client, "outsider"))
    assert resp.status_code == 404
    assert db.session.execute(select(RecusalRequest)).first() is None


def test_mediator_discloses_and_withdraws(client: Any, world: World) -> None:
    case = case_in_mediation(world)
    headers = api_token(client, "mediator")
    resp = client.post(f"/api/v1/cases/{case.id}/disclosure",
                       json={"has_relation": True, "description": "同村邻居"}, headers=headers)
    assert resp.status_code == 201
    resp = client.post(f"/api/v1/cases/{case.id}/recusal", json={"reason": "利害关系"}, headers=headers)
    assert resp.status_code == 201 and resp.get_json()["status"] == "withdrawn"
    db.session.refresh(case)
    assert case.mediator_id is None
    assert db.session.get(MediatorProfile, world.mediators[0].id).active_cases == 0


def test_escalate_to_parent_keeps_history(client: Any, world: World) -> None:
    case = submitted_case(world, organization_id=world.town.id)
    resp = client.post(f"/api/v1/cases/{case.id}/escalate", json={"reason": "涉及金额较大"},
                       headers=api_token(client, "townadmin"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["kind"] == "escalation" and body["status"] == "submitted"
    assert body["organization_id"] == world.county.id
    db.session.refresh(case)
    assert case.organization_id == world.county.id and case.escalation_count == 1
    assert case.number  # keeps its number and history
    resp = client.get(f"/api/v1/cases/{case.id}/events", headers=api_token(client, "orgadmin"))
    assert resp.status_code == 200
    actions = [e.get("action") for e in resp.get_json().get("items", [])]
    assert "case.escalate" in actions and "case.submit" in actions


def test_escalate_at_the_top_gives_litigation_guidance(client: Any, world: World) -> None:
    case = case_in_mediation(world)
    resp = client.post(f"/api/v1/cases/{case.id}/escalate", json={"reason": "双方分歧过大"},
                       headers=api_token(client, "mediator"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["kind"] == "litigation"
    db.session.refresh(case)
    assert case.status == "failed"
    transfer = db.session.execute(select(Transfer).where(Transfer.case_id == case.id)).scalar_one()
    assert transfer.kind == "litigation" and transfer.to_organization_id is None
    note = db.session.execute(select(Notification).where(Notification.user_id == world.applicant.id,
                                                         Notification.kind == "case.litigation_guidance")
                              ).scalar_one()
    assert "诸暨市人民法院" in note.body


def test_escalate_refused_without_reason_or_right(client: Any, world: World) -> None:
    case = submitted_case(world, organization_id=world.town.id)
    resp = client.post(f"/api/v1/cases/{case.id}/escalate", json={"reason": " "},
                       headers=api_token(client, "townadmin"))
    assert resp.status_code == 400
    resp = client.post(f"/api/v1/cases/{case.id}/escalate", json={"reason": "x"},
                       headers=api_token(client, "applicant"))
    assert resp.status_code == 403
    assert db.session.get(Case, case.id).organization_id == world.town.id
