"""Disclosure and recusal (回避) [E §13, §14; F §15].

On assignment the mediator declares any relation to the parties; a party may ask that
the mediator withdraw, giving a reason; the mediator may withdraw on their own; the
organization admin decides a party's request and reassigns. Each step is audited and
the people concerned are told, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts import policy
from odr.accounts.models import Role, User
from odr.audit.services import record
from odr.cases.assignment import assign, unassign
from odr.cases.models import Case
from odr.core.errors import BadInput, Conflict, Forbidden
from odr.core.time import now
from odr.extensions import db
from odr.mediators.models import Disclosure, RecusalRequest


def org_admins(organization_id: int | None) -> list[User]:
    if organization_id is None:
        return []
    return list(db.session.execute(select(User).where(
        User.role == Role.ORG_ADMIN, User.organization_id == organization_id, User.active.is_(True))).scalars())


def _tell(users: list[User], kind: str, title: Any, body: Any, case: Case) -> None:
    from odr.notifications.services import notify

    for user in users:
        notify(user, kind, str(title), str(body), f"/cases/{case.id}", case=case,
               key=f"{kind}:{case.id}:{user.id}:{now().timestamp()}")


def _tell_parties(case: Case, kind: str, title: Any, body: Any, exclude: Any = None) -> None:
    from odr.notifications.services import notify_case_parties

    notify_case_parties(case, kind, str(title), str(body), include_mediator=False, exclude=exclude)


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise BadInput(_l("Give a reason."), code="reason_required", fields={"reason": _l("Give a reason.")})
    return text[:4000]


def disclose(case: Case, actor: Any, has_relation: bool, description: str | None = None) -> Disclosure:
    """The assigned mediator declares whether they have a relation to a party or agent."""
    if not policy.can(actor, "case.disclose", case):
        raise Forbidden()
    if has_relation and not (description or "").strip():
        raise BadInput(_l("Describe the relation."), fields={"description": _l("Describe the relation.")})
    row = Disclosure(case_id=case.id, mediator_id=actor.id, has_relation=bool(has_relation),
                     description=(description or "").strip() or None)
    db.session.add(row)
    db.session.flush()
    record("case.disclose", row, actor=actor, after={"has_relation": row.has_relation,
                                                     "description": row.description})
    if has_relation:
        title = _l("The mediator declared a relation to a party")
        body = _l("Case %(n)s: %(d)s. You may ask for another mediator.", n=case.number or case.id,
                  d=row.description)
        _tell_parties(case, "recusal.disclosure", title, body)
        _tell(org_admins(case.organization_id), "recusal.disclosure", title, body, case)
    db.session.commit()
    return row


def disclosures(case: Case) -> list[Disclosure]:
    return list(db.session.execute(select(Disclosure).where(Disclosure.case_id == case.id)
                                   .order_by(Disclosure.id)).scalars())


def pending_request(case: Case) -> RecusalRequest | None:
    return db.session.execute(select(RecusalRequest).where(
        RecusalRequest.case_id == case.id, RecusalRequest.status == "pending")
        .order_by(RecusalRequest.id.desc()).limit(1)).scalar_one_or_none()


def request_recusal(case: Case, actor: Any, reason: str | None) -> RecusalRequest:
    """A party asks the mediator to withdraw (pending until the admin decides); the
    mediator asking is a withdrawal, effective at once."""
    if not policy.can(actor, "case.recusal.request", case):
        raise Forbidden()
    text = _require_reason(reason)
    if case.mediator_id is None:
        raise Conflict(_l("No mediator is assigned to this case."), code="no_mediator")
    mediator_id = case.mediator_id
    if actor.id == mediator_id:
        req = RecusalRequest(case_id=case.id, mediator_id=mediator_id, requested_by_id=actor.id,
                             reason=text, status="withdrawn", decided_by_id=actor.id, decided_at=now())
        db.session.add(req)
        db.session.flush()
        record("case.recusal.withdraw", req, actor=actor, after={"mediator_id": mediator_id, "reason": text})
        unassign(case, actor, audit_action="case.unassign", reason=text)
        title = _l("The mediator withdrew from the case")
        body = _l("Case %(n)s: the organization will assign another mediator.", n=case.number or case.id)
        _tell_parties(case, "recusal.withdrawn", title, body)
        _tell(org_admins(case.organization_id), "recusal.withdrawn", title, body, case)
        db.session.commit()
        return req
    if pending_request(case) is not None:
        raise Conflict(_l("A recusal request for this case is already waiting for a decision."),
                       code="recusal_pending")
    req = RecusalRequest(case_id=case.id, mediator_id=mediator_id, requested_by_id=actor.id, reason=text)
    db.session.add(req)
    db.session.flush()
    record("case.recusal.request", req, actor=actor, after={"mediator_id": mediator_id, "reason": text})
    title = _l("A party asked the mediator to withdraw")
    body = _l("Case %(n)s: %(r)s", n=case.number or case.id, r=text)
    _tell(org_admins(case.organization_id), "recusal.requested", title, body, case)
    mediator = db.session.get(User, mediator_id)
    if mediator is not None:
        _tell([mediator], "recusal.requested", title, body, case)
    db.session.commit()
    return req


def decide_recusal(req: RecusalRequest, actor: Any, grant: bool, note: str | None = None,
                   mediator_id: int | None = None) -> dict[str, Any]:
    """The organization admin grants (the mediator leaves; reassign to ``mediator_id`` or
    the best match) or refuses a pending request. Returns the decision and any new assignment."""
    case = db.session.get(Case, req.case_id)
    if not policy.can(actor, "case.recusal.decide", case):
        raise Forbidden()
    if req.status != "pending":
        raise Conflict(_l("This request has been decided already."), code="already_decided")
    if not grant and not (note or "").strip():
        raise BadInput(_l("Say why the request is refused."), fields={"note": _l("Give a reason.")})
    req.status = "granted" if grant else "refused"
    req.decided_by_id, req.decided_at, req.decision_note = actor.id, now(), (note or "").strip() or None
    record("case.recusal.decide", req, actor=actor, before={"status": "pending"},
           after={"status": req.status, "note": req.decision_note})
    result: dict[str, Any] = {"status": req.status, "assignment": None}
    if grant and case.mediator_id == req.mediator_id:
        unassign(case, actor, audit_action="case.unassign", reason=req.reason)
        db.session.flush()
        try:
            with db.session.begin_nested():
                result["assignment"] = assign(case, actor, mediator_id, note or req.reason,
                                              action="case.recusal.decide", commit=False)
        except (Conflict, BadInput) as exc:
            if mediator_id is not None:
                raise
            result["assignment_error"] = str(exc.message)
    title = _l("Recusal request decided: %(s)s", s=_l("granted") if grant else _l("refused"))
    body = _l("Case %(n)s. %(note)s", n=case.number or case.id, note=req.decision_note or "")
    _tell_parties(case, "recusal.decided", title, body)
    mediator = db.session.get(User, req.mediator_id)
    if mediator is not None:
        _tell([mediator], "recusal.decided", title, body, case)
    db.session.commit()
    return result


def recusal_json(req: RecusalRequest) -> dict[str, Any]:
    return {"id": req.id, "case_id": req.case_id, "mediator_id": req.mediator_id,
            "requested_by": req.requested_by_id, "reason": req.reason, "status": req.status,
            "decided_by": req.decided_by_id, "decision_note": req.decision_note,
            "created_at": req.created_at.isoformat() if req.created_at else None}
