"""The whole intake path through the web pages: wizard, intake review, invitation, consent."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from odr.accounts.identity import mask_id_number
from odr.cases.models import Case, Invitation
from odr.core.time import now
from odr.extensions import db
from odr.notifications.models import OutboxMessage
from tests.case_factories import accepted_case, case_in_mediation, submitted_case
from tests.cases_web.helpers import case_id_from, english, logged_in, post, token
from tests.factories import make_id_number


def _register(client, username: str, name: str) -> None:
    resp = client.post("/register", data={
        "csrf_token": token(client, "/register"), "username": username, "password": "correct-horse-9",
        "display_name": name, "id_number": make_id_number(41), "phone": "13900000041", "email": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def _invitation_link(case: Case) -> str:
    """The link the respondent was sent (the outbox keeps it with the e-mail)."""
    rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.case_id == case.id)
                              .order_by(OutboxMessage.id)).scalars().all()
    links = [str((m.extra or {}).get("link")) for m in rows
             if re.fullmatch(r"/invitations/[A-Za-z0-9_-]+", str((m.extra or {}).get("link")))]
    assert links, [(m.channel, m.extra) for m in rows]
    return links[-1]


def test_whole_intake_path_through_the_pages(app, world):
    applicant = english(app.test_client())
    _register(applicant, "zhaoliu", "赵六")
    assert applicant.get("/cases/new").status_code == 200

    refused = post(applicant, "/cases/new", {"category": ""}, "/cases/new")
    assert refused.status_code == 400 and "has-error" in refused.get_data(as_text=True)
    resp = post(applicant, "/cases/new", {"category": "neighbour"}, "/cases/new")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/edit/facts")
    case_id = case_id_from(resp.headers["Location"])

    facts = "邻居在两家之间的通道上堆放杂物，多次协商未果。"
    refused = post(applicant, f"/cases/{case_id}/edit/facts",
                   {"facts": facts, "claims-0-description": "清除杂物", "claims-0-amount": "12abc"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "12abc" in html and "清除杂物" in html and facts in html and "has-error" in html
    added = post(applicant, f"/cases/{case_id}/edit/facts",
                 {"facts": facts, "claims-0-description": "清除杂物", "claims-0-amount": "", "add": "claims"})
    assert added.status_code == 200 and 'name="claims-1-description"' in added.get_data(as_text=True)
    resp = post(applicant, f"/cases/{case_id}/edit/facts",
                {"facts": facts, "claims-0-description": "清除杂物", "claims-0-amount": "",
                 "claims-1-description": "赔偿损失", "claims-1-amount": "2000"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/edit/parties")

    parties = applicant.get(f"/cases/{case_id}/edit/parties").get_data(as_text=True)
    assert 'value="赵六"' in parties  # the applicant is prefilled
    resp = post(applicant, f"/cases/{case_id}/edit/parties", {
        "applicants-0-kind": "person", "applicants-0-name": "赵六", "applicants-0-id_number": make_id_number(41),
        "applicants-0-phone": "13900000041",
        "respondents-0-kind": "person", "respondents-0-name": world.respondent.display_name,
        "respondents-0-phone": world.respondent.phone, "respondents-0-email": world.respondent.email})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/edit/organization")
    resp = post(applicant, f"/cases/{case_id}/edit/organization",
                {"organization_id": str(world.county.id), "mediator_id": "", "region_code": ""})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/edit/review")
    review = applicant.get(f"/cases/{case_id}/edit/review").get_data(as_text=True)
    assert "Submit the application" in review and "2,000.00" in review

    resp = post(applicant, f"/cases/{case_id}/submit", {})
    assert resp.status_code == 302
    case = db.session.get(Case, case_id)
    assert case.status == "submitted" and case.number

    admin = logged_in(app, world.org_admin.username)
    assert case.number in admin.get("/intake").get_data(as_text=True)
    resp = post(admin, f"/cases/{case_id}/accept", {"next": "/intake"}, "/intake")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/intake")
    db.session.expire_all()
    assert db.session.get(Case, case_id).status == "accepted"

    link = _invitation_link(case)
    respondent = english(app.test_client())
    page = respondent.get(link)
    assert page.status_code == 200 and facts in page.get_data(as_text=True) and "next=" in page.get_data(as_text=True)
    assert respondent.post("/login", data={"csrf_token": token(respondent, "/login"),
                                           "username": "respondent", "password": "correct-horse-9"}).status_code == 302
    resp = respondent.post(link, data={"csrf_token": token(respondent, link)})
    assert resp.status_code == 302 and case_id_from(resp.headers["Location"]) == case_id
    detail = respondent.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "I agree to mediation" in detail
    resp = post(respondent, f"/cases/{case_id}/respond", {"decision": "accept", "statement": "同意调解，但杂物不是我的"})
    assert resp.status_code == 302

    db.session.expire_all()
    assert db.session.get(Case, case_id).status == "in_mediation"
    for client in (applicant, respondent):
        html = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "status-in_mediation" in html and "同意调解，但杂物不是我的" in html
    used = respondent.get(link)
    assert used.status_code == 409 and "used already" in used.get_data(as_text=True)


def test_invitation_tampered_and_expired_links_get_clear_pages(app, world, client):
    case = accepted_case(world)
    raw = world.extra["invitations"][case.id][0]
    english(client)
    tampered = client.get(f"/invitations/{raw[:-2]}xx")
    assert tampered.status_code == 404 and "not valid" in tampered.get_data(as_text=True)
    inv = db.session.execute(select(Invitation).order_by(Invitation.id.desc())).scalars().first()
    inv.expires_at = now() - timedelta(minutes=1)
    db.session.commit()
    expired = client.get(f"/invitations/{raw}")
    assert expired.status_code == 422 and "expired" in expired.get_data(as_text=True)
    assert client.get("/invitations/" + "x" * 300).status_code == 404


def test_staff_cannot_claim_and_anonymous_claim_goes_to_login(app, world, client):
    case = accepted_case(world)
    raw = world.extra["invitations"][case.id][0]
    page = client.get(f"/invitations/{raw}")
    anon = client.post(f"/invitations/{raw}", data={"csrf_token": token(client, "/login")})
    assert page.status_code == 200 and anon.status_code == 302 and "/login" in anon.headers["Location"]
    clerk = logged_in(app, world.clerk.username)
    resp = clerk.post(f"/invitations/{raw}", data={"csrf_token": token(clerk)})
    assert resp.status_code == 409


def test_intake_refusal_keeps_the_typed_form_and_transfer_works(app, world):
    case = submitted_case(world)
    admin = logged_in(app, world.org_admin.username)
    resp = post(admin, f"/cases/{case.id}/transfer", {"organization_id": "", "reason": "不属本会辖区",
                                                        "next": "/intake"}, "/intake")
    assert resp.status_code == 400 and "不属本会辖区" in resp.get_data(as_text=True)
    resp = post(admin, f"/cases/{case.id}/reject", {"reason": "  "}, "/intake")
    assert resp.status_code == 400 and "Give the reason" in resp.get_data(as_text=True)
    resp = post(admin, f"/cases/{case.id}/transfer", {"organization_id": str(world.town.id), "reason": "属镇调委会",
                                                        "next": "/intake"}, "/intake")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).organization_id == world.town.id
    assert admin.get(f"/cases/{case.id}").status_code == 404  # no longer theirs


def test_reject_shows_next_steps_to_the_applicant(app, world):
    case = submitted_case(world)
    admin = logged_in(app, world.org_admin.username)
    assert post(admin, f"/cases/{case.id}/reject", {"reason": "不属于民间纠纷"}).status_code == 302
    html = logged_in(app, "applicant").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "不属于民间纠纷" in html and "bring a lawsuit" in html


def test_case_page_masks_ids_and_outsider_gets_404(app, world):
    case = case_in_mediation(world)
    full, masked = world.applicant.id_number, mask_id_number(world.applicant.id_number)
    html = logged_in(app, "respondent").get(f"/cases/{case.id}").get_data(as_text=True)
    assert masked in html and full not in html
    html = logged_in(app, world.org_admin.username).get(f"/cases/{case.id}").get_data(as_text=True)
    assert full in html
    html = logged_in(app, "applicant").get(f"/cases/{case.id}").get_data(as_text=True)
    assert full in html  # their own record
    assert logged_in(app, "outsider").get(f"/cases/{case.id}").status_code == 404
    assert app.test_client().get(f"/cases/{case.id}").status_code == 302  # to the login page


def test_my_cases_lists_and_filters(app, world):
    case = submitted_case(world)
    client = logged_in(app, "applicant")
    html = client.get("/cases").get_data(as_text=True)
    assert case.number in html
    assert case.number not in client.get("/cases?status=draft").get_data(as_text=True)
    assert case.number not in logged_in(app, "outsider").get("/cases").get_data(as_text=True)


def test_court_staff_divert_a_lawsuit_from_the_same_page(app, world):
    clerk = logged_in(app, world.clerk.username)
    page = clerk.get("/cases/new").get_data(as_text=True)
    assert "submitted at once" in page
    data = {"category": "contract", "facts": "原告诉被告拖欠货款二万元，经立案前分流调解。",
            "claims-0-description": "支付货款", "claims-0-amount": "20000", "court_case_number": "(2026)浙0681民初1号",
            "applicants-0-kind": "person", "applicants-0-name": "孙七", "applicants-0-phone": "13900000077",
            "respondents-0-kind": "organization", "respondents-0-name": "某贸易有限公司",
            "respondents-0-phone": "13900000088", "organization_id": "auto"}
    refused = post(clerk, "/cases/new", {**data, "respondents-0-name": ""}, "/cases/new")
    assert refused.status_code == 400 and "原告诉被告拖欠货款" in refused.get_data(as_text=True)
    resp = post(clerk, "/cases/new", data, "/cases/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    case = db.session.get(Case, case_id_from(resp.headers["Location"]))
    assert case.status == "submitted" and case.source == "court_diversion" and case.court_id == world.court.id


def test_withdraw_and_draft_edit_after_submit(app, world):
    case = submitted_case(world)
    client = logged_in(app, "applicant")
    resp = client.get(f"/cases/{case.id}/edit/facts")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{case.id}")
    assert post(client, f"/cases/{case.id}/withdraw", {"reason": "已和解"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "withdrawn"
    again = post(client, f"/cases/{case.id}/withdraw", {"reason": "再次"})
    assert again.status_code in (403, 409)
