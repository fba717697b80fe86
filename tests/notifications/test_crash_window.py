"""A scheduler dies after the SMTP server accepted a message but before the commit that
records it: the row is neither lost nor taken by another scheduler meanwhile, and the
next sweep sends it again with the same Message-ID, so the receiver drops the copy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from odr.extensions import db
from odr.notifications import channels
from odr.notifications.dispatch import dispatch_due
from odr.notifications.models import OutboxMessage
from odr.notifications.services import enqueue


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the dispatcher handles it."""


def test_crash_between_send_and_commit_resends_with_same_message_id(app: Any, world: Any, smtp: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first = enqueue("email", "party@example.com", "开庭提醒", "明天上午十点调解", key="crash-window:1")
    second = enqueue("email", "other@example.com", "Notice", "Body", key="crash-window:2")
    db.session.commit()
    first_id, second_id = first.id, second.id
    real_send = channels.SENDERS["email"]
    seen_by_other: list[Any] = []

    def send_then_die(msg: OutboxMessage) -> str:
        real_send(msg)  # the SMTP server has said 250
        if db.engine.dialect.name == "postgresql":
            # a second scheduler sweeping in the crash window must not take the locked row
            with db.engine.connect() as other:
                seen_by_other.append(other.execute(text(
                    "SELECT id FROM outbox_message WHERE id = :id AND status = 'pending' "
                    "FOR UPDATE SKIP LOCKED"), {"id": msg.id}).scalar())
        raise Killed

    monkeypatch.setitem(channels.SENDERS, "email", send_then_die)
    with pytest.raises(Killed):
        dispatch_due()
    db.session.rollback()  # the dead process's transaction: its connection is gone
    db.engine.dispose()
    monkeypatch.setitem(channels.SENDERS, "email", real_send)

    assert seen_by_other == ([None] if db.engine.dialect.name == "postgresql" else [])
    assert [m["Message-ID"] for m in smtp.messages] and len(smtp.messages) == 1
    rows = {m.id: m for m in db.session.scalars(db.select(OutboxMessage))}
    assert rows[first_id].status == "pending" and rows[second_id].status == "pending"  # nothing lost

    assert dispatch_due()["sent"] == 2  # the restarted scheduler
    assert dispatch_due()["sent"] == 0
    copies = [m for m in smtp.messages if m["To"] == "party@example.com"]
    assert len(copies) == 2 and copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert copies[0]["Message-ID"].startswith(f"<odr-outbox-{first_id}.")
    assert len(smtp.to("other@example.com")) == 1
    db.session.expire_all()
    assert {m.status for m in db.session.scalars(db.select(OutboxMessage))} == {"sent"}
