"""Sending what the outbox holds: batches, row locks, retries with backoff, "missed".

Called by the scheduler's sweep (and by tests) — never from a web request. Each batch
locks its rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two schedulers never take
the same row; SQLite has one writer at a time), sends, records the outcome and commits.
A message whose ``extra["expires_at"]`` has passed (a reminder for a session that already
began) is recorded as ``missed`` instead of being sent late.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, text, update

from odr.core.time import now, parse_iso
from odr.extensions import db
from odr.notifications.channels import SENDERS, PermanentFailure, SmtpBatch
from odr.notifications.models import Delivery, OutboxMessage

log = logging.getLogger("odr.notifications")

#: the PostgreSQL channel the leading scheduler LISTENs on (odr.scheduling.wakeup)
WAKE_CHANNEL = "odr_sweep"
#: set while the scheduler itself sweeps: what it enqueues is sent in that same sweep,
#: so waking itself would only cost a round trip per message and an idle extra sweep
IN_SWEEP: ContextVar[bool] = ContextVar("odr_in_sweep", default=False)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 2 min, 4 min … capped at an hour: a flapping SMTP server is not hammered."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def wake_scheduler() -> None:
    """Ask the leading scheduler to sweep as soon as the caller's transaction commits.

    PostgreSQL delivers a NOTIFY only on commit (nothing on rollback) and folds repeats
    within one transaction, so calling this once per enqueued message is cheap. SQLite
    has no such channel; there the sweep's interval and next-due wake-up do the work.
    """
    if not IN_SWEEP.get() and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"NOTIFY {WAKE_CHANNEL}"))


def lock_due(query: Any) -> Any:
    """Add the row lock that lets several schedulers share the work without overlap."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def dispatch_due(limit: int = 100) -> dict[str, int]:
    """Send up to ``limit`` due messages; return counts by outcome. Commits.

    One message per transaction: each row is locked, sent and its outcome committed
    before the next is taken. Committing once per batch meant a scheduler killed
    mid-batch had sent messages whose "sent" was never stored, and its successor sent
    them all again (tests/faults/test_scheduler_crash.py saw 31 repeats); now a crash
    can repeat only the one message in flight, and that with the same Message-ID. The
    SMTP connection is still shared by the whole batch.
    """
    counts = {"sent": 0, "retry": 0, "failed": 0, "missed": 0}
    max_attempts = int(current_app.config.get("OUTBOX_MAX_ATTEMPTS", 6))
    with SmtpBatch():
        for _ in range(limit):
            q = (select(OutboxMessage)
                 .where(OutboxMessage.status == "pending",
                        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now()))
                 .order_by(OutboxMessage.id).limit(1))
            msg = db.session.execute(lock_due(q)).scalars().first()
            if msg is None:
                break
            counts[_send_one(msg, max_attempts)] += 1
            db.session.commit()
    db.session.commit()
    return counts


def _send_one(msg: OutboxMessage, max_attempts: int) -> str:
    moment = now()
    expires = (msg.extra or {}).get("expires_at")
    if expires and parse_iso(expires) <= moment:
        msg.status = "missed"
        msg.last_error = "no longer useful when it came due (scheduler was down)"
        return "missed"
    sender = SENDERS.get(msg.channel)
    msg.attempts += 1
    try:
        if sender is None:
            raise PermanentFailure(f"no sender for channel {msg.channel!r}")
        msg.response = (sender(msg) or "")[:2000]
    except PermanentFailure as exc:
        msg.status, msg.last_error = "failed", str(exc)[:2000]
        log.warning("outbox %s failed permanently: %s", msg.id, exc)
        return "failed"
    except Exception as exc:  # noqa: BLE001 - any transport error is retried
        msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if msg.attempts >= max_attempts:
            msg.status = "failed"
            log.warning("outbox %s failed after %s attempts: %s", msg.id, msg.attempts, exc)
            return "failed"
        msg.next_attempt_at = moment + backoff(msg.attempts)
        return "retry"
    msg.status, msg.sent_at, msg.last_error = "sent", moment, None
    db.session.execute(update(Delivery).where(Delivery.outbox_id == msg.id)
                       .values(sent_at=moment, attempts=msg.attempts))
    return "sent"


def drain(max_batches: int = 100, limit: int = 100) -> int:
    """Dispatch until nothing is due (tests, the embedded scheduler's catch-up)."""
    total = 0
    for _ in range(max_batches):
        counts = dispatch_due(limit)
        handled = sum(counts.values())
        total += handled
        if handled == 0 or counts["retry"] == handled:
            break
    return total


def retry_message(msg: OutboxMessage, actor: Any) -> OutboxMessage:
    """An admin sends a failed message again (after fixing the address or the server)."""
    from odr.audit.services import record

    before = {"status": msg.status, "attempts": msg.attempts}
    msg.status, msg.attempts, msg.next_attempt_at, msg.last_error = "pending", 0, None, None
    record("outbox.retry", msg, actor=actor, before=before, after={"status": "pending"})
    db.session.commit()
    return msg


def cancel_pending(key_prefix: str) -> int:
    """Withdraw messages not yet sent (a cancelled session's reminders). Caller commits."""
    return db.session.execute(update(OutboxMessage).where(
        OutboxMessage.key.startswith(key_prefix, autoescape=True), OutboxMessage.status == "pending",
    ).values(status="cancelled", last_error="withdrawn before sending")).rowcount
