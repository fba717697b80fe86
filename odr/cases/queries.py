"""Read helpers for the case pages: directories, lists, what the viewer may see and do.

Nothing here writes. The services decide what is allowed when an action is tried; these
functions only decide what to *offer* (which buttons to show), from the same policy and
life-cycle tables, so a page never offers an action the service would refuse outright.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from odr.accounts import policy
from odr.accounts.identity import mask_id_number
from odr.accounts.models import Role, User
from odr.audit.models import AuditEvent
from odr.cases import lifecycle
from odr.cases.models import Case, CaseParty, Transfer
from odr.cases.serialize import case_events
from odr.core.time import now
from odr.extensions import db
from odr.mediators.models import MediatorProfile
from odr.organizations.models import Organization

#: capacities that see identity numbers and contact details of every party
STAFF = frozenset({"mediator", "booked_mediator", "org_admin", "court", "admin"})


def active_organizations() -> list[Organization]:
    return list(db.session.execute(
        select(Organization).where(Organization.active.is_(True)).order_by(Organization.region_code,
                                                                            Organization.id)).scalars())


def active_mediators() -> list[tuple[MediatorProfile, User]]:
    """(profile, user) of every active mediator, for the preferred-mediator choice."""
    return list(db.session.execute(
        select(MediatorProfile, User).join(User, User.id == MediatorProfile.user_id)
        .where(MediatorProfile.status == "active").order_by(MediatorProfile.organization_id, User.id)).tuples())


def my_cases(user: Any, status: str | None = None, limit: int = 200) -> list[Case]:
    q = policy.visible_cases(user).order_by(Case.id.desc()).limit(limit)
    if status:
        q = q.where(Case.status == status)
    return list(db.session.execute(q).scalars())


def intake_queue(user: Any, recent_days: int = 30) -> tuple[list[Case], list[Case]]:
    """The admin's submitted cases (oldest first: first come, first served) and the
    decisions of the last ``recent_days`` days."""
    pending = list(db.session.execute(
        policy.visible_cases(user).where(Case.status == lifecycle.SUBMITTED)
        .order_by(Case.submitted_at, Case.id)).scalars())
    since = now() - timedelta(days=recent_days)
    decided = list(db.session.execute(
        policy.visible_cases(user).where(Case.status != lifecycle.SUBMITTED, Case.status != lifecycle.DRAFT,
                                         Case.submitted_at.is_not(None), Case.updated_at >= since)
        .order_by(Case.updated_at.desc()).limit(50)).scalars())
    return pending, decided


def transferred_away(user: Any, limit: int = 20) -> list[Transfer]:
    """Cases this admin's organization sent elsewhere (they no longer see the case itself)."""
    if getattr(user, "organization_id", None) is None:
        return []
    return list(db.session.execute(
        select(Transfer).where(Transfer.from_organization_id == user.organization_id, Transfer.kind == "transfer")
        .order_by(Transfer.id.desc()).limit(limit)).scalars())


@dataclass
class PartyView:
    """A party as the viewer may see them: identity numbers masked unless staff or self."""

    party: CaseParty
    id_number: str
    credit_code: str
    show_contacts: bool
    agents: list[Any] = field(default_factory=list)


def party_views(case: Case, viewer: Any) -> list[PartyView]:
    rel = policy.case_relations(viewer, case)
    staff = bool(rel & STAFF)
    out = []
    for p in case.parties:
        own = p.user_id is not None and p.user_id == getattr(viewer, "id", None)
        full = staff or own
        out.append(PartyView(
            party=p, id_number=(p.id_number or "") if full else mask_id_number(p.id_number),
            credit_code=p.credit_code or "", show_contacts=full,
            agents=[a for a in case.agents if a.party_id == p.id]))
    return out


def my_pending_respondent(case: Case, viewer: Any) -> bool:
    """Is the viewer a respondent (or their agent) who has not answered yet?"""
    uid = getattr(viewer, "id", None)
    if uid is None:
        return False
    agent_party_ids = {a.party_id for a in case.agents if a.user_id == uid}
    return any(p.side == "respondent" and p.consent == "pending" and (p.user_id == uid or p.id in agent_party_ids)
               for p in case.parties)


def next_steps(case: Case, viewer: Any) -> list[str]:
    """Keys of the steps the viewer can take now (the template words them)."""
    rel = policy.case_relations(viewer, case)
    steps: list[str] = []
    applicant_side = bool(rel & {"filer", "applicant", "agent_applicant"})
    status = case.status
    if status == lifecycle.DRAFT and applicant_side:
        steps += ["complete_and_submit"]
    if status == lifecycle.SUBMITTED:
        steps += ["review_intake"] if "org_admin" in rel else (["wait_review"] if applicant_side else [])
    if status == lifecycle.ACCEPTED:
        if my_pending_respondent(case, viewer):
            steps.append("respond")
        elif applicant_side:
            steps.append("wait_respondent")
        elif rel & {"respondent", "agent_respondent"}:
            steps.append("wait_other_respondents")
    if status == lifecycle.IN_MEDIATION:
        if "org_admin" in rel and case.mediator_id is None:
            steps.append("assign_mediator")
        if rel & {"party", "agent", "filer"}:
            steps += ["upload_evidence", "attend_sessions"]
        if "mediator" in rel:
            steps.append("mediate")
    if status == lifecycle.SETTLED and rel & {"party", "agent", "mediator"}:
        steps.append("sign_agreement")
    if status == lifecycle.AGREEMENT_EFFECTIVE and rel & {"party", "agent"}:
        steps.append("apply_confirmation")
    if status in (lifecycle.DECLINED, lifecycle.FAILED, lifecycle.REJECTED) and rel & {"party", "agent", "filer"}:
        steps.append("ended_next_steps")
    return steps


def offered_actions(case: Case, viewer: Any) -> set[str]:
    """Case-page buttons: the policy allows the action and the life cycle allows the event."""
    offered: set[str] = set()
    for event, action in (("submit", "case.submit"), ("withdraw", "case.withdraw"), ("accept", "case.accept"),
                          ("reject", "case.reject"), ("transfer", "case.transfer"), ("fail", "case.fail")):
        if lifecycle.can_transition(case, event) and policy.can(viewer, action, case):
            offered.add(event)
    if case.status == lifecycle.DRAFT and policy.can(viewer, "case.edit", case):
        offered.add("edit")
    if case.status == lifecycle.ACCEPTED and my_pending_respondent(case, viewer) \
            and policy.can(viewer, "case.respond", case):
        offered.add("respond")
    if case.status not in ("rejected", "declined", "withdrawn", "closed") \
            and policy.can(viewer, "case.evidence.upload", case):
        offered.add("upload")
    return offered


#: audit actions never shown on the case page (private material, bookkeeping)
_HIDDEN_ACTIONS = ("case.update_draft", "token.", "user.login")
_PRIVATE_WORDS = ("caucus", "private", "note")


def timeline(case: Case, viewer: Any) -> list[AuditEvent]:
    """The case's audit events the viewer may see: no caucus or private material, no
    uploads of evidence they may not see."""
    from odr.evidence.models import Evidence

    out = []
    for e in case_events(case):
        if e.action.startswith(_HIDDEN_ACTIONS) or any(w in e.action for w in _PRIVATE_WORDS):
            continue
        if e.object_type == "evidence" and e.object_id:
            ev = db.session.get(Evidence, int(e.object_id)) if e.object_id.isdigit() else None
            if ev is None or not policy.can(viewer, "evidence.view", ev):
                continue
        out.append(e)
    return out


def is_court_staff(user: Any) -> bool:
    return getattr(user, "role", None) in Role.COURT
