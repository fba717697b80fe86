"""Drafting, versions, signing order, immutability and conflicts through the API."""

from __future__ import annotations

import re

from sqlalchemy import select

from odr.agreements.models import Agreement, Signature
from odr.audit.models import AuditEvent
from odr.cases.models import Case
from odr.extensions import db
from tests.agreements.helpers import TERMS, draft, effective_agreement, mediation_case, sign
from tests.conftest import api_token


def test_draft_makes_a_version_with_case_defaults_and_settles_the_case(client, world):
    case = mediation_case(world)
    body = draft(client, world, case)
    assert body["version"] == 1 and body["status"] == "draft"
    assert body["facts"] == case.facts  # pulled from the case
    assert body["copies"] == len(case.parties) + 1 == 3
    assert body["terms"][0]["amount"] == "12000.00" and body["terms"][0]["due_date"] == "2026-12-31"
    assert re.fullmatch(r"[0-9a-f]{64}", body["content_hash"])
    assert db.session.get(Case, case.id).status == "settled"

    second = draft(client, world, case, other_terms="另：双方互不追究。")
    assert second["version"] == 2 and second["content_hash"] != body["content_hash"]
    assert db.session.get(Agreement, body["id"]).status == "superseded"
    versions = client.get(f"/api/v1/cases/{case.id}/agreements",
                          headers=api_token(client, "applicant")).get_json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "agreement.draft")).scalars().all()


def test_only_the_mediator_drafts_and_bad_terms_are_refused_field_by_field(client, world):
    case = mediation_case(world)
    resp = client.put(f"/api/v1/cases/{case.id}/agreement", json={"terms": TERMS},
                      headers=api_token(client, "applicant"))
    assert resp.status_code == 403
    resp = client.put(f"/api/v1/cases/{case.id}/agreement", json={"terms": TERMS},
                      headers=api_token(client, "outsider"))
    assert resp.status_code == 404
    headers = api_token(client, world.mediators[0].username)
    resp = client.put(f"/api/v1/cases/{case.id}/agreement", headers=headers,
                      json={"terms": [{"obligor": "李四", "description": "付款", "amount": "12.345"}]})
    assert resp.status_code == 400 and "terms.0.amount" in resp.get_json()["error"]["fields"]
    resp = client.put(f"/api/v1/cases/{case.id}/agreement", headers=headers, json={"terms": []})
    assert resp.status_code == 400 and "terms" in resp.get_json()["error"]["fields"]
    resp = client.put(f"/api/v1/cases/{case.id}/agreement", headers=headers,
                      json={"terms": [{"obligor": "李四", "description": "付款", "amount": "100.00"}]})
    assert resp.status_code == 400 and "terms.0.obligee" in resp.get_json()["error"]["fields"]
    assert db.session.get(Case, case.id).status == "in_mediation"


def test_signing_order_seal_number_and_effect(client, world):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    mediator = world.mediators[0].username
    early = sign(client, mediator, agreement["id"])
    assert early.status_code == 422 and early.get_json()["error"]["code"] == "parties_sign_first"

    wrong = client.post(f"/api/v1/agreements/{agreement['id']}/sign", json={"password": "nope-nope"},
                        headers=api_token(client, "applicant"))
    assert wrong.status_code == 400 and wrong.get_json()["error"]["code"] == "wrong_password"
    assert sign(client, "outsider", agreement["id"]).status_code == 404

    first = sign(client, "applicant", agreement["id"], content_hash=agreement["content_hash"])
    assert first.status_code == 200 and first.get_json()["status"] == "draft"
    again = sign(client, "applicant", agreement["id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_signed"
    assert sign(client, "respondent", agreement["id"]).status_code == 200
    done = sign(client, mediator, agreement["id"]).get_json()
    assert done["status"] == "effective"
    assert re.fullmatch(r"\(\d{4}\)诸暨人调协字第1号", done["number"])
    roles = [s["role"] for s in done["signatures"]]
    assert roles.count("party") == 2 and "mediator" in roles and "seal" in roles
    assert all(s["content_hash"] == agreement["content_hash"] for s in done["signatures"])

    stored = db.session.get(Agreement, agreement["id"])
    assert stored.sealed_at is not None and stored.effective_at is not None
    sig = db.session.execute(select(Signature).where(Signature.agreement_id == stored.id,
                                                     Signature.role == "party")).scalars().first()
    assert sig.ip == "127.0.0.1" and sig.user_agent
    assert db.session.get(Case, case.id).status == "agreement_effective"
    docs = client.get(f"/api/v1/cases/{case.id}/documents", headers=api_token(client, "respondent")).get_json()
    assert [d["kind"] for d in docs["items"]] == ["settlement_agreement"]
    assert docs["items"][0]["number"] == done["number"]
    from odr.notifications.models import Notification

    told = db.session.execute(select(Notification.user_id).where(
        Notification.kind == "agreement.effective")).scalars().all()
    assert set(told) == {world.applicant.id, world.respondent.id}


def test_outdated_version_is_refused_and_signed_versions_never_change(client, world):
    case = mediation_case(world)
    v1 = draft(client, world, case)
    assert sign(client, "applicant", v1["id"]).status_code == 200
    v2 = draft(client, world, case, performance="分两期履行。")
    # the applicant signed v1; the amendment needs their signature again
    stale = sign(client, "respondent", v1["id"])
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "outdated_version"
    changed = sign(client, "respondent", v2["id"], content_hash=v1["content_hash"])
    assert changed.status_code == 409
    old = db.session.get(Agreement, v1["id"])
    assert old.status == "superseded" and len(old.signatures) == 1
    assert old.content_hash == v1["content_hash"]
    v2_row = db.session.get(Agreement, v2["id"])
    assert v2_row.signatures == []
    comment = client.post(f"/api/v1/agreements/{v1['id']}/comments", json={"body": "旧版本"},
                          headers=api_token(client, "respondent"))
    assert comment.status_code == 409


def test_effective_agreement_cannot_be_redrafted(client, world):
    case = mediation_case(world)
    effective_agreement(client, world, case)
    resp = client.put(f"/api/v1/cases/{case.id}/agreement", json={"terms": TERMS},
                      headers=api_token(client, world.mediators[0].username))
    assert resp.status_code == 409


def test_parties_comment_on_the_draft(client, world):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    resp = client.post(f"/api/v1/agreements/{agreement['id']}/comments",
                       json={"body": "希望分期支付"}, headers=api_token(client, "respondent"))
    assert resp.status_code == 201 and resp.get_json()["body"] == "希望分期支付"
    listed = client.get(f"/api/v1/agreements/{agreement['id']}/comments",
                        headers=api_token(client, "applicant")).get_json()
    assert listed["total"] == 1
    assert client.post(f"/api/v1/agreements/{agreement['id']}/comments", json={"body": "x"},
                       headers=api_token(client, "outsider")).status_code == 404


def test_an_agent_signs_for_the_party_they_represent(client, world):
    from odr.cases.models import Agent

    case = mediation_case(world)
    respondent_party = case.respondents()[0]
    db.session.add(Agent(case_id=case.id, party_id=respondent_party.id, user_id=world.outsider.id, name="王五"))
    db.session.commit()
    agreement = draft(client, world, case)
    resp = sign(client, "outsider", agreement["id"])
    assert resp.status_code == 200
    sig = resp.get_json()["signatures"][0]
    assert sig["role"] == "agent" and sig["party_id"] == respondent_party.id
    assert sign(client, "respondent", agreement["id"]).get_json()["error"]["code"] == "already_signed"
    assert sign(client, "applicant", agreement["id"]).status_code == 200
    assert sign(client, world.mediators[0].username, agreement["id"]).get_json()["status"] == "effective"
