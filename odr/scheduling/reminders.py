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
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from odr.accounts.models import User
from odr.cases.models import Case
from odr.core.time import iso, local, now
from odr.extensions import db
from odr.notifications.bulk import Notice, notify_many
from odr.notifications.dispatch import cancel_pending, lock_due
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
    """Send (or record as missed) one batch of due reminders. Commits.

    The batch is converted in bulk: its sessions, cases and users in three queries, the
    texts rendered once per recipient language (``force_locale`` is not free), and the
    inbox rows and e-mails written by ``notify_many`` in one INSERT each — the same rows
    and keys ``notify`` would store, so a repeat still stores nothing new.
    """
    moment = now()
    q = (select(SessionReminder).where(SessionReminder.status == "pending", SessionReminder.due_at <= moment)
         .order_by(SessionReminder.due_at).limit(limit))
    rows = db.session.execute(lock_due(q)).scalars().all()
    counts = {"sent": 0, "missed": 0}
    sessions, cases, users = _preload({r.session_id for r in rows}, {r.user_id for r in rows})
    by_locale: dict[str, list[SessionReminder]] = {}
    default_locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")
    for row in rows:
        session = sessions.get(row.session_id)
        if session is None or session.status != "booked" or session.sequence != row.sequence \
                or row.user_id not in users:
            row.status, row.handled_at = "cancelled", moment
            continue
        if moment > row.useful_until:
            row.status, row.handled_at = "missed", moment
            counts["missed"] += 1
            continue
        by_locale.setdefault(users[row.user_id].locale or default_locale, []).append(row)
        row.status, row.handled_at = "sent", moment
        counts["sent"] += 1
    notices = []
    for locale, group in by_locale.items():
        with force_locale(locale):
            for row in group:
                session = sessions[row.session_id]
                notices.append(_notice(row, session, cases[session.case_id], users[row.user_id]))
    notify_many(notices)
    db.session.commit()
    return counts


def _preload(session_ids: set[int], user_ids: set[int]) -> tuple[
        dict[int, MediationSession], dict[int, Case], dict[int, User]]:
    """A batch's sessions, cases and users in three queries instead of one per row."""
    if not session_ids:
        return {}, {}, {}
    sessions = {s.id: s for s in db.session.execute(
        select(MediationSession).where(MediationSession.id.in_(session_ids))).scalars()}
    cases = {c.id: c for c in db.session.execute(
        select(Case).where(Case.id.in_({s.case_id for s in sessions.values()}))).scalars()}
    users = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(user_ids))).scalars()}
    return sessions, cases, users


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _notice(row: SessionReminder, session: MediationSession, case: Case, user: User) -> Notice:
    """The reminder's texts, in the locale the caller has forced."""
    when = local(session.starts_at, _zone(user)).strftime("%Y-%m-%d %H:%M")
    if row.kind == "24h":
        title = _("Reminder: mediation session tomorrow at %(when)s", when=when)
    else:
        title = _("Reminder: mediation session in one hour (%(when)s)", when=when)
    body = render_notice("session_reminder", number=case.number or f"#{case.id}", when=when)
    return Notice(user_id=user.id, email=user.email, kind="session_reminder", title=str(title), body=body,
                  link=f"/cases/{case.id}", case_id=case.id, key=reminder_key(row),
                  extra={"expires_at": iso(row.useful_until)})


def pending_counts() -> dict[str, Any]:
    from sqlalchemy import func

    return dict(db.session.execute(select(SessionReminder.status, func.count()).group_by(SessionReminder.status)).all())
