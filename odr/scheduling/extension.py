"""Extending the mediation period by agreement (E §24: 30 days, "extendable by agreement").

The mediator asks for a new end date with a reason; every party (or an agent acting for
it) consents or refuses. Mediation is voluntary, so one refusal ends the request and the
period stands; when the last party consents the period's deadline moves, audited and
notified. This also works after the period ran out, while the grace period runs
(``mediation_grace``, see ``odr.scheduling.sweep``): the mediator must extend with
consent or close the mediation as failed. Services commit; refusals raise domain errors.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.audit.services import record
from odr.core.errors import BadInput, Conflict, RuleBroken
from odr.core.time import DEFAULT_TZ, iso, now
from odr.extensions import db
from odr.notifications.services import notify_case_parties
from odr.scheduling.deadlines import close_deadlines, set_deadline
from odr.scheduling.models import Deadline, ExtensionRequest
from odr.scheduling.workdays import end_of_local_day

#: an extension longer than this is more likely a typo than an agreement
MAX_EXTENSION_DAYS = 180


def _period(case: Any) -> Deadline | None:
    """The mediation period to extend: the open one, or the expired one while the grace
    period after it still runs."""
    rows = list(db.session.execute(select(Deadline).where(
        Deadline.case_id == case.id, Deadline.kind.in_(("mediation_period", "mediation_grace")))
        .order_by(Deadline.id.desc())).scalars())
    period = next((d for d in rows if d.kind == "mediation_period"), None)
    if period is None or period.status == "open":
        return period
    grace_open = any(d.kind == "mediation_grace" and d.status == "open" for d in rows)
    return period if period.status == "expired" and grace_open else None


def pending_request(case: Any) -> ExtensionRequest | None:
    return db.session.execute(select(ExtensionRequest).where(
        ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending")).scalar_one_or_none()


def case_requests(case: Any) -> list[ExtensionRequest]:
    return list(db.session.execute(select(ExtensionRequest).where(ExtensionRequest.case_id == case.id)
                                   .order_by(ExtensionRequest.id.desc())).scalars())


def new_due_date(req: ExtensionRequest, deadline: Deadline | None = None) -> date:
    """The requested last day: ``days`` after the period's last day (Asia/Shanghai)."""
    deadline = deadline or db.session.get(Deadline, req.deadline_id)
    return deadline.due_at.astimezone(DEFAULT_TZ).date() + timedelta(days=req.days)


def _parse_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise BadInput(_l("Give the new end date as YYYY-MM-DD."), code="bad_date",
                       fields={"due_date": _l("Give a date as YYYY-MM-DD.")}) from None


def request_extension(case: Any, actor: Any, due_date: Any, reason: str) -> ExtensionRequest:
    """The mediator asks the parties to extend the mediation period to ``due_date``."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_l("Give a reason."), code="reason_required", fields={"reason": _l("This field is required.")})
    if case.status != "in_mediation":
        raise Conflict(_l("The mediation period can be extended only while the case is in mediation."),
                       code="invalid_state")
    period = _period(case)
    if period is None:
        raise Conflict(_l("This case has no mediation period to extend."), code="no_mediation_period")
    if pending_request(case) is not None:
        raise Conflict(_l("An extension request is already waiting for the parties."), code="extension_pending")
    target = _parse_date(due_date)
    current = period.due_at.astimezone(DEFAULT_TZ).date()
    days = (target - current).days
    if days < 1 or end_of_local_day(target) <= now():
        raise RuleBroken(_l("The new end date must be later than the current one and in the future."),
                         code="date_not_later", fields={"due_date": _l("Choose a later date.")})
    if days > MAX_EXTENSION_DAYS:
        raise RuleBroken(_l("Extend by at most %(n)d days at a time.", n=MAX_EXTENSION_DAYS),
                         code="extension_too_long", fields={"due_date": _l("Choose an earlier date.")})
    if any(p.user_id is None for p in case.parties):
        raise Conflict(_l("Every party needs an account on the platform to consent."), code="party_without_account")
    req = ExtensionRequest(deadline_id=period.id, case_id=case.id, days=days, reason=reason[:2000],
                           requested_by_id=actor.id, status="pending", consents=[])
    db.session.add(req)
    db.session.flush()
    record("case.extension.request", req, actor=actor,
           after={"due_date": target.isoformat(), "current_due_at": iso(period.due_at), "reason": reason})
    _tell(case, req, "extension_requested", actor, target)
    db.session.commit()
    return req


def _party_of(case: Any, user: Any) -> Any:
    """The party ``user`` is, or acts for as agent (None: neither)."""
    for party in case.parties:
        if party.user_id == user.id:
            return party
    for agent in case.agents:
        if agent.user_id == user.id:
            return agent.party
    return None


def consented_parties(case: Any, req: ExtensionRequest) -> set[int]:
    """Ids of the parties that consented (themselves or through an agent)."""
    by_user = set(req.consents or [])
    ids = {p.id for p in case.parties if p.user_id in by_user}
    ids |= {a.party_id for a in case.agents if a.user_id in by_user}
    return ids


def answer(req: ExtensionRequest, case: Any, actor: Any, consent: bool) -> ExtensionRequest:
    """A party consents or refuses; the last consent moves the deadline, a refusal ends it."""
    if req.status != "pending":
        raise Conflict(_l("This extension request is no longer open."), code="invalid_state")
    period = db.session.get(Deadline, req.deadline_id)
    if case.status != "in_mediation" or period is None or _period(case) is not period:
        req.status = "lapsed"
        record("case.extension.lapse", req, actor=actor, after={"status": "lapsed"})
        db.session.commit()
        raise Conflict(_l("The mediation period can no longer be extended."), code="invalid_state")
    party = _party_of(case, actor)
    if party is None:
        raise Conflict(_l("Only the parties decide on an extension."), code="not_party")
    if party.id in consented_parties(case, req):
        raise Conflict(_l("Your side has already consented."), code="already_answered")
    target = new_due_date(req, period)
    if not consent:
        req.status = "refused"
        record("case.extension.refuse", req, actor=actor, after={"status": "refused", "party_id": party.id})
        _tell(case, req, "extension_refused", actor, target)
        db.session.commit()
        return req
    req.consents = [*(req.consents or []), actor.id]  # a new list: JSON columns track assignment
    record("case.extension.consent", req, actor=actor, after={"party_id": party.id})
    if consented_parties(case, req) >= {p.id for p in case.parties}:
        _apply(req, case, period, target, actor)
    db.session.commit()
    return req


def _apply(req: ExtensionRequest, case: Any, period: Deadline, target: date, actor: Any) -> None:
    """Move the period. An open deadline moves in place (its warnings are keyed by due
    time, so they fire again for the new date); an expired one is followed by a new row
    (its expiry notice is keyed by row) and the grace period is met."""
    before = {"due_at": iso(period.due_at), "status": period.status}
    new_due = end_of_local_day(target)
    if period.status == "open":
        period.due_at = new_due
        period.extended_count += 1
        moved = period
    else:
        moved = set_deadline("mediation_period", new_due, case=case)
        moved.extended_count = period.extended_count + 1
        close_deadlines(case=case, kinds=("mediation_grace",))
    moved.note = req.reason[:500]
    req.status = "applied"
    db.session.flush()
    record("deadline.extend", moved, actor=actor, before=before,
           after={"due_at": iso(moved.due_at), "extension_request_id": req.id, "days": req.days})
    _tell(case, req, "extension_applied", actor, target)


def _tell(case: Any, req: ExtensionRequest, kind: str, actor: Any, target: date) -> None:
    """Everyone on the case hears of the request, the refusal or the new date (a legal step:
    delivery records on the case)."""
    from odr.notifications.templating import render_notice

    number = case.number or f"#{case.id}"
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
        title = {
            "extension_requested": _("Case %(number)s: the mediator asks to extend the mediation period",
                                     number=number),
            "extension_refused": _("Case %(number)s: the extension of the mediation period was refused",
                                   number=number),
            "extension_applied": _("Case %(number)s: the mediation period now ends on %(date)s",
                                   number=number, date=target.isoformat()),
        }[kind]
        body = render_notice(kind, case=case, number=number, date=target.isoformat(), reason=req.reason)
    notify_case_parties(case, kind, title, body, f"/cases/{case.id}#deadlines",
                        key=f"{kind}:{req.id}", legal=True,
                        exclude=actor if kind == "extension_requested" else None)


def panel_state(case: Any, user: Any) -> dict[str, Any]:
    """What the deadlines panel shows about extensions to ``user`` (read only)."""
    from odr.accounts import policy

    authed = user is not None and user.is_authenticated
    pending = pending_request(case)
    last = pending or next(iter(case_requests(case)), None)
    party = _party_of(case, user) if authed else None
    answered = pending is not None and party is not None and party.id in consented_parties(case, pending)
    return {
        "pending": pending,
        "last": last,
        "due_date": new_due_date(last) if last is not None else None,
        "can_request": bool(authed and pending is None and case.status == "in_mediation"
                            and _period(case) is not None and policy.can(user, "case.extend", case)),
        "can_answer": bool(authed and pending is not None and party is not None and not answered
                           and policy.can(user, "case.extend.consent", case)),
        "answered": answered,
    }
