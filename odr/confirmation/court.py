"""Judicial confirmation, the court's side: accept (受理), not accept, materials, judge, ruling.

Clocks (D §4, D §5, B §187): acceptance within 3 days of submission; once accepted, a
target of CONFIRMATION_TARGET_DAYS (15 by default, D §5) and the hard limit of 30 days
(B §187, extendable only with the president's approval, which is outside this system).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts.models import Role, User
from odr.audit.services import record
from odr.cases.lifecycle import transition
from odr.confirmation import rules
from odr.confirmation.hearing import follow_presiding
from odr.confirmation.models import ConfirmationApplication, MaterialsRequest
from odr.confirmation.outputs import tell
from odr.confirmation.paperwork import issue_ruling, last_performance_date
from odr.core.errors import BadInput, Conflict, Forbidden
from odr.core.sequences import next_value
from odr.core.signals import ruling_issued
from odr.core.time import DEFAULT_TZ, local, local_today, now
from odr.documents import numbers
from odr.extensions import db
from odr.scheduling.deadlines import close_deadlines, set_deadline
from odr.scheduling.models import Deadline


def court_staff(court_id: int) -> list[User]:
    return list(db.session.execute(
        select(User).where(User.court_id == court_id, User.role.in_(Role.COURT), User.active.is_(True))
        .order_by(User.id)).scalars())


def _require_staff(application: ConfirmationApplication, actor: User, *roles: str) -> None:
    """Defence in depth behind the policy: staff of the application's own court only."""
    if actor is None or actor.role not in (roles or Role.COURT) or actor.court_id != application.court_id:
        raise Forbidden(_l("Only staff of the court the application was made to can do this."))


def _tell_parties(application: ConfirmationApplication, kind: str, title: Any, body: Any, *,
                  legal: bool = True, document: Any = None) -> None:
    for party in application.case.parties:
        tell(party.user, kind, title, body, case=application.case, link=f"/confirmations/{application.id}",
             legal=legal, document=document)


def _mark_accepted(application: ConfirmationApplication, actor: User) -> None:
    moment = now()
    application.status = rules.ACCEPTED
    application.accepted_at = moment
    if actor.role == Role.CLERK and application.clerk_id is None:
        application.clerk_id = actor.id
    close_deadlines(confirmation=application, kinds=(rules.DL_ACCEPTANCE,))
    target = current_app.config.get("CONFIRMATION_TARGET_DAYS", 15)
    set_deadline(rules.DL_TARGET, moment + timedelta(days=target), confirmation=application, note="D §5")
    set_deadline(rules.DL_CONCLUSION, moment + timedelta(days=rules.CONCLUSION_DAYS), confirmation=application,
                 note="B §187")


def accept(application: ConfirmationApplication, actor: User) -> ConfirmationApplication:
    """受理: the court takes the application (D §4), starting the conclusion clocks."""
    _require_staff(application, actor)
    if application.status != rules.SUBMITTED:
        raise Conflict(_l("Only a newly submitted application can be accepted."), code="invalid_state")
    _mark_accepted(application, actor)
    record("confirmation.accept", application, actor=actor, before={"status": rules.SUBMITTED},
           after={"status": rules.ACCEPTED})
    _tell_parties(application, "confirmation_accepted", _l("The court accepted your application"),
                  _l("%(court)s accepted the application for judicial confirmation (受理).",
                     court=application.court.name))
    db.session.commit()
    return application


def not_accept(application: ConfirmationApplication, actor: User, reason: str) -> ConfirmationApplication:
    """不予受理 with the reason (C §355); the parties may still apply to the right court in time."""
    _require_staff(application, actor)
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_l("Give the reason for not accepting."), fields={"reason": _l("This field is required.")})
    if application.status != rules.SUBMITTED and not (
            application.status == rules.AWAITING and application.accepted_at is None):
        raise Conflict(_l("Only an application not yet accepted can be refused."), code="invalid_state")
    before = application.status
    application.status = rules.NOT_ACCEPTED
    application.reason = reason[:4000]
    application.decided_at = now()
    if actor.role == Role.CLERK and application.clerk_id is None:
        application.clerk_id = actor.id
    close_deadlines(confirmation=application, status="cancelled")
    record("confirmation.not_accept", application, actor=actor, before={"status": before},
           after={"status": rules.NOT_ACCEPTED, "reason": application.reason})
    _tell_parties(application, "confirmation_not_accepted", _l("The court did not accept your application"),
                  _l("%(court)s did not accept the application (不予受理): %(reason)s",
                     court=application.court.name, reason=application.reason))
    db.session.commit()
    return application


def request_materials(application: ConfirmationApplication, actor: User, description: str,
                      due_date: date) -> ConfirmationApplication:
    """Ask the parties for more statements or proof by a date (C §354 para 2, C §356).

    Where the clock pauses: before acceptance, missing filing materials (C §354) mean the
    application is not complete, so the 3-day acceptance period (D §4) stops and starts
    afresh when the materials arrive. After acceptance nothing in the law suspends the
    30-day conclusion period (B §187) or the 15-day target (D §5), so they keep running;
    a party who does not supply in time may be treated as having withdrawn (C §357).
    """
    _require_staff(application, actor)
    description = (description or "").strip()
    errors: dict[str, Any] = {}
    if not description:
        errors["description"] = _l("This field is required.")
    if due_date is None or due_date <= local_today():
        errors["due_date"] = _l("Choose a date after today.")
    elif due_date > local_today() + timedelta(days=rules.CONCLUSION_DAYS):
        errors["due_date"] = _l("Choose a date within 30 days.")
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    if application.status not in (rules.SUBMITTED, rules.ACCEPTED):
        raise Conflict(_l("Materials can be requested only while the court is reviewing."), code="invalid_state")
    before = application.status
    application.status = rules.AWAITING
    req = MaterialsRequest(description=description[:4000], due_date=due_date, requested_by_id=actor.id)
    application.materials_requests.append(req)
    if application.accepted_at is None:
        close_deadlines(confirmation=application, kinds=(rules.DL_ACCEPTANCE,), status="cancelled")
    due_at = datetime.combine(due_date, time(23, 59), DEFAULT_TZ).astimezone(UTC)
    set_deadline(rules.DL_MATERIALS, due_at, confirmation=application, note="C §356")
    db.session.flush()
    record("confirmation.request_materials", application, actor=actor, before={"status": before},
           after={"status": rules.AWAITING, "description": req.description, "due_date": due_date.isoformat()})
    _tell_parties(application, "confirmation_materials_requested", _l("The court asks for more materials"),
                  _l("%(court)s asks you to supply by %(date)s: %(what)s", court=application.court.name,
                     date=format_date(due_date), what=req.description))
    db.session.commit()
    return application


def assign_judge(application: ConfirmationApplication, actor: User, judge_id: int) -> ConfirmationApplication:
    """Designate the reviewing judge (D §6): a judge of the same court."""
    _require_staff(application, actor)
    judge = db.session.get(User, judge_id) if judge_id else None
    if judge is None or judge.role != Role.JUDGE or judge.court_id != application.court_id or not judge.active:
        raise BadInput(_l("Choose a judge of this court."), fields={"judge_id": _l("Choose a judge of this court.")})
    if application.status not in rules.AT_COURT:
        raise Conflict(_l("A judge can be assigned only while the application is under review."),
                       code="invalid_state")
    before = application.judge_id
    application.judge_id = judge.id
    if actor.role == Role.CLERK and application.clerk_id is None:
        application.clerk_id = actor.id
    record("confirmation.assign", application, actor=actor, before={"judge_id": before},
           after={"judge_id": judge.id})
    follow_presiding(application, before, actor)  # an open hearing's host seat moves with the judge
    if judge.id != actor.id:
        tell(judge, "confirmation_assigned", _l("Judicial confirmation assigned to you"),
             _l("Case %(number)s is yours to review.", number=application.case.number or application.case_id),
             case=application.case, link=f"/confirmations/{application.id}")
    db.session.commit()
    return application


def _check_ruling(application: ConfirmationApplication, judge: User, decision: str,
                  grounds: list[str], reason: str) -> list[str]:
    if application.status in (rules.CONFIRMED, rules.REJECTED) or application.ruling_number:
        raise Conflict(_l("This application has already been ruled on."), code="already_ruled")
    if judge is None or judge.role != Role.JUDGE or judge.court_id != application.court_id:
        raise Forbidden(_l("Only a judge of the court the application was made to can rule."))
    if application.status not in (rules.SUBMITTED, rules.ACCEPTED):
        raise Conflict(_l("The application is not ready for a ruling."), code="invalid_state")
    if decision not in ("confirm", "reject"):
        raise BadInput(_l("Choose confirm or reject."), fields={"decision": _l("Choose confirm or reject.")})
    clean = [g for g in dict.fromkeys(grounds or [])]
    unknown = [g for g in clean if g not in rules.GROUND_KEYS]
    if unknown:
        raise BadInput(_l("Unknown grounds: %(g)s.", g=", ".join(unknown)), fields={"grounds": _l("Unknown grounds.")})
    if decision == "reject" and not clean:
        raise BadInput(_l("A rejection must state at least one of the lawful grounds (C §358)."),
                       code="grounds_required", fields={"grounds": _l("Choose at least one ground.")})
    if decision == "reject" and "other" in clean and not reason.strip():
        raise BadInput(_l("Explain the other circumstances in the reason."),
                       fields={"reason": _l("This field is required.")})
    if decision == "confirm" and clean:
        raise BadInput(_l("Grounds apply only to a rejection."), fields={"grounds": _l("Leave empty to confirm.")})
    return clean


def rule(application: ConfirmationApplication, judge: User, decision: str, grounds: list[str] | None = None,
         reason: str | None = None) -> ConfirmationApplication:
    """Rule: confirm valid (B §206) or reject on the lawful grounds (C §358); the case closes.

    The number is the court's next 民特 number for the year, gap-free (core.sequences),
    allocated in this transaction so a failure gives it back. A submitted application is
    accepted implicitly (the court may accept and decide at once, D §4).
    """
    reason = (reason or "").strip()[:4000]
    grounds = _check_ruling(application, judge, decision, grounds or [], reason)
    if application.status == rules.SUBMITTED:
        _mark_accepted(application, judge)
        record("confirmation.accept", application, actor=judge, before={"status": rules.SUBMITTED},
               after={"status": rules.ACCEPTED, "implicit": True})
    moment = now()
    year = local(moment).year
    court = application.court
    seq = next_value(f"ruling:{court.id}", year)
    application.ruling_year, application.ruling_seq = year, seq
    application.ruling_number = numbers.ruling_number(year, court.code, seq)
    application.judge_id = judge.id
    if application.clerk_id is None:
        application.clerk_id = next((u.id for u in court_staff(court.id) if u.role == Role.CLERK), None)
    application.decision, application.grounds, application.reason = decision, grounds, reason or None
    application.status = rules.CONFIRMED if decision == "confirm" else rules.REJECTED
    application.decided_at = moment
    db.session.flush()
    doc = issue_ruling(application)
    close_deadlines(confirmation=application)
    record("confirmation.rule", application, actor=judge, before={"status": rules.ACCEPTED},
           after={"status": application.status, "ruling_number": application.ruling_number,
                  "grounds": grounds, "reason": reason, "document_id": doc.id})
    case = application.case
    transition(case, "close", judge, reason=application.ruling_number, check_policy=False,
               details={"ruling_number": application.ruling_number, "decision": decision})
    _serve_ruling(application, doc)
    ruling_issued.send(application, decision=decision)
    db.session.commit()
    return application


def _serve_ruling(application: ConfirmationApplication, doc: Any) -> None:
    """Serve the ruling (送达) with what it means for the parties next."""
    court = application.court
    final = _l("The ruling takes effect at once and cannot be appealed; a party who believes it is wrong "
               "may object to %(court)s within 15 days of receiving it.", court=court.name)
    if application.decision == "confirm":
        body = _l("%(court)s confirmed the agreement as valid (%(number)s). %(final)s",
                  court=court.name, number=application.ruling_number, final=final)
    else:
        body = _l("%(court)s rejected the application (%(number)s). You may amend the agreement by mediation, "
                  "reach a new agreement, or sue at the people's court. %(final)s",
                  court=court.name, number=application.ruling_number, final=final)
    _tell_parties(application, "confirmation_ruling", _l("Ruling served: %(number)s", number=application.ruling_number),
                  body, document=doc)
    if application.decision != "confirm":
        return
    agreement = application.agreement
    last = last_performance_date(agreement)
    obligees = {t.obligee for t in agreement.terms if t.obligee}
    creditors = [p for p in application.case.parties if p.name in obligees] or list(application.case.parties)
    if last is not None:
        until = last.replace(year=last.year + rules.EXECUTION_YEARS) if not (last.month == 2 and last.day == 29) \
            else date(last.year + rules.EXECUTION_YEARS, 2, 28)
        how = _l("If the other side does not perform, you may apply to %(court)s for execution, bringing ruling "
                 "%(number)s. Apply within 2 years of the last performance date (%(last)s), that is by %(until)s "
                 "(Civil Procedure Law §250). Reminders for the performance dates in the agreement continue.",
                 court=court.name, number=application.ruling_number, last=format_date(last),
                 until=format_date(until))
    else:
        how = _l("If the other side does not perform, you may apply to %(court)s for execution, bringing ruling "
                 "%(number)s, within 2 years of the performance date the agreement sets (Civil Procedure Law "
                 "§250).", court=court.name, number=application.ruling_number)
    for party in creditors:
        tell(party.user, "confirmation_execution", _l("How to apply for execution"), how, case=application.case,
             link=f"/confirmations/{application.id}")


def decide_before(application: ConfirmationApplication) -> datetime | None:
    """The next court deadline of an open application (what the queue counts down to)."""
    rows = db.session.execute(
        select(Deadline).where(Deadline.confirmation_id == application.id, Deadline.status == "open",
                               Deadline.kind.in_(rules.COURT_DEADLINES)).order_by(Deadline.due_at)).scalars()
    first = next(iter(rows), None)
    return first.due_at if first else None


__all__ = ["accept", "assign_judge", "court_staff", "decide_before", "not_accept", "request_materials", "rule"]
