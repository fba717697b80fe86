"""The court queue, the review screen and the forms, through the browser-facing pages."""

from __future__ import annotations

import re

from flask import render_template
from flask.testing import FlaskClient
from flask_login import login_user

from odr.cases.models import Case
from odr.confirmation.models import ConfirmationApplication
from odr.extensions import db
from tests.confirmation.helpers import effective_case
from tests.conftest import csrf_token, login
from tests.factories import World


def _consent_web(client: FlaskClient, username: str, case_id: int) -> object:
    login(client, username)
    token = csrf_token(client, f"/cases/{case_id}/confirmation")
    resp = client.post(f"/cases/{case_id}/confirmation", data={"csrf_token": token})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    return resp


def _submitted_via_web(client: FlaskClient, world: World) -> tuple[Case, int]:
    case = effective_case(world)
    first = _consent_web(client, "applicant", case.id)
    assert first.status_code == 302
    app_id = int(first.headers["Location"].rsplit("/", 1)[1])
    assert db.session.get(ConfirmationApplication, app_id).status == "pending_consent"
    assert _consent_web(client, "respondent", case.id).status_code == 302
    assert db.session.get(ConfirmationApplication, app_id).status == "submitted"
    return case, app_id


def test_queue_shows_deadline_and_judge(client: FlaskClient, world: World) -> None:
    case, app_id = _submitted_via_web(client, world)
    login(client, "clerk")
    html = client.get("/court/confirmations?tab=new").get_data(as_text=True)
    assert case.number in html and 'class="countdown' in html
    assert re.search(r'data-due="\d{4}-\d\d-\d\dT', html)
    page = client.get(f"/confirmations/{app_id}")
    token = csrf_token(client, f"/confirmations/{app_id}")
    assert client.post(f"/confirmations/{app_id}/accept", data={"csrf_token": token}).status_code == 302
    resp = client.post(f"/confirmations/{app_id}/assign", data={"csrf_token": token, "judge_id": world.judge.id})
    assert resp.status_code == 302 and page.status_code == 200
    html = client.get("/court/confirmations?tab=accepted").get_data(as_text=True)
    assert world.judge.display_name in html and case.number in html
    assert case.number not in client.get("/court/confirmations?tab=new").get_data(as_text=True)


def test_queue_is_for_court_staff_only(client: FlaskClient, world: World) -> None:
    login(client, "applicant")
    assert client.get("/court/confirmations").status_code == 403


def test_reject_form_refused_without_grounds_keeps_text_then_rules(client: FlaskClient, world: World) -> None:
    case, app_id = _submitted_via_web(client, world)
    login(client, "judge")
    token = csrf_token(client, f"/confirmations/{app_id}")
    resp = client.post(f"/confirmations/{app_id}/rule",
                       data={"csrf_token": token, "decision": "reject", "reason": "约定的履行期限互相矛盾"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "约定的履行期限互相矛盾" in html
    assert "at least one of the lawful grounds" in html or "法定" in html
    assert db.session.get(ConfirmationApplication, app_id).status == "submitted"
    resp = client.post(f"/confirmations/{app_id}/rule", data={
        "csrf_token": token, "decision": "reject", "grounds": ["unclear"], "reason": "约定的履行期限互相矛盾"})
    assert resp.status_code == 302
    application = db.session.get(ConfirmationApplication, app_id)
    assert application.status == "rejected" and application.ruling_number.endswith("民特1号")
    html = client.get(f"/confirmations/{app_id}").get_data(as_text=True)
    assert application.ruling_number in html and ("sue" in html.lower() or "诉讼" in html)
    assert db.session.get(Case, case.id).status == "closed"


def test_confirm_form_and_party_panel(app: object, client: FlaskClient, world: World) -> None:
    case, app_id = _submitted_via_web(client, world)
    login(client, "judge")
    token = csrf_token(client, f"/confirmations/{app_id}")
    resp = client.post(f"/confirmations/{app_id}/rule", data={"csrf_token": token, "decision": "confirm"})
    assert resp.status_code == 302
    application = db.session.get(ConfirmationApplication, app_id)
    assert application.status == "confirmed" and application.judge_id == world.judge.id
    case = db.session.get(Case, case.id)
    with app.test_request_context("/"):  # type: ignore[attr-defined]
        login_user(world.applicant)
        html = render_template("cases/_panel_confirmation.html", case=case)
    assert application.ruling_number in html and "execution" in html.lower()
    assert "I consent" not in html


def test_panel_offers_consent_then_waits(app: object, client: FlaskClient, world: World) -> None:
    case = effective_case(world)
    with app.test_request_context("/"):  # type: ignore[attr-defined]
        login_user(world.applicant)
        html = render_template("cases/_panel_confirmation.html", case=case)
    assert "I consent to apply" in html and 'data-due="' in html
    assert _consent_web(client, "applicant", case.id).status_code == 302
    with app.test_request_context("/"):  # type: ignore[attr-defined]
        login_user(world.applicant)
        html = render_template("cases/_panel_confirmation.html", case=db.session.get(Case, case.id))
    assert "I consent to apply" not in html and "李四" in html
