"""Judicial confirmation through the API: both outcomes end to end, and every refusal."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from odr.cases.models import Agent, Case
from odr.confirmation.models import ConfirmationApplication
from odr.confirmation.services import lapse_windows
from odr.core.time import local_today, now
from odr.documents.models import Document
from odr.documents.services import read_bytes
from odr.evidence.models import Evidence
from odr.extensions import db
from odr.mediators.staff import create_staff
from odr.notifications.models import Delivery, Notification
from odr.organizations.services import create_court
from odr.scheduling.models import Deadline
from tests.confirmation.helpers import effective_case
from tests.conftest import api_token
from tests.factories import PASSWORD, World

_TOKENS: dict[tuple[int, str], dict[str, str]] = {}


@pytest.fixture(autouse=True)
def _fresh_tokens() -> None:
    _TOKENS.clear()  # every test starts with empty tables, so earlier tokens are gone


def _auth(client: FlaskClient, username: str) -> dict[str, str]:
    """One bearer token per user and test client (each login checks a password hash: slow on purpose)."""
    key = (id(client), username)
    if key not in _TOKENS:
        _TOKENS[key] = api_token(client, username)
    return _TOKENS[key]


def _consent(client: FlaskClient, username: str, case_id: int, **body: object) -> object:
    return client.post(f"/api/v1/cases/{case_id}/confirmation", json=body, headers=_auth(client, username))


def _submitted(client: FlaskClient, world: World) -> tuple[Case, int]:
    case = effective_case(world)
    assert _consent(client, "applicant", case.id).status_code == 200
    resp = _consent(client, "respondent", case.id)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "submitted"
    return case, resp.get_json()["id"]


def _pdf_text(tmp_path: Path, doc: Document) -> str:
    target = tmp_path / "ruling.pdf"
    target.write_bytes(read_bytes(doc))
    return subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_single_party_never_submits(client: FlaskClient, world: World) -> None:
    case = effective_case(world)
    resp = _consent(client, "applicant", case.id)
    body = resp.get_json()
    assert resp.status_code == 200 and body["status"] == "pending_consent"
    assert body["waiting_for"] == ["李四"]
    again = _consent(client, "applicant", case.id)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_consented"
    listed = client.get("/api/v1/confirmations", headers=_auth(client, "clerk")).get_json()
    assert listed["total"] == 0  # the court does not see a one-sided application
    assert client.get(f"/api/v1/confirmations/{body['id']}",
                      headers=_auth(client, "clerk")).status_code == 404
    app_row = db.session.get(ConfirmationApplication, body["id"])
    assert app_row.submitted_at is None and len(app_row.consents) == 1


def test_outsider_and_mediator_cannot_consent(client: FlaskClient, world: World) -> None:
    case = effective_case(world)
    assert _consent(client, "outsider", case.id).status_code == 404
    assert _consent(client, world.mediators[0].username, case.id).status_code == 403
    assert db.session.execute(select(ConfirmationApplication)).first() is None


def test_after_window_refused_and_told_what_to_do(client: FlaskClient, world: World) -> None:
    case = effective_case(world)
    with time_machine.travel(now() + timedelta(days=31), tick=False):
        resp = _consent(client, "applicant", case.id)
    err = resp.get_json()["error"]
    assert resp.status_code == 422 and err["code"] == "confirmation_window_closed"
    assert "no longer" in err["message"] and "sue" in err["message"]
    assert db.session.execute(select(ConfirmationApplication)).first() is None


def test_confirm_end_to_end(client: FlaskClient, world: World, tmp_path: Path) -> None:
    case, app_id = _submitted(client, world)
    application = db.session.get(ConfirmationApplication, app_id)
    assert application.court_id == world.court.id and application.warnings == []
    assert application.packet["parties"] and application.packet["agreement"]["number"]
    assert application.packet.get("application_document_id")
    kinds = {d.kind for d in db.session.execute(
        select(Deadline).where(Deadline.confirmation_id == app_id, Deadline.status == "open")).scalars()}
    assert kinds == {"court_acceptance"}

    clerk = _auth(client, "clerk")
    listed = client.get("/api/v1/confirmations?status=submitted", headers=clerk).get_json()
    assert [i["id"] for i in listed["items"]] == [app_id] and listed["items"][0]["due_at"]
    resp = client.post(f"/api/v1/confirmations/{app_id}/accept", headers=clerk)
    assert resp.status_code == 200 and resp.get_json()["status"] == "accepted"
    open_kinds = {d.kind for d in db.session.execute(
        select(Deadline).where(Deadline.confirmation_id == app_id, Deadline.status == "open")).scalars()}
    assert open_kinds == {"conclusion_target", "conclusion_hard"}
    resp = client.post(f"/api/v1/confirmations/{app_id}/assign", json={"judge_id": world.judge.id}, headers=clerk)
    assert resp.get_json()["judge_name"] == world.judge.display_name

    # the clerk may not rule; the judge does
    assert client.post(f"/api/v1/confirmations/{app_id}/rule", json={"decision": "confirm"},
                       headers=clerk).status_code == 403
    judge = _auth(client, "judge")
    resp = client.post(f"/api/v1/confirmations/{app_id}/rule", json={"decision": "confirm"}, headers=judge)
    body = resp.get_json()
    assert resp.status_code == 200, body
    year = now().year
    assert body["status"] == "confirmed" and body["ruling_number"] == f"({year})浙0681民特1号"
    case = db.session.get(Case, case.id)
    assert case.status == "closed"
    doc = db.session.get(Document, body["ruling_document_id"])
    text = _pdf_text(tmp_path, doc)
    assert "民事裁定书" in text and "浙0681民特1号" in text and "有效" in text
    assert world.judge.display_name in text and world.clerk.display_name in text
    served = db.session.execute(select(Delivery).where(Delivery.document_id == doc.id)).scalars().all()
    assert {d.recipient_id for d in served} >= {world.applicant.id, world.respondent.id}
    performance = db.session.execute(select(Deadline).where(
        Deadline.case_id == case.id, Deadline.kind == "performance")).scalars().all()
    assert all(d.status == "open" for d in performance)

    again = client.post(f"/api/v1/confirmations/{app_id}/rule", json={"decision": "confirm"}, headers=judge)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_ruled"
    assert db.session.get(ConfirmationApplication, app_id).ruling_number == body["ruling_number"]


def test_reject_needs_grounds_then_rejects(client: FlaskClient, world: World, tmp_path: Path) -> None:
    case, app_id = _submitted(client, world)
    judge = _auth(client, "judge")
    resp = client.post(f"/api/v1/confirmations/{app_id}/rule", json={"decision": "reject", "grounds": []},
                       headers=judge)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "grounds_required"
    assert db.session.get(ConfirmationApplication, app_id).status == "submitted"
    assert client.post(f"/api/v1/confirmations/{app_id}/rule", headers=judge,
                       json={"decision": "reject", "grounds": ["made_up"]}).status_code == 400
    resp = client.post(f"/api/v1/confirmations/{app_id}/rule", headers=judge,
                       json={"decision": "reject", "grounds": ["unclear"], "reason": "履行方式约定不明。"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["status"] == "rejected" and body["accepted_at"]  # implicit 受理
    assert db.session.get(Case, case.id).status == "closed"
    text = _pdf_text(tmp_path, db.session.get(Document, body["ruling_document_id"]))
    assert "驳回" in text and "内容不明确" in text and "提起诉讼" in text


def test_judge_of_another_court_is_refused(client: FlaskClient, world: World) -> None:
    _case, app_id = _submitted(client, world)
    other = create_court({"name": "绍兴市越城区人民法院", "code": "浙0602", "region_code": "330602"}, world.admin)
    create_staff({"username": "otherjudge", "password": PASSWORD, "display_name": "赵法官", "role": "judge",
                  "court_id": other.id}, world.admin)
    db.session.commit()
    headers = api_token(client, "otherjudge")
    resp = client.post(f"/api/v1/confirmations/{app_id}/rule", json={"decision": "confirm"}, headers=headers)
    assert resp.status_code == 404
    assert client.get("/api/v1/confirmations", headers=headers).get_json()["total"] == 0
    assert db.session.get(ConfirmationApplication, app_id).status == "submitted"


def test_materials_not_accept_and_withdraw(client: FlaskClient, world: World) -> None:
    _case, app_id = _submitted(client, world)
    clerk = _auth(client, "clerk")
    bad = client.post(f"/api/v1/confirmations/{app_id}/request-materials", headers=clerk,
                      json={"description": "补充借条原件", "due_date": local_today().isoformat()})
    assert bad.status_code == 400 and "due_date" in bad.get_json()["error"]["fields"]
    due = (local_today() + timedelta(days=5)).isoformat()
    resp = client.post(f"/api/v1/confirmations/{app_id}/request-materials", headers=clerk,
                       json={"description": "补充借条原件", "due_date": due})
    assert resp.status_code == 200 and resp.get_json()["status"] == "awaiting_materials"
    # before acceptance the 3-day acceptance clock stops (C §354)
    assert not db.session.execute(select(Deadline).where(
        Deadline.confirmation_id == app_id, Deadline.kind == "court_acceptance",
        Deadline.status == "open")).first()
    resp = client.post(f"/api/v1/confirmations/{app_id}/materials", json={"note": "已上传借条原件照片"},
                       headers=_auth(client, "applicant"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"
    assert client.post(f"/api/v1/confirmations/{app_id}/not-accept", json={"reason": ""},
                       headers=clerk).status_code == 400
    resp = client.post(f"/api/v1/confirmations/{app_id}/withdraw", json={"reason": "双方已自行履行"},
                       headers=_auth(client, "respondent"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/confirmations/{app_id}/accept", headers=clerk).status_code == 409
    listed = client.get("/api/v1/confirmations?status=withdrawn", headers=clerk).get_json()
    assert listed["total"] == 1  # the court keeps the record


def test_not_accept_with_reason(client: FlaskClient, world: World) -> None:
    _case, app_id = _submitted(client, world)
    resp = client.post(f"/api/v1/confirmations/{app_id}/not-accept", json={"reason": "不属于本院管辖"},
                       headers=_auth(client, "clerk"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "not_accepted"
    assert resp.get_json()["reason"] == "不属于本院管辖"


def test_family_status_matter_is_warned(client: FlaskClient, world: World) -> None:
    terms = [{"obligor": "李四", "obligee": "张三", "description": "双方解除收养关系，李四支付抚养费", "amount": "5000.00",
              "due_date": "2026-12-31"}]
    case = effective_case(world, terms=terms, category="family")
    body = _consent(client, "applicant", case.id).get_json()
    assert [w["code"] for w in body["warnings"]] == ["personal_status"]
    assert "收养" in body["warnings"][0]["message"]


def test_openapi_describes_the_confirmation_endpoints(client: FlaskClient, world: World) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path, method in (("/api/v1/cases/{case_id}/confirmation", "post"), ("/api/v1/confirmations", "get"),
                         ("/api/v1/confirmations/{app_id}/rule", "post"),
                         ("/api/v1/confirmations/{app_id}/accept", "post"),
                         ("/api/v1/confirmations/{app_id}/not-accept", "post"),
                         ("/api/v1/confirmations/{app_id}/request-materials", "post"),
                         ("/api/v1/confirmations/{app_id}/withdraw", "post"),
                         ("/api/v1/confirmations/{app_id}", "get")):
        assert method in paths[path], path


def test_bad_json_is_400_not_500(client: FlaskClient, world: World) -> None:
    _case, app_id = _submitted(client, world)
    judge = _auth(client, "judge")
    resp = client.post(f"/api/v1/confirmations/{app_id}/rule", json={"decision": "maybe", "grounds": "x"},
                       headers=judge)
    assert resp.status_code == 400 and set(resp.get_json()["error"]["fields"]) >= {"decision", "grounds"}
    resp = client.post(f"/api/v1/confirmations/{app_id}/request-materials", json={"due_date": "soon"},
                       headers=_auth(client, "clerk"))
    assert resp.status_code == 400


def test_agent_needs_power_of_attorney(client: FlaskClient, world: World) -> None:
    case = effective_case(world)
    party = next(p for p in case.parties if p.side == "respondent")
    party.user_id = None  # the respondent acts through an agent only
    agent = Agent(case_id=case.id, party_id=party.id, user_id=world.outsider.id, name=world.outsider.display_name)
    db.session.add(agent)
    db.session.commit()
    resp = _consent(client, "outsider", case.id)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "power_of_attorney_missing"
    assert db.session.execute(select(ConfirmationApplication)).first() is None
    poa = Evidence(case_id=case.id, kind="power_of_attorney", title="授权委托书", filename="poa.pdf", size=10,
                   sha256="0" * 64, media_type="application/pdf", storage_key="test/poa.pdf",
                   submitted_by_id=world.outsider.id)
    db.session.add(poa)
    db.session.flush()
    db.session.get(Agent, agent.id).power_of_attorney_id = poa.id
    db.session.commit()
    assert _consent(client, "applicant", case.id).get_json()["status"] == "pending_consent"
    resp = _consent(client, "outsider", case.id)
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"


def test_unused_window_closes_the_case_and_tells_the_parties(client: FlaskClient, world: World) -> None:
    case = effective_case(world)
    with time_machine.travel(now() + timedelta(days=31), tick=False):
        assert lapse_windows() == 1
    assert db.session.get(Case, case.id).status == "closed"
    notes = db.session.execute(select(Notification).where(
        Notification.kind == "confirmation_window_closed")).scalars().all()
    assert {n.user_id for n in notes} == {world.applicant.id, world.respondent.id}
    assert all("no longer" in n.body for n in notes)
