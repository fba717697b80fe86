"""The periodic sweep: everything due in the project's own tables, in small locked batches.

Order matters: deadlines and reminders first (they enqueue messages), then the outbox (it
sends them) — so one sweep takes a reminder from "due" to "in the SMTP server". Every
step is idempotent (row status + unique keys), so two schedulers or a crash half-way
through a sweep never send anything twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from odr.accounts.models import Role, User
from odr.cases.models import Case
from odr.core.time import DEFAULT_TZ, now
from odr.extensions import db
from odr.notifications.dispatch import dispatch_due, lock_due
from odr.notifications.services import notify, notify_case_parties
from odr.notifications.templating import render_notice
from odr.scheduling.deadlines import WARNED_KINDS, set_deadline
from odr.scheduling.models import Deadline, DeadlineWarning
from odr.scheduling.reminders import process_due_reminders
from odr.scheduling.workdays import due_after_days

log = logging.getLogger("odr.scheduling")


def warning_leads() -> list[int]:
    raw = current_app.config.get("DEADLINE_WARNING_DAYS", (7, 2))
    return sorted({int(x) for x in raw}, reverse=True)


def run_sweep(batch: int = 200) -> dict[str, Any]:
    """One pass over deadlines, reminders and the outbox. Commits per batch."""
    out: dict[str, Any] = {}
    out["deadline_warnings"] = process_deadline_warnings(batch)
    out["expired"] = process_expired_deadlines(batch)
    out["reminders"] = process_due_reminders(batch)
    out["outbox"] = dispatch_due(batch)
    return out


def _locale() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")


def process_deadline_warnings(limit: int = 200) -> dict[str, int]:
    """Warn N days before a deadline; a warning that a later (shorter) one overtook while
    the scheduler was down is recorded as missed, so people get one useful warning."""
    moment = now()
    leads = warning_leads()
    counts = {"sent": 0, "missed": 0}
    if not leads:
        return counts
    horizon = moment + timedelta(days=leads[0])
    q = (select(Deadline).where(Deadline.status == "open", Deadline.kind.in_(WARNED_KINDS),
                                Deadline.due_at <= horizon, Deadline.due_at > moment)
         .order_by(Deadline.due_at).limit(limit))
    for dl in db.session.execute(lock_due(q)).scalars().all():
        done = set(db.session.execute(select(DeadlineWarning.lead_days).where(
            DeadlineWarning.deadline_id == dl.id, DeadlineWarning.due_at == dl.due_at)).scalars())
        remaining = dl.due_at - moment
        due_leads = [d for d in leads if remaining <= timedelta(days=d) and d not in done]
        if not due_leads:
            continue
        smallest = min(due_leads)
        for lead in due_leads:
            status = "sent" if lead == smallest else "missed"
            db.session.add(DeadlineWarning(deadline_id=dl.id, lead_days=lead, due_at=dl.due_at,
                                           status=status, created_at=moment))
            counts[status] += 1
        _warn(dl, smallest)
    db.session.commit()
    return counts


def _case(dl: Deadline) -> Case | None:
    return db.session.get(Case, dl.case_id) if dl.case_id else None


def _warn(dl: Deadline, lead: int) -> None:
    case = _case(dl)
    if case is None:
        return
    with force_locale(_locale()):
        title = _("Case %(number)s: deadline in %(n)d days", number=case.number or f"#{case.id}", n=lead)
        body = render_notice("deadline_warning", kind=dl.kind, deadline=dl, case=case,
                             due=dl.due_at.astimezone(DEFAULT_TZ).strftime("%Y-%m-%d %H:%M"))
    notify_case_parties(case, "deadline_warning", title, body,
                        key=f"deadline-warn:{dl.id}:{lead}d:{dl.due_at.isoformat()}")


def process_expired_deadlines(limit: int = 200) -> int:
    """Mark due deadlines expired and do what the rules demand. Commits."""
    moment = now()
    q = (select(Deadline).where(Deadline.status == "open", Deadline.due_at <= moment)
         .order_by(Deadline.due_at).limit(limit))
    rows = db.session.execute(lock_due(q)).scalars().all()
    for dl in rows:
        dl.status, dl.closed_at = "expired", moment
        try:
            with db.session.begin_nested():
                _on_expiry(dl)
        except Exception:  # noqa: BLE001 - one bad case must not stop the sweep; the deadline stays expired
            log.exception("expiry action for deadline %s failed", dl.id)
    db.session.commit()
    return len(rows)


def _staff_of(case: Case, roles: tuple[str, ...]) -> list[User]:
    q = select(User).where(User.role.in_(roles), User.active.is_(True))
    if roles == (Role.ORG_ADMIN,):
        q = q.where(User.organization_id == case.organization_id)
    else:
        q = q.where(User.court_id == case.court_id)
    return list(db.session.execute(q).scalars())


def _on_expiry(dl: Deadline) -> None:
    from odr.cases.lifecycle import transition

    case = _case(dl)
    if case is None:
        return
    number = case.number or f"#{case.id}"
    key = f"deadline-expired:{dl.id}"
    with force_locale(_locale()):
        if dl.kind == "mediation_period" and case.status == "in_mediation":
            grace = int(current_app.config.get("MEDIATION_GRACE_DAYS", 3))
            set_deadline("mediation_grace", due_after_days(now(), grace), case=case)
            notify_case_parties(case, "mediation_period_over",
                                _("Case %(number)s: the mediation period is over", number=number),
                                _("The mediator must extend the period with every party's consent, or close "
                                  "the mediation as failed, within %(n)d days.", n=grace), key=key, legal=True)
        elif dl.kind == "mediation_grace" and case.status == "in_mediation":
            transition(case, "expire", None, reason=_("The mediation period ended without an extension."))
        elif dl.kind == "confirmation_window" and case.status == "agreement_effective":
            transition(case, "close", None,
                       reason=_("The 30-day window for judicial confirmation closed without an application."))
        elif dl.kind in ("respondent_answer", "mediator_acceptance"):
            for admin in _staff_of(case, (Role.ORG_ADMIN,)):
                notify(admin, "deadline_expired", _("Case %(number)s: a deadline passed", number=number),
                       _("Deadline “%(kind)s” passed without action.", kind=dl.kind),
                       f"/cases/{case.id}", case=case, key=f"{key}:user:{admin.id}")
        elif dl.kind == "performance":
            notify_case_parties(case, "performance_due",
                                _("Case %(number)s: a performance date has passed", number=number),
                                _("If the obligation (%(what)s) was not performed and the agreement was "
                                  "judicially confirmed, you may apply to the court for execution within two "
                                  "years.", what=dl.note or ""), key=key)
        elif dl.kind in ("court_acceptance", "conclusion_target", "conclusion_hard"):
            for staff in _staff_of(case, (Role.JUDGE, Role.CLERK)):
                notify(staff, "deadline_expired", _("Case %(number)s: a court deadline passed", number=number),
                       _("Deadline “%(kind)s” passed.", kind=dl.kind), f"/cases/{case.id}", case=case,
                       key=f"{key}:user:{staff.id}")
