"""Reminders fire at the right moments with time moved; after downtime each fires once."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import time_machine
from sqlalchemy import func, select

from odr.core.time import now
from odr.extensions import db
from odr.notifications.models import Notification, OutboxMessage
from odr.scheduling.models import SessionReminder
from odr.scheduling.sweep import run_sweep
from tests.conftest import api_token
from tests.scheduling.helpers import local_slot, make_case, open_all_week


def _book(client, world, case, slot):
    med = api_token(client, "mediator")
    sid = client.post(f"/api/v1/cases/{case.id}/sessions", headers=med,
                      json={"starts_at": slot.isoformat(), "duration_minutes": 60}).get_json()["id"]
    for who in ("applicant", "respondent"):
        assert client.post(f"/api/v1/sessions/{sid}/accept", headers=api_token(client, who)).status_code == 200
    return sid


def _reminders(user_id: int, kind: str | None = None) -> list[Notification]:
    q = select(Notification).where(Notification.user_id == user_id, Notification.kind == "session_reminder")
    return list(db.session.scalars(q))


def test_reminders_fire_at_24h_and_1h_reach_smtp_and_inbox(app, client, world, smtp):
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    slot = local_slot(3, 10)
    _book(client, world, case, slot)
    start = slot
    with time_machine.travel(start - timedelta(hours=25), tick=False):
        run_sweep()
        assert _reminders(world.applicant.id) == []
    with time_machine.travel(start - timedelta(hours=24) + timedelta(seconds=1), tick=False):
        run_sweep()
        assert len(_reminders(world.applicant.id)) == 1
        run_sweep()  # a second pass sends nothing more
        assert len(_reminders(world.applicant.id)) == 1
    with time_machine.travel(start - timedelta(minutes=59), tick=False):
        run_sweep()
    db.session.expire_all()
    assert len(_reminders(world.applicant.id)) == 2
    subjects = [str(make_header(decode_header(m["Subject"]))) for m in smtp.to(world.applicant.email)]
    assert sum("Reminder" in s or "提醒" in s for s in subjects) == 2, subjects
    assert set(db.session.scalars(select(SessionReminder.status))) == {"sent"}


def test_restart_after_two_reminders_passed_sends_each_once(app, client, world, smtp):
    """Scheduler down from before the 24 h reminder until after the 1 h one was due.

    On restart the 24 h reminder is no longer useful (less than an hour to go) and is
    recorded as missed; the 1 h reminder is still useful and is sent — once, even when
    two sweeps (two schedulers, or a retry) run over the same rows."""
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    slot = local_slot(3, 10)
    _book(client, world, case, slot)
    with time_machine.travel(slot - timedelta(minutes=30), tick=False):
        run_sweep()
        run_sweep()
    db.session.expire_all()
    statuses = dict(db.session.execute(select(SessionReminder.kind, func.count()).where(
        SessionReminder.status == "missed").group_by(SessionReminder.kind)).all())
    assert statuses == {"24h": 3}
    assert db.session.scalar(select(func.count()).where(SessionReminder.status == "sent", SessionReminder.kind == "1h")) == 3
    assert len(_reminders(world.respondent.id)) == 1
    assert len([m for m in smtp.to(world.respondent.email) if "one hour" in m["Subject"] or "1" in m["Subject"]]) >= 1
    keys = db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("reminder-%"))).all()
    assert len(keys) == len(set(keys))


def test_reminder_after_session_began_is_missed_not_sent(app, client, world, smtp):
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    slot = local_slot(2, 16)
    _book(client, world, case, slot)
    with time_machine.travel(slot + timedelta(minutes=5), tick=False):
        run_sweep()
    db.session.expire_all()
    assert set(db.session.scalars(select(SessionReminder.status))) == {"missed"}
    assert _reminders(world.applicant.id) == []
    assert now() < slot
