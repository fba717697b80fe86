"""The intake path through the JSON API (API.md), on the real app and database."""

from __future__ import annotations

import threading

from odr.accounts.models import User
from odr.audit.services import verify_chain
from odr.cases import services
from odr.cases.models import Case, Invitation
from odr.core.errors import BadInput
from odr.extensions import db
from tests.case_factories import accepted_case, case_data, file_case, submitted_case
from tests.conftest import api_token


def test_file_submit_accept_respond_through_api(client, world):
    h = api_token(client, "applicant")
    body = case_data(world)
    resp = client.post("/api/v1/cases", json=body, headers=h)
    assert resp.status_code == 201, resp.get_json()
    case = resp.get_json()
    assert case["status"] == "draft" and case["number"] is None
    assert [c["amount"] for c in case["claims"]] == [None, "2000.00"]
    assert {p["side"] for p in case["parties"]} == {"applicant", "respondent"}

    resp = client.post(f"/api/v1/cases/{case['id']}/submit", headers=h)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "submitted"
    assert resp.get_json()["number"].endswith("人调字第1号")

    # the respondent cannot act on a case they were not invited to
    rh = api_token(client, "respondent")
    assert client.post(f"/api/v1/cases/{case['id']}/respond", json={"decision": "accept"},
                       headers=rh).status_code == 404
    ah = api_token(client, "orgadmin")
    resp = client.post(f"/api/v1/cases/{case['id']}/accept", headers=ah)
    assert resp.status_code == 200 and resp.get_json()["status"] == "accepted"
    assert db.session.query(Invitation).filter_by(case_id=case["id"]).count() == 1

    raw = services.issue_invitations(db.session.get(Case, case["id"]))[0][1]
    resp = client.post(f"/api/v1/invitations/{raw}/claim", headers=rh)
    assert resp.status_code == 200, resp.get_json()
    again = client.post(f"/api/v1/invitations/{raw}/claim", headers=rh)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invitation_used"

    resp = client.post(f"/api/v1/cases/{case['id']}/respond",
                       json={"decision": "accept", "statement": "同意调解"}, headers=rh)
    assert resp.status_code == 200 and resp.get_json()["status"] == "in_mediation"
    events = client.get(f"/api/v1/cases/{case['id']}/events?per_page=200", headers=h).get_json()
    actions = [e["action"] for e in events["items"]]
    for expected in ("case.create", "case.submit", "case.accept", "invitation.claim", "case.respond",
                     "case.begin_mediation"):
        assert expected in actions
    assert verify_chain().ok


def test_bad_input_is_400_not_500(client, world):
    h = api_token(client, "applicant")
    bad = case_data(world, category="astrology", claims=[{"description": "x", "amount": "-3"}],
                    respondents=[{"kind": "person", "name": "李四", "id_number": "110105194912310021"}])
    resp = client.post("/api/v1/cases", json=bad, headers=h)
    assert resp.status_code == 400
    fields = resp.get_json()["error"]["fields"]
    assert "category" in fields and "claims.0.amount" in fields
    # the service checks the ID number's check digit (GB 11643) after the schema
    resp = client.post("/api/v1/cases", headers=h, json=case_data(
        world, respondents=[{"kind": "person", "name": "李四", "id_number": "110105194912310021"}]))
    assert resp.status_code == 400 and "respondents.0.id_number" in resp.get_json()["error"]["fields"]
    assert client.post("/api/v1/cases", data="{", headers={**h, "Content-Type": "application/json"}).status_code == 400
    assert client.get("/api/v1/cases/99999999999999999999", headers=h).status_code == 404


def test_decline_ends_case_and_reject_needs_reason(client, world):
    case = accepted_case(world)
    raw = world.extra["invitations"][case.id][0]
    rh = api_token(client, "respondent")
    client.post(f"/api/v1/invitations/{raw}/claim", headers=rh)
    resp = client.post(f"/api/v1/cases/{case.id}/respond", json={"decision": "decline", "statement": "不同意"},
                       headers=rh)
    assert resp.status_code == 200 and resp.get_json()["status"] == "declined"
    other = submitted_case(world)
    ah = api_token(client, "orgadmin")
    assert client.post(f"/api/v1/cases/{other.id}/reject", json={"reason": ""}, headers=ah).status_code == 400
    resp = client.post(f"/api/v1/cases/{other.id}/reject", json={"reason": "不属于人民调解范围"}, headers=ah)
    assert resp.get_json()["status"] == "rejected"
    # a second decision conflicts with the state
    assert client.post(f"/api/v1/cases/{other.id}/accept", headers=ah).status_code == 409


def test_court_diversion_is_submitted_at_once(client, world):
    h = api_token(client, "clerk")
    body = case_data(world, source="court_diversion", court_case_number="(2026)浙0681民初100号",
                     applicants=[{"kind": "person", "name": "张三", "phone": "13900000001"}])
    body.pop("organization_id")
    resp = client.post("/api/v1/cases", json=body, headers=h)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["status"] == "submitted" and out["source"] == "court_diversion"
    assert out["court_id"] == world.court.id and out["organization_id"] == world.county.id
    # a party cannot claim to be a court
    ph = api_token(client, "applicant")
    assert client.post("/api/v1/cases", json=case_data(world, source="court_diversion"),
                       headers=ph).status_code == 403


def test_transfer_renumbers_and_outsider_sees_nothing(client, world):
    case = submitted_case(world)
    ah = api_token(client, "orgadmin")
    resp = client.post(f"/api/v1/cases/{case.id}/transfer",
                       json={"organization_id": world.town.id, "reason": "属地管辖"}, headers=ah)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["organization_id"] == world.town.id
    assert resp.get_json()["number"].startswith(f"({case.number_year})枫桥镇")
    oh = api_token(client, "outsider")
    assert client.get(f"/api/v1/cases/{case.id}", headers=oh).status_code == 404
    assert client.get("/api/v1/cases", headers=oh).get_json()["total"] == 0


def test_expired_and_tampered_invitations(client, world, app):
    import time_machine

    case = accepted_case(world)
    raw = world.extra["invitations"][case.id][0]
    rh = api_token(client, "respondent")
    assert client.post(f"/api/v1/invitations/{raw[:-2]}xx/claim", headers=rh).get_json()["error"]["code"] \
        == "invitation_invalid"
    expires = db.session.query(Invitation).filter_by(case_id=case.id).order_by(Invitation.id.desc()).first().expires_at
    with time_machine.travel(expires, tick=False):
        resp = client.post(f"/api/v1/invitations/{raw}/claim", headers=api_token(client, "respondent"))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "invitation_expired"


def test_draft_update_keeps_and_checks(world):
    case = file_case(world)
    services.update_draft(case, world.applicant, {"facts": "新的事实经过，双方多次协商。"})
    assert case.facts.startswith("新的")
    try:
        services.update_draft(case, world.applicant, {"respondents": [{"kind": "organization", "name": "某公司",
                                                                          "credit_code": "123"}]})
    except BadInput as exc:
        assert "respondents.0.credit_code" in exc.fields
    else:
        raise AssertionError("a bad credit code was accepted")


def test_numbers_are_gap_free_under_concurrency(app, world):
    """Eight applicants submit at the same moment: numbers 1..8, no gap, no duplicate."""
    ids = [file_case(world).id for _ in range(8)]
    user_id = world.applicant.id
    errors: list[BaseException] = []

    def submit(case_id: int) -> None:
        from odr import sqlite_begin_mode
        sqlite_begin_mode.set("IMMEDIATE")
        with app.app_context():
            try:
                services.submit_case(db.session.get(Case, case_id), db.session.get(User, user_id))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    db.session.commit()
    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    db.session.expire_all()
    seqs = sorted(db.session.get(Case, i).number_seq for i in ids)
    assert seqs == list(range(1, 9))
