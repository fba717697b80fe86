"""Two `flask odr scheduler` processes against PostgreSQL: one leads, each reminder sent once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from odr.core.time import now
from odr.extensions import db
from odr.notifications.models import OutboxMessage
from odr.scheduling.models import SessionReminder
from tests.conftest import api_token
from tests.scheduling.helpers import local_slot, make_case, open_all_week

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.slow
def test_two_scheduler_processes_send_each_reminder_once(app, client, world, smtp, tmp_path):
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    med = api_token(client, "mediator")
    sid = client.post(f"/api/v1/cases/{case.id}/sessions", headers=med,
                      json={"starts_at": local_slot(3, 10).isoformat(), "duration_minutes": 60}).get_json()["id"]
    for who in ("applicant", "respondent"):
        client.post(f"/api/v1/sessions/{sid}/accept", headers=api_token(client, who))
    # both reminders of every attendee are due now and still useful
    db.session.execute(update(SessionReminder).values(due_at=now() - timedelta(seconds=1)))
    db.session.commit()
    env = {**os.environ, "ODR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "ODR_SMTP_HOST": "127.0.0.1", "ODR_SMTP_PORT": str(app.config["SMTP_PORT"]),
           "ODR_INSTANCE_PATH": str(tmp_path), "ODR_SCHEDULER_SWEEP_SECONDS": "0.5"}
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "odr", "scheduler"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.rollback()
            pending = db.session.scalar(select(func.count(SessionReminder.id)).where(SessionReminder.status == "pending"))
            unsent = db.session.scalar(select(func.count(OutboxMessage.id)).where(
                OutboxMessage.key.like("reminder-%"), OutboxMessage.status == "pending"))
            if pending == 0 and unsent == 0 and db.session.scalar(select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.key.like("reminder-%"))):
                break
            time.sleep(0.5)
        time.sleep(2)  # give a wrongly-acting second scheduler time to send a duplicate
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
    keys = db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("reminder-%"),
                                                            OutboxMessage.channel == "email")).all()
    with_email = [u for u in (world.applicant, world.respondent, world.mediators[0]) if u.email]
    assert len(keys) == 2 * len(with_email)
    subject = {id(m): str(make_header(decode_header(m["Subject"] or ""))) for m in smtp.messages}
    got = [m for m in smtp.messages if "Reminder" in subject[id(m)] or "提醒" in subject[id(m)]]
    assert len(got) == len(keys), [m["Subject"] for m in smtp.messages]
    assert len({m["Message-ID"] for m in got}) == len(got)
