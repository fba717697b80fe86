"""Waking the leader's sweep early: the next due row, and LISTEN/NOTIFY on PostgreSQL.

The sweep runs every SCHEDULER_SWEEP_SECONDS; without help a reminder fires up to one
interval late, and a message the web app enqueues for "now" waits for the next tick.
Two things shorten that without sweeping more often:

- after each sweep the leader looks up the earliest pending due time (indexed MIN over
  reminders and the outbox) and, when it comes before the next tick, moves the sweep
  job's next run to that moment;
- on PostgreSQL, a transaction that makes something due (an outbox message, reminder
  rows) sends ``NOTIFY odr_sweep``; PostgreSQL delivers it only when that transaction
  commits (and folds repeats within it into one), and a listener thread in the leader
  wakes the sweep at once. SQLite has no such channel: there the interval and the
  next-due wake-up do the work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from odr.core.time import now
from odr.extensions import db
from odr.notifications.dispatch import WAKE_CHANNEL as CHANNEL
from odr.notifications.dispatch import wake_scheduler

log = logging.getLogger("odr.scheduling")



def notify_sweep() -> None:
    """Ask the leading scheduler to look again once the caller's transaction commits: new
    reminder rows may fall due before its next tick (PostgreSQL; see the module doc)."""
    wake_scheduler()


def next_due() -> datetime | None:
    """The earliest moment a pending reminder or outbox message falls due (None: nothing).

    Both lookups walk the (status, due) indexes, so they cost the same with 100,000
    pending rows as with ten. Deadlines are left to the interval: they fall due on the
    scale of days, and their warnings need no second-level precision.
    """
    from odr.notifications.models import OutboxMessage
    from odr.scheduling.models import SessionReminder

    pending_now = db.session.execute(select(OutboxMessage.id).where(
        OutboxMessage.status == "pending", OutboxMessage.next_attempt_at.is_(None)).limit(1)).first()
    if pending_now is not None:
        return now()
    candidates = [
        db.session.scalar(select(func.min(SessionReminder.due_at)).where(SessionReminder.status == "pending")),
        db.session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending")),
    ]
    found = [c for c in candidates if c is not None]
    return min(found) if found else None


class NotifyListener:
    """A thread holding ``LISTEN odr_sweep`` on its own connection; calls ``wake`` per burst.

    Notifications arriving within ``debounce`` seconds of the first are folded into one
    wake: a web app committing a hundred messages a second causes a few sweeps, not a
    hundred; none is dropped, since every wake comes after the notes it folds.
    """

    def __init__(self, url: str, wake: Callable[[], None], debounce: float = 0.05) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        self.wake = wake
        self.debounce = debounce
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> NotifyListener:
        self._thread = threading.Thread(target=self._run, name="odr-sweep-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._listen()
            except Exception:  # noqa: BLE001 - database away: the interval still sweeps; listen again later
                log.exception("sweep listener failed; retrying")
                self.stopping.wait(2.0)

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        try:
            conn = raw.driver_connection  # psycopg 3 connection
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            while not self.stopping.is_set():
                if not any(True for _note in conn.notifies(timeout=1.0, stop_after=1)):
                    continue
                # fold a burst into one wake-up: wait a moment, then drop what queued meanwhile
                self.stopping.wait(self.debounce)
                for _note in conn.notifies(timeout=0.001):
                    pass
                self.wake()
        finally:
            raw.close()
