"""Sending what the outbox holds: batches, row locks, retries with backoff, "missed".

Called by the scheduler's sweep (and by tests) — never from a web request. A batch is
read once; then each message is locked by primary key (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two schedulers never take the same row; SQLite has one writer at a time),
sent, and its outcome committed before the next one (see ``dispatch_due`` for why).
A message whose ``extra["expires_at"]`` has passed (a reminder for a session that already
began) is recorded as ``missed`` instead of being sent late.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, text, update

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


def _due_rows(limit: int) -> list[Any]:
    """The oldest due messages, read without locks (each is locked when sent).

    Two range scans of the (status, next_attempt_at) index — first sends
    (next_attempt_at NULL) and retries whose backoff has passed — each cheap however many
    retries wait for later (30,000 in the benchmark), once per batch rather than once per
    message.
    """
    t = OutboxMessage.__table__
    pending = select(t).where(t.c.status == "pending")
    fresh = db.session.execute(pending.where(t.c.next_attempt_at.is_(None)).order_by(t.c.id).limit(limit)).all()
    retries = db.session.execute(pending.where(t.c.next_attempt_at <= now())
                                 .order_by(t.c.next_attempt_at).limit(limit)).all()
    return sorted([*fresh, *retries], key=lambda r: r.id)[:limit]


def _batch_context(rows: list[Any]) -> tuple[dict[int, str | None], set[int]]:
    """Recipients' locales and the rows that carry a delivery record: one query each per
    batch rather than one per message."""
    from odr.accounts.models import User

    user_ids = {r.user_id for r in rows if r.user_id and r.channel == "email"}
    locales = dict(db.session.execute(select(User.id, User.locale).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    served = set(db.session.scalars(select(Delivery.outbox_id).where(Delivery.outbox_id.in_([r.id for r in rows]))))
    return locales, served


def dispatch_due(limit: int = 100) -> dict[str, int]:
    """Send up to ``limit`` due messages; return counts by outcome. Commits.

    One message per transaction, and the outcome committed before the next message is
    sent: a scheduler killed mid-batch has stored "sent" for everything the SMTP server
    acknowledged except at most the one message in flight, which the next sweep sends
    again with the same Message-ID (tests/faults/test_scheduler_crash.py; committing once
    per batch repeated 31 messages there). Each transaction locks its row by primary key
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's single writer) and re-checks that
    it is still pending, so two schedulers never send the same row; a dead scheduler's
    lock dies with its connection, leaving nothing to recover by timeout. The batch is
    read once, its recipients' locales and delivery records in one query each, and the
    per-message statements are Core (no ORM load or refresh): with the SMTP connection
    shared by the batch, a message costs a primary-key lock, one UPDATE and a commit.
    """
    counts = {"sent": 0, "retry": 0, "failed": 0, "missed": 0}
    max_attempts = int(current_app.config.get("OUTBOX_MAX_ATTEMPTS", 6))
    rows = _due_rows(limit)
    if not rows:
        db.session.commit()
        return counts
    locales, served = _batch_context(rows)
    db.session.commit()  # hold no lock while the batch is sent
    t = OutboxMessage.__table__
    with SmtpBatch(locales):
        for row in rows:
            attempts = db.session.execute(lock_due(select(t.c.attempts).where(
                t.c.id == row.id, t.c.status == "pending"))).scalar()
            if attempts is None:  # sent, cancelled or taken by another scheduler meanwhile
                db.session.rollback()
                continue
            msg = OutboxMessage(**{**row._asdict(), "attempts": attempts})
            outcome, values = _send_one(msg, max_attempts)
            counts[outcome] += 1
            db.session.execute(update(t).where(t.c.id == row.id).values(**values))
            if outcome == "sent" and row.id in served:
                db.session.execute(update(Delivery).where(Delivery.outbox_id == row.id)
                                   .values(sent_at=values["sent_at"], attempts=values["attempts"]))
            db.session.commit()
    return counts


def _send_one(msg: OutboxMessage, max_attempts: int) -> tuple[str, dict[str, Any]]:
    """Send one message (a transient copy of its row); return the outcome and the
    column values to store."""
    moment = now()
    expires = (msg.extra or {}).get("expires_at")
    if expires and parse_iso(expires) <= moment:
        return "missed", {"status": "missed", "last_error": "no longer useful when it came due (scheduler was down)"}
    sender = SENDERS.get(msg.channel)
    attempts = msg.attempts + 1
    try:
        if sender is None:
            raise PermanentFailure(f"no sender for channel {msg.channel!r}")
        response = (sender(msg) or "")[:2000]
    except PermanentFailure as exc:
        log.warning("outbox %s failed permanently: %s", msg.id, exc)
        return "failed", {"status": "failed", "attempts": attempts, "last_error": str(exc)[:2000]}
    except Exception as exc:  # noqa: BLE001 - any transport error is retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempts >= max_attempts:
            log.warning("outbox %s failed after %s attempts: %s", msg.id, attempts, exc)
            return "failed", {"status": "failed", "attempts": attempts, "last_error": error}
        return "retry", {"attempts": attempts, "last_error": error, "next_attempt_at": moment + backoff(attempts)}
    return "sent", {"status": "sent", "attempts": attempts, "sent_at": moment, "last_error": None,
                    "response": response}


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
