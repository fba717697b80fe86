"""The scheduler process is killed (SIGKILL) while it sends, then started again.

A real SMTP server (aiosmtpd on 127.0.0.1) counts what arrives; it answers slowly, so
the kill lands in the middle of sending the outbox. Afterwards every message must have
arrived (nothing lost) and none twice — except that SMTP cannot be exactly-once: a crash
between the server's "250 OK" and the scheduler's commit re-sends that one message.
So the test allows at most one repeat, and that repeat must carry the same Message-ID
as the first copy, so the recipient's mail system drops it.
"""

from __future__ import annotations

import asyncio
import email
import re
import subprocess
import sys
import time
from collections import Counter
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from odr.extensions import db
from odr.notifications.models import OutboxMessage
from tests.faults.helpers import ROOT, free_port, kill_hard, stop, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

MESSAGES = 120
SMTP_DELAY = 0.03  # seconds per message: the whole outbox takes a few seconds to send


class SlowInbox:
    """aiosmtpd handler that keeps every message and takes its time to accept each."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        await asyncio.sleep(SMTP_DELAY)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _outbox_id(message: Message) -> int:
    match = re.search(r"odr-outbox-(\d+)", message["Message-ID"] or "")
    assert match, message["Message-ID"]
    return int(match.group(1))


def _scheduler(app: Any, port: int, tmp: Any) -> subprocess.Popen[bytes]:
    import os

    env = {**os.environ, "ODR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "ODR_INSTANCE_PATH": str(tmp), "ODR_SECRET_KEY": app.config["SECRET_KEY"],
           "ODR_SMTP_HOST": "127.0.0.1", "ODR_SMTP_PORT": str(port)}
    env.pop("ODR_TEST_DATABASE_URL", None)
    log = open(tmp / "scheduler.log", "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "odr", "scheduler",
                                 "--sweep-seconds", "0.5"], cwd=ROOT, env=env, stdout=log, stderr=log)
    finally:
        log.close()


def test_killed_scheduler_resumes_and_sends_each_message_once(app, world, tmp_path):
    for i in range(MESSAGES):
        db.session.add(OutboxMessage(key=f"fault-test:{i}", channel="email", recipient=f"p{i}@example.com",
                                     subject=f"Notice {i}", body="案件通知", extra={}))
    db.session.commit()
    inbox = SlowInbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    first = second = None
    try:
        first = _scheduler(app, smtp_port, tmp_path)
        wait_until(lambda: len(inbox.messages) >= MESSAGES // 4, 60, 0.02, what="sending under way")
        kill_hard(first)  # mid-batch: no shutdown handler, no commit
        arrived_before_restart = len(inbox.messages)
        assert arrived_before_restart < MESSAGES, "the kill should land before everything is sent"

        second = _scheduler(app, smtp_port, tmp_path)

        def all_done() -> bool:
            db.session.rollback()
            return db.session.scalar(select(func.count(OutboxMessage.id)).where(
                OutboxMessage.status == "pending")) == 0

        wait_until(all_done, 90, 0.3, what="the restarted scheduler finishing the outbox")
        time.sleep(1.5)  # a wrongly repeated send would arrive now
    finally:
        stop(second)
        kill_hard(first)
        controller.stop()

    statuses = Counter(db.session.scalars(select(OutboxMessage.status)).all())
    assert statuses == {"sent": MESSAGES}, statuses
    per_row = Counter(_outbox_id(m) for m in inbox.messages)
    expected = set(db.session.scalars(select(OutboxMessage.id)).all())
    assert set(per_row) == expected, f"lost: {sorted(expected - set(per_row))}"
    repeated = {oid: n for oid, n in per_row.items() if n > 1}
    assert sum(n - 1 for n in repeated.values()) <= 1, f"sent more than once: {repeated}"
    for oid in repeated:
        ids = {m["Message-ID"] for m in inbox.messages if _outbox_id(m) == oid}
        assert len(ids) == 1, f"a repeat must keep its Message-ID so receivers drop it: {ids}"


def test_message_id_is_stable_per_outbox_row(app):
    """What lets a receiver drop the one repeat a crash can cause: same row, same Message-ID."""
    from odr.notifications.channels import build_email

    msg = OutboxMessage(id=4242, key="fault-test:stable", channel="email", recipient="a@example.com",
                        subject="s", body="b", extra={})
    assert build_email(msg, "odr@example.org")["Message-ID"] == build_email(msg, "odr@example.org")["Message-ID"]
