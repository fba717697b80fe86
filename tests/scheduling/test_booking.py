"""Booking through the API: propose, accept, booked, clash refused by the database, .ics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from odr.core.time import UTC, now
from odr.extensions import db
from odr.notifications.dispatch import drain
from odr.notifications.models import Delivery, Notification
from odr.scheduling.models import BusyBlock, MediationSession, SessionReminder
from tests.conftest import api_token
from tests.scheduling.helpers import local_slot, make_case, open_all_week


def _propose(client, case, headers, *starts, minutes=60):
    body = {"slots": [{"starts_at": s.isoformat(), "duration_minutes": minutes} for s in starts]}
    return client.post(f"/api/v1/cases/{case.id}/sessions", json=body, headers=headers)


def test_propose_accept_books_and_lapses_others(app, client, world, smtp):
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    med = api_token(client, "mediator")
    a, b = local_slot(3, 10), local_slot(4, 15, 30)
    resp = _propose(client, case, med, a, b)
    assert resp.status_code == 201, resp.get_json()
    ids = [p["id"] for p in resp.get_json()["proposals"]]
    assert resp.get_json()["status"] == "proposed"
    assert resp.get_json()["starts_at"] == a.astimezone(UTC).isoformat()

    app_h, resp_h = api_token(client, "applicant"), api_token(client, "respondent")
    first = client.post(f"/api/v1/sessions/{ids[1]}/accept", headers=app_h)
    assert first.get_json()["status"] == "proposed"
    done = client.post(f"/api/v1/sessions/{ids[1]}/accept", headers=resp_h)
    assert done.status_code == 200 and done.get_json()["status"] == "booked"

    sessions = {s["id"]: s for s in client.get(f"/api/v1/cases/{case.id}/sessions", headers=app_h).get_json()["items"]}
    assert sessions[ids[0]]["status"] == "cancelled" and sessions[ids[1]]["status"] == "booked"
    # 90 min → blocks of 15 min for three attendees
    assert db.session.scalar(select(func.count(BusyBlock.id))) == 3 * 4
    assert db.session.scalar(select(func.count(SessionReminder.id))) == 3 * 2
    # booked notice reached the inbox and (after the sweep) the SMTP server with the .ics
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == world.respondent.id, Notification.kind == "session_booked")) == 1
    drain()
    mails = smtp.to(world.respondent.email)
    booked = [m for m in mails if "ics" in str([p.get_filename() for p in m.walk()])]
    assert booked, [m["Subject"] for m in mails]
    with_email = sum(1 for u in (world.applicant, world.respondent, world.mediators[0]) if u.email)
    email_deliveries = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
    assert len(email_deliveries) == with_email
    assert all(d.sent_at is not None and d.opened_at is None for d in email_deliveries)


def test_double_booking_refused_for_mediator(app, client, world):
    case1 = make_case(world, number="C1")
    case2 = make_case(world, number="C2")
    open_all_week(world.mediators[0].id)
    med = api_token(client, "mediator")
    slot = local_slot(2, 9)
    s1 = _propose(client, case1, med, slot).get_json()["id"]
    s2 = _propose(client, case2, med, slot + timedelta(minutes=30)).get_json()["id"]
    for who in ("applicant", "respondent"):
        client.post(f"/api/v1/sessions/{s1}/accept", headers=api_token(client, who))
    client.post(f"/api/v1/sessions/{s2}/accept", headers=api_token(client, "applicant"))
    clash = client.post(f"/api/v1/sessions/{s2}/accept", headers=api_token(client, "respondent"))
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "double_booking"
    db.session.expire_all()
    assert db.session.get(MediationSession, s2).status == "proposed"
    # a new proposal at a booked time is refused before it reaches anyone
    again = _propose(client, case2, med, slot)
    assert again.status_code == 409


def test_database_rejects_overlapping_blocks(app, world):
    """Even if the checks were skipped, the unique constraint stops a double booking."""
    case = make_case(world)
    s = MediationSession(case_id=case.id, starts_at=now() + timedelta(days=1), ends_at=now() + timedelta(days=1, hours=1),
                         status="booked", created_by_id=world.mediators[0].id)
    db.session.add(s)
    db.session.commit()
    start = s.starts_at.replace(second=0, microsecond=0)
    db.session.add(BusyBlock(user_id=world.mediators[0].id, block_start=start, session_id=s.id))
    db.session.commit()
    db.session.add(BusyBlock(user_id=world.mediators[0].id, block_start=start, session_id=s.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("starts_at,minutes,status,code", [
    ("2020-01-06T10:00:00+08:00", 60, 422, "slot_in_past"),
    ("2099-01-05T10:00:00", 60, 400, "time_zone_missing"),
    (None, 600, 400, "duration_out_of_range"),
    ("late-night", 60, 422, "outside_availability"),
])
def test_bad_slots_refused_and_nothing_booked(app, client, world, starts_at, minutes, status, code):
    case = make_case(world)
    open_all_week(world.mediators[0].id, )
    med = api_token(client, "mediator")
    if starts_at is None:
        starts_at = local_slot(3, 9).isoformat()
    elif starts_at == "late-night":
        starts_at = local_slot(3, 23).isoformat()
    resp = client.post(f"/api/v1/cases/{case.id}/sessions",
                       json={"starts_at": starts_at, "duration_minutes": minutes}, headers=med)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["code"] == code
    assert resp.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(MediationSession.id))) == 0


def test_party_cannot_propose_and_outsider_cannot_see(app, client, world):
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    resp = _propose(client, case, api_token(client, "applicant"), local_slot(3, 10))
    assert resp.status_code == 403
    assert client.get(f"/api/v1/cases/{case.id}/sessions", headers=api_token(client, "outsider")).status_code == 404


def test_ics_download_update_and_cancel(app, client, world):
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    med = api_token(client, "mediator")
    slot = local_slot(5, 14)
    sid = _propose(client, case, med, slot, minutes=90).get_json()["id"]
    for who in ("applicant", "respondent"):
        client.post(f"/api/v1/sessions/{sid}/accept", headers=api_token(client, who))
    resp = client.get(f"/api/v1/sessions/{sid}.ics", headers=api_token(client, "applicant"))
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    cal = Calendar.from_ical(resp.data)
    event = next(iter(cal.walk("VEVENT")))
    assert str(cal["METHOD"]) == "REQUEST"
    assert event.decoded("dtstart") == slot.astimezone(UTC)
    assert event.decoded("dtend") == slot.astimezone(UTC) + timedelta(minutes=90)
    attendees = {str(a) for a in event.get("attendee")}
    assert {f"mailto:{world.applicant.email}", f"mailto:{world.respondent.email}"} <= attendees
    assert int(event["sequence"]) == 0
    uid = str(event["uid"])

    moved = client.post(f"/api/v1/sessions/{sid}/reschedule", headers=med,
                        json={"starts_at": local_slot(6, 9).isoformat(), "duration_minutes": 60, "reason": "法官时间冲突"})
    assert moved.status_code == 200, moved.get_json()
    event = next(iter(Calendar.from_ical(client.get(f"/api/v1/sessions/{sid}.ics", headers=med).data).walk("VEVENT")))
    assert int(event["sequence"]) == 1 and str(event["uid"]) == uid
    assert event.decoded("dtstart") == local_slot(6, 9).astimezone(UTC)

    no_reason = client.post(f"/api/v1/sessions/{sid}/cancel", headers=api_token(client, "respondent"), json={"reason": " "})
    assert no_reason.status_code == 400
    cancelled = client.post(f"/api/v1/sessions/{sid}/cancel", headers=api_token(client, "respondent"),
                            json={"reason": "生病"})
    assert cancelled.get_json()["status"] == "cancelled"
    cal = Calendar.from_ical(client.get(f"/api/v1/sessions/{sid}.ics", headers=med).data)
    event = next(iter(cal.walk("VEVENT")))
    assert str(cal["METHOD"]) == "CANCEL" and int(event["sequence"]) == 2 and str(event["status"]) == "CANCELLED"
    assert db.session.scalar(select(func.count(BusyBlock.id))) == 0
    assert set(db.session.scalars(select(SessionReminder.status).where(SessionReminder.sequence == 1))) == {"cancelled"}
