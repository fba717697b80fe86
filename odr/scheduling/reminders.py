"""Reminders 24 h and 1 h before each booked session: rows written at booking, sent by the sweep.

The web app never adds APScheduler jobs (another process's job store is not seen until
that scheduler wakes, and a job store must not be shared); it writes ``SessionReminder``
rows, and the leading scheduler's sweep sends the due ones. After downtime a reminder is
still sent if it is useful (the session has not begun, or for the 24 h reminder, is more
than an hour away) and otherwise recorded as ``missed`` — each exactly once, because the
row is locked while handled and the message key is unique.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from odr.accounts.models import User
from odr.cases.models import Case
from odr.core.time import iso, local, now
from odr.extensions import db
from odr.notifications.dispatch import cancel_pending, lock_due
from odr.notifications.services import notify
from odr.notifications.templating import render_notice
from odr.scheduling.models import MediationSession, SessionReminder
from odr.scheduling.wakeup import notify_sweep

#: (kind, lead before the start, useful until this long before the start)
REMINDERS = (("24h", timedelta(hours=24), timedelta(hours=1)), ("1h", timedelta(hours=1), timedelta(0)))


def reminder_key(reminder: SessionReminder) -> str:
    return f"reminder-{reminder.kind}:session:{reminder.session_id}:seq:{reminder.sequence}:user:{reminder.user_id}"


def create_reminders(session: MediationSession) -> list[SessionReminder]:
    """Rows for every attendee; a reminder already due at booking time is left out (the
    booking notice itself tells them). No commit."""
    moment = now()
    rows = []
    for kind, lead, keep in REMINDERS:
        due = session.starts_at - lead
        if due <= moment:
            continue
        for att in session.attendees:
            row = SessionReminder(session_id=session.id, sequence=session.sequence, user_id=att.user_id,
                                  kind=kind, due_at=due, useful_until=session.starts_at - keep,
                                  status="pending", created_at=moment)
            db.session.add(row)
            rows.append(row)
    db.session.flush()
    if rows:
        notify_sweep()  # the leader recomputes its next wake-up on commit
    return rows


def cancel_reminders(session: MediationSession) -> None:
    """Withdraw pending reminders (and their unsent messages) of the current sequence."""
    db.session.execute(update(SessionReminder).where(
        SessionReminder.session_id == session.id, SessionReminder.status == "pending",
    ).values(status="cancelled", handled_at=now()))
    cancel_pending(f"reminder-24h:session:{session.id}:seq:{session.sequence}:")
    cancel_pending(f"reminder-1h:session:{session.id}:seq:{session.sequence}:")


def process_due_reminders(limit: int = 200) -> dict[str, int]:
    """Send (or record as missed) one batch of due reminders. Commits."""
    moment = now()
    q = (select(SessionReminder).where(SessionReminder.status == "pending", SessionReminder.due_at <= moment)
         .order_by(SessionReminder.due_at).limit(limit))
    rows = db.session.execute(lock_due(q)).scalars().all()
    counts = {"sent": 0, "missed": 0}
    _preload({r.session_id for r in rows}, {r.user_id for r in rows})
    for row in rows:
        session = db.session.get(MediationSession, row.session_id)
        if session is None or session.status != "booked" or session.sequence != row.sequence:
            row.status, row.handled_at = "cancelled", moment
            continue
        if moment > row.useful_until:
            row.status, row.handled_at = "missed", moment
            counts["missed"] += 1
            continue
        _send(row, session)
        row.status, row.handled_at = "sent", moment
        counts["sent"] += 1
    db.session.commit()
    return counts


def _preload(session_ids: set[int], user_ids: set[int]) -> None:
    """Load a batch's sessions, cases and users in three queries instead of one per row
    (the identity map then serves ``session.get``): the sweep's cost per reminder."""
    if not session_ids:
        return
    sessions = db.session.execute(select(MediationSession).where(MediationSession.id.in_(session_ids))).scalars().all()
    case_ids = {s.case_id for s in sessions}
    db.session.execute(select(Case).where(Case.id.in_(case_ids))).scalars().all()
    db.session.execute(select(User).where(User.id.in_(user_ids))).scalars().all()


def _send(row: SessionReminder, session: MediationSession) -> None:
    user = db.session.get(User, row.user_id)
    case = db.session.get(Case, session.case_id)
    tz = user.timezone or current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    when = local(session.starts_at, zone).strftime("%Y-%m-%d %H:%M")
    with force_locale(user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
        if row.kind == "24h":
            title = _("Reminder: mediation session tomorrow at %(when)s", when=when)
        else:
            title = _("Reminder: mediation session in one hour (%(when)s)", when=when)
        body = render_notice("session_reminder", number=case.number or f"#{case.id}", when=when)
    result = notify(user, "session_reminder", title, body, f"/cases/{case.id}", case=case,
                    key=reminder_key(row), channels=("inbox", "email"))
    for msg in result.messages:
        msg.extra = {**(msg.extra or {}), "expires_at": iso(row.useful_until)}


def pending_counts() -> dict[str, Any]:
    from sqlalchemy import func

    return dict(db.session.execute(select(SessionReminder.status, func.count()).group_by(SessionReminder.status)).all())
