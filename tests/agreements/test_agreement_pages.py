"""The web pages: drafting form with term rows, the draft and comments, signing, panels."""

from __future__ import annotations

from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from odr.agreements.models import Agreement, AgreementComment
from odr.cases.models import Case
from odr.extensions import db
from tests.agreements.helpers import draft, effective_agreement, mediation_case
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD


def _form(token: str, **extra: str) -> dict[str, str]:
    data = {"csrf_token": token, "facts": "双方因通道杂物发生纠纷。", "points_in_dispute": "是否清除杂物\n赔偿数额",
            "responsibilities": "", "other_terms": "", "performance": "", "copies": "",
            "terms-0-obligor": "李四", "terms-0-obligee": "张三", "terms-0-description": "赔偿损失",
            "terms-0-amount": "3000.00", "terms-0-due_date": "2026-12-31", "terms-0-method": "lump_sum",
            "terms-1-obligor": "李四", "terms-1-obligee": "", "terms-1-description": "清除杂物",
            "terms-1-amount": "", "terms-1-due_date": "", "terms-1-method": "act"}
    data.update(extra)
    return data


def test_mediator_drafts_with_term_rows_and_a_refused_form_keeps_input(client, world):
    case = mediation_case(world)
    login(client, world.mediators[0].username)
    page = client.get(f"/cases/{case.id}/agreement/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="add-term"' in html and "js/agreements.js" in html
    assert 'value="3"' in html  # copies default: parties + 1
    token = csrf_token(client, f"/cases/{case.id}/agreement/edit")

    refused = client.post(f"/cases/{case.id}/agreement/edit",
                          data=_form(token, **{"terms-0-amount": "3000.999", "facts": "保留我输入的事实"}))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "保留我输入的事实" in html and "20000.00" in html
    assert db.session.execute(select(Agreement)).first() is None

    done = client.post(f"/cases/{case.id}/agreement/edit", data=_form(token))
    assert done.status_code == 302
    agreement = db.session.execute(select(Agreement)).scalar_one()
    assert [t.method for t in agreement.terms] == ["lump_sum", "act"] and agreement.copies == 3
    assert str(agreement.terms[0].amount) == "3000.00"
    again = client.get(f"/cases/{case.id}/agreement/edit").get_data(as_text=True)
    assert "terms-1-description" in again and "清除杂物" in again  # the edit form starts from the latest version


def test_party_reads_comments_and_signs_on_the_web(client, world):
    case = mediation_case(world)
    body = draft(client, world, case)
    login(client, "respondent")
    page = client.get(f"/cases/{case.id}/agreement")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and body["content_hash"] in html and "赔偿损失" in html
    token = csrf_token(client, f"/cases/{case.id}/agreement")
    resp = client.post(f"/agreements/{body['id']}/comment", data={"csrf_token": token, "body": "请改为分期"})
    assert resp.status_code == 302
    assert db.session.execute(select(AgreementComment)).scalar_one().body == "请改为分期"

    sign_page = client.get(f"/agreements/{body['id']}/sign").get_data(as_text=True)
    assert body["content_hash"] in sign_page
    token = csrf_token(client, f"/agreements/{body['id']}/sign")
    wrong = client.post(f"/agreements/{body['id']}/sign",
                        data={"csrf_token": token, "password": "wrong-one", "content_hash": body["content_hash"]})
    assert wrong.status_code == 400 and 'class="field-error"' in wrong.get_data(as_text=True)
    ok = client.post(f"/agreements/{body['id']}/sign",
                     data={"csrf_token": token, "password": PASSWORD, "content_hash": body["content_hash"]})
    assert ok.status_code == 302
    stored = db.session.get(Agreement, body["id"])
    db.session.refresh(stored)
    assert [s.role for s in stored.signatures] == ["party"]
    stale = client.post(f"/agreements/{body['id']}/sign",
                        data={"csrf_token": token, "password": PASSWORD, "content_hash": "0" * 64})
    assert stale.status_code == 409


def test_case_panels_list_versions_signatures_and_documents(app, client, world):
    case = mediation_case(world)
    effective_agreement(client, world, case)
    case = db.session.get(Case, case.id)
    with app.test_request_context("/"):
        login_user(world.applicant)
        agreement_html = render_template("cases/_panel_agreement.html", case=case)
        documents_html = render_template("cases/_panel_documents.html", case=case)
    assert "诸暨人调协字第1号" in agreement_html and "张三" in agreement_html
    assert "/documents/1/download" in documents_html and "/documents/generate" not in documents_html
    from odr.documents.models import Document

    doc = db.session.execute(select(Document)).scalar_one()
    assert doc.sha256 in documents_html and f"/verify/{doc.verify_code}" in documents_html
    with app.test_request_context("/"):
        login_user(world.mediators[0])
        assert "/documents/generate" in render_template("cases/_panel_documents.html", case=case)
    with app.test_request_context("/"):
        login_user(world.outsider)
        assert "download" not in render_template("cases/_panel_documents.html", case=case)
    login(client, "applicant")
    assert client.get("/documents/1/download").status_code == 200
    case_page = client.get(f"/cases/{case.id}")
    assert case_page.status_code == 200 and 'id="panel-documents"' in case_page.get_data(as_text=True)
    login(client, "outsider")
    assert client.get("/documents/1/download").status_code == 404
