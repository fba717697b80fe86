"""Inbox, outbox keys, delivery records, retries and the status-change notices."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from odr.cases.lifecycle import transition
from odr.extensions import db
from odr.notifications.dispatch import drain
from odr.notifications.models import Delivery, Notification, OutboxMessage
from odr.notifications.services import notify
from odr.scheduling.deadlines import case_deadlines
from tests.conftest import api_token, login
from tests.scheduling.helpers import make_case


def test_same_key_stored_and_sent_once(app, world, smtp):
    for _ in range(3):
        notify(world.applicant, "test", "Hello", "Body", "/inbox", key="k:1")
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.channel == "email")) == 1
    drain()
    drain()
    assert len(smtp.to(world.applicant.email)) == 1
    sms = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one()
    assert sms.status == "sent" and sms.response.startswith("recorded-")


def test_failed_email_retries_with_backoff_and_admin_sees_it(app, client, world):
    app.config["SMTP_HOST"], app.config["SMTP_PORT"] = "127.0.0.1", 9  # nothing listens there
    notify(None, "invite", "Invitation", "Please answer", email="someone@example.com", key="inv:1")
    db.session.commit()
    drain()
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.status == "pending" and msg.attempts == 1 and msg.last_error and msg.next_attempt_at is not None
    resp = client.get("/api/v1/outbox", headers=api_token(client, "admin"))
    assert resp.status_code == 200 and resp.get_json()["items"][0]["to"] == "someone@example.com"
    assert client.get("/api/v1/outbox", headers=api_token(client, "applicant")).status_code == 403
    login(client, "admin")
    page = client.get("/admin/outbox")
    assert page.status_code == 200 and "someone@example.com" in page.get_data(as_text=True)


def test_status_change_tells_parties_with_next_steps_and_delivery_opened_on_read(app, client, world):
    case = make_case(world)
    transition(case, "fail", world.mediators[0], reason="双方分歧过大")
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == world.applicant.id)).all()
    assert len(notes) == 1 and "lawsuit" in notes[0].body or "诉" in notes[0].body
    inbox_delivery = db.session.scalars(select(Delivery).where(Delivery.notification_id == notes[0].id)).one()
    assert inbox_delivery.opened_at is None and inbox_delivery.channel == "inbox"
    # the actor (mediator) is not told what they just did
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == world.mediators[0].id)) == 0

    api = client.get("/api/v1/notifications", headers=api_token(client, "applicant"))
    assert api.get_json()["total"] == 1 and api.headers["X-Unread-Count"] == "1"
    login(client, "applicant")
    page = client.get("/inbox")
    assert page.status_code == 200 and notes[0].title in page.get_data(as_text=True)
    from tests.conftest import csrf_token

    client.post(f"/inbox/{notes[0].id}/open", data={"csrf_token": csrf_token(client, "/inbox")})
    db.session.expire_all()
    assert db.session.get(Delivery, inbox_delivery.id).opened_at is not None


def test_email_link_click_records_opening(app, client, world):
    case = make_case(world)
    result = notify(world.respondent, "served", "Notice", "Served", f"/cases/{case.id}", case=case,
                    legal=True, key="served:1")
    db.session.commit()
    token = next(d.token for d in result.deliveries if d.channel == "email")
    resp = client.get(f"/d/{token}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{case.id}")
    db.session.expire_all()
    assert db.session.scalars(select(Delivery).where(Delivery.token == token)).one().opened_at is not None


def test_deadlines_follow_status_and_panel_shows_countdown(app, world):
    case = make_case(world, status="settled")
    transition(case, "agreement_effective", None)
    db.session.commit()
    [dl] = case_deadlines(case)
    assert dl.kind == "confirmation_window" and dl.status == "open"
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(world.applicant)
        html = render_template("cases/_panel_deadlines.html", case=case)
    assert 'class="countdown"' in html and f'data-due="{dl.due_at.isoformat()}"' in html
