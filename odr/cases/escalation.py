"""Escalation up the tiers (小事不出村，大事不出镇) and, at the top, litigation guidance.

A mediator or organization admin sends an unresolved case to the parent organization
with a reason. The case keeps its number, history and evidence; its mediator gives the
slot back and the case re-enters intake at the parent (``submitted``) through the state
machine. An organization without a parent cannot pass it on: the parties are referred
to court instead (a ``litigation`` Transfer row and an end of the mediation).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.audit.services import record
from odr.cases import lifecycle
from odr.cases.assignment import unassign
from odr.cases.models import Case, Transfer
from odr.cases.recusal import _require_reason, _tell, _tell_parties, org_admins
from odr.core.errors import Conflict, Forbidden
from odr.extensions import db
from odr.organizations.models import Organization


def escalate(case: Case, actor: Any, reason: str | None) -> Transfer:
    """Move ``case`` to its organization's parent, or refer the parties to court at the top."""
    if not policy.can(actor, "case.escalate", case):
        raise Forbidden()
    text = _require_reason(reason)
    if not lifecycle.can_transition(case, "escalate"):
        raise Conflict(_l("Only a case in intake or mediation can be escalated."), code="invalid_transition")
    org = db.session.get(Organization, case.organization_id) if case.organization_id else None
    if org is None:
        raise Conflict(_l("The case has no organization."), code="no_organization")
    parent = db.session.get(Organization, org.parent_id) if org.parent_id else None
    if parent is None or not parent.active:
        return refer_to_court(case, actor, text, org)
    unassign(case, actor, audit_action="case.unassign", reason=text)
    transfer = Transfer(case_id=case.id, kind="escalation", from_organization_id=org.id,
                        to_organization_id=parent.id, reason=text, actor_id=actor.id)
    db.session.add(transfer)
    case.organization_id = parent.id
    case.escalation_count = (case.escalation_count or 0) + 1
    db.session.flush()
    lifecycle.transition(case, "escalate", actor, reason=text,
                         details={"from_organization_id": org.id, "to_organization_id": parent.id})
    title = _l("Case escalated to %(org)s", org=parent.name)
    body = _l("Case %(n)s was passed to %(org)s: %(r)s", n=case.number or case.id, org=parent.name, r=text)
    _tell_parties(case, "case.escalated", title, body, exclude=actor)
    _tell(org_admins(parent.id), "case.escalated", title, body, case)
    db.session.commit()
    return transfer


def refer_to_court(case: Case, actor: Any, reason: str, org: Organization) -> Transfer:
    """Litigation guidance: the top organization ends mediation and tells the parties
    which court to turn to. In intake the case is not accepted; in mediation it fails."""
    if case.status == lifecycle.SUBMITTED:
        event = "reject"
    elif case.status == lifecycle.IN_MEDIATION:
        event = "fail"
    else:
        raise Conflict(_l("This organization has no parent organization. The parties can be referred to "
                          "court once mediation has started, or at intake."), code="no_parent")
    court = org.confirmation_court or (org.courts[0] if org.courts else None)
    transfer = Transfer(case_id=case.id, kind="litigation", from_organization_id=org.id,
                        to_organization_id=None, reason=reason, actor_id=actor.id)
    db.session.add(transfer)
    db.session.flush()
    record("case.litigation_guidance", transfer, actor=actor,
           after={"court": court.name if court else None, "reason": reason})
    lifecycle.transition(case, event, actor, reason=reason, check_policy=False,
                         details={"litigation_guidance": True, "court_id": court.id if court else None})
    title = _l("Referred to court (litigation guidance)")
    if court is not None:
        body = _l("Case %(n)s cannot go to a higher mediation organization. You may file a lawsuit at "
                  "%(court)s. Reason: %(r)s", n=case.number or case.id, court=court.name, r=reason)
    else:
        body = _l("Case %(n)s cannot go to a higher mediation organization. You may file a lawsuit at the "
                  "competent people's court. Reason: %(r)s", n=case.number or case.id, r=reason)
    _tell_parties(case, "case.litigation_guidance", title, body, exclude=actor)
    db.session.commit()
    return transfer


def transfer_json(t: Transfer) -> dict[str, Any]:
    return {"id": t.id, "case_id": t.case_id, "kind": t.kind, "from_organization_id": t.from_organization_id,
            "to_organization_id": t.to_organization_id, "reason": t.reason,
            "created_at": t.created_at.isoformat() if t.created_at else None}
