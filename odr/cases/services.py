"""Case intake: filing, drafts, submission, the organization's decision, consent.

Every function here checks the actor's right with the policy (Forbidden otherwise),
writes the change and its audit event in one transaction and commits; status changes go
through ``lifecycle.transition`` only. Views and the API call these and nothing else.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts import policy
from odr.accounts.models import Role, User
from odr.audit.services import record
from odr.cases import lifecycle
from odr.cases.intake_data import check_complete, clean_case_data
from odr.cases.invitations import claim_invitation, issue_invitations
from odr.cases.messages import case_link, tell_applicants, tell_user
from odr.cases.models import Agent, Case, CaseParty, Claim, Source, Transfer
from odr.cases.routing import assign_number, route_organization
from odr.core.errors import BadInput, Conflict, Forbidden
from odr.core.signals import case_submitted
from odr.core.time import now
from odr.extensions import db
from odr.mediators.models import MediatorProfile
from odr.organizations.models import Court, Organization

__all__ = ["create_case", "update_draft", "submit_case", "withdraw_case", "accept_case", "reject_case",
           "transfer_case", "respond", "issue_invitations", "claim_invitation", "NEXT_STEPS"]

#: What a party can do when the case ends without mediation (DESIGN.md: tell the next step).
NEXT_STEPS = _l("You may apply for mediation at another organization, or bring a lawsuit at the "
                "people's court that has jurisdiction.")

_PARTY_FIELDS = ("kind", "name", "id_number", "credit_code", "legal_representative", "phone", "email", "address")


def _org_name(case: Case) -> str:
    org = db.session.get(Organization, case.organization_id) if case.organization_id else None
    return org.name if org else ""


def _require(actor: Any, action: str, case: Any = None) -> None:
    if not policy.can(actor, action, case):
        raise Forbidden()


def _snapshot(case: Case) -> dict[str, Any]:
    return {"category": case.category, "organization_id": case.organization_id,
            "preferred_mediator_id": case.preferred_mediator_id, "claims": len(case.claims),
            "parties": len(case.parties)}


def _check_refs(data: dict[str, Any]) -> None:
    errors: dict[str, Any] = {}
    org_id = data.get("organization_id")
    if org_id is not None:
        org = db.session.get(Organization, org_id)
        if org is None or not org.active:
            errors["organization_id"] = _l("Unknown organization.")
    mediator_id = data.get("mediator_id")
    if mediator_id is not None:
        profile = db.session.get(MediatorProfile, mediator_id)
        if profile is None or profile.status != "active":
            errors["mediator_id"] = _l("Unknown mediator.")
        elif org_id is not None and profile.organization_id != org_id:
            errors["mediator_id"] = _l("This mediator does not work for the chosen organization.")
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)


def _set_parties(case: Case, side: str, parties: list[dict[str, Any]]) -> None:
    """Replace one side's parties, keeping the account link of a party whose name stays."""
    old = {p.name: p for p in case.parties if p.side == side}
    # An agent whose party and name stay keeps their account and power of attorney.
    old_agents = {(p.name, a.name): (a.user_id, a.power_of_attorney_id)
                  for p in case.parties if p.side == side for a in case.agents if a.party_id == p.id}
    for party in list(case.parties):
        if party.side == side:
            for agent in [a for a in case.agents if a.party_id == party.id]:
                case.agents.remove(agent)
            case.parties.remove(party)
    db.session.flush()
    for raw in parties:
        party = CaseParty(side=side, **{k: raw.get(k) for k in _PARTY_FIELDS})
        previous = old.get(raw["name"])
        if previous is not None and previous.user_id is not None:
            party.user_id = previous.user_id
        case.parties.append(party)
        db.session.flush()
        agent = raw.get("agent")
        if agent:
            user_id, poa_id = old_agents.get((raw["name"], agent["name"]), (None, None))
            case.agents.append(Agent(party_id=party.id, name=agent["name"], id_number=agent.get("id_number"),
                                     phone=agent.get("phone"), user_id=user_id, power_of_attorney_id=poa_id))


def _actor_as_party(actor: User) -> dict[str, Any]:
    return {"kind": "person", "name": actor.display_name, "id_number": actor.id_number,
            "phone": actor.phone, "email": actor.email, "credit_code": None,
            "legal_representative": None, "address": None}


def _apply(case: Case, data: dict[str, Any], actor: User) -> None:
    if data.get("category") is not None:
        case.category = data["category"]
    if "facts" in data:
        case.facts = data["facts"]
    if "claims" in data:
        case.claims.clear()
        db.session.flush()
        for c in data["claims"]:
            case.claims.append(Claim(description=c["description"], amount=c["amount"]))
    if "region_code" in data:
        case.region_code = data["region_code"]
    if "organization_id" in data:
        case.organization_id = data["organization_id"]
    if "mediator_id" in data:
        case.preferred_mediator_id = data["mediator_id"]
        if data["mediator_id"] is not None and case.organization_id is None:
            case.organization_id = db.session.get(MediatorProfile, data["mediator_id"]).organization_id
    if "court_case_number" in data:
        case.court_case_number = data["court_case_number"]
    if "applicants" in data:
        applicants = list(data["applicants"])
        _set_parties(case, "applicant", applicants)
        if actor.role == Role.PARTY and applicants:
            # The filer who lists applicants is one of them when their name is among them.
            for party in case.applicants():
                if party.name == actor.display_name and party.user_id is None:
                    party.user_id = actor.id
    if "respondents" in data:
        _set_parties(case, "respondent", data["respondents"])


def create_case(actor: User, data: dict[str, Any]) -> Case:
    """File a case. A party gets a draft with themself as applicant (unless applicants are
    given); court staff divert a lawsuit: the case is submitted at once, source
    "court_diversion", the court recorded, and the parties invited by link."""
    _require(actor, "case.create")
    clean = clean_case_data(data)
    _check_refs(clean)
    diversion = actor.role in Role.COURT
    source = clean.get("source") or Source.SELF_FILED
    if diversion:
        source = Source.COURT_DIVERSION
    elif source == Source.COURT_DIVERSION:
        raise Forbidden(_l("Only court staff can divert a lawsuit to mediation."))
    if diversion and not clean.get("applicants"):
        raise BadInput(_l("Please correct the marked fields."),
                       fields={"applicants": _l("Name the applicant(s) of the diverted lawsuit.")})
    case = Case(category=clean["category"], facts=clean["facts"], source=source, status=lifecycle.DRAFT,
                created_by_id=actor.id, updated_at=now())
    if diversion:
        case.court_id = actor.court_id
    db.session.add(case)
    db.session.flush()
    _apply(case, {k: v for k, v in clean.items() if k not in ("category", "facts")}, actor)
    if not clean.get("applicants") and actor.role == Role.PARTY:
        party = CaseParty(side="applicant", user_id=actor.id, **_actor_as_party(actor))
        case.parties.append(party)
    db.session.flush()
    record("case.create", case, actor=actor, after={**_snapshot(case), "source": source})
    if diversion:
        if case.organization_id is None:
            court = db.session.get(Court, actor.court_id) if actor.court_id else None
            org = route_organization(case.category, case.region_code, court)
            case.organization_id = org.id if org else None
        db.session.flush()
        db.session.refresh(case)
        check_complete(case)
        _submit(case, actor, check_policy=False)
        issue_invitations(case, side="applicant", actor=actor, commit=False)
    db.session.commit()
    return case


def update_draft(case: Case, actor: User, data: dict[str, Any]) -> Case:
    """Save what the applicant typed so far; only drafts can be edited."""
    _require(actor, "case.edit", case)
    if case.status != lifecycle.DRAFT:
        raise Conflict(_l("Only a draft can be edited."), code="invalid_transition")
    clean = clean_case_data(data, partial=True)
    _check_refs({"organization_id": clean.get("organization_id", case.organization_id),
                 "mediator_id": clean.get("mediator_id")})
    before = _snapshot(case)
    _apply(case, clean, actor)
    case.updated_at = now()
    db.session.flush()
    record("case.update_draft", case, actor=actor, before=before, after=_snapshot(case))
    db.session.commit()
    return case


def _submit(case: Case, actor: User, *, check_policy: bool = True) -> None:
    if case.organization_id is None:
        org = route_organization(case.category, case.region_code)
        if org is not None:
            case.organization_id = org.id
    check_complete(case)
    lifecycle.transition(case, "submit", actor, check_policy=check_policy)
    assign_number(case)
    record("case.number", case, actor=actor, after={"number": case.number})
    case_submitted.send(case, actor=actor)


def submit_case(case: Case, actor: User) -> Case:
    """draft → submitted, with its number; the organization is routed if none was chosen."""
    _require(actor, "case.submit", case)
    _submit(case, actor)
    tell_applicants(case, "case.submitted", _("Application %(number)s received", number=case.number),
                    _("Your application was sent to %(org)s. You will be told when it is reviewed.",
                      org=_org_name(case)), key=f"case:{case.id}:submitted")
    db.session.commit()
    return case


def withdraw_case(case: Case, actor: User, reason: str | None = None) -> Case:
    _require(actor, "case.withdraw", case)
    lifecycle.transition(case, "withdraw", actor, reason=reason or None)
    for party in case.respondents():
        if party.user is not None:
            tell_user(party.user, "case.withdrawn", _("Case %(number)s was withdrawn", number=case.number),
                      _("The applicant withdrew the application."), case=case, link=case_link(case))
    db.session.commit()
    return case


def fail_case(case: Case, actor: User, reason: str, conduct: str | None = None) -> Case:
    """调解不成: the mediator ends the mediation as failed.

    The record keeps what happened and why (E §21), and any conduct that raised the other
    side's costs; the parties are told their next steps by the status-change notices, and
    the documents room issues the termination notice (调解终结书)."""
    _require(actor, "case.fail", case)
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_l("Please give the reason the mediation failed."),
                       fields={"reason": _l("This field is required.")})
    details = {"conduct": conduct.strip()} if conduct and conduct.strip() else None
    lifecycle.transition(case, "fail", actor, reason=reason, details=details)
    db.session.commit()
    return case


def accept_case(case: Case, actor: User) -> Case:
    """受理: the organization takes the case in; each respondent is invited by link."""
    _require(actor, "case.accept", case)
    lifecycle.transition(case, "accept", actor)
    tell_applicants(case, "case.accepted", _("Case %(number)s accepted", number=case.number),
                    _("%(org)s accepted your application. The respondent has been invited to agree to mediation.",
                      org=_org_name(case)), key=f"case:{case.id}:accepted")
    # Respondents who already have an account on the case (e.g. re-accepted) are told directly.
    for party in case.respondents():
        if party.user is not None:
            tell_user(party.user, "case.invitation", _("Invitation to mediation: case %(number)s", number=case.number),
                      _("Please read the application and agree or decline mediation."),
                      case=case, link=case_link(case))
    issue_invitations(case, actor=actor, commit=False)
    db.session.commit()
    return case


def reject_case(case: Case, actor: User, reason: str) -> Case:
    """不予受理, with the reason told to the applicant along with the next steps."""
    _require(actor, "case.reject", case)
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_l("Please correct the marked fields."), fields={"reason": _l("Give the reason.")})
    lifecycle.transition(case, "reject", actor, reason=reason)
    tell_applicants(case, "case.rejected", _("Case %(number)s not accepted", number=case.number),
                    _("%(org)s did not accept your application: %(reason)s %(next)s",
                      org=_org_name(case), reason=reason, next=NEXT_STEPS),
                    key=f"case:{case.id}:rejected")
    db.session.commit()
    return case


def transfer_case(case: Case, actor: User, organization_id: int, reason: str) -> Case:
    """Send a submitted case to another organization; it gets that organization's number."""
    _require(actor, "case.transfer", case)
    reason = (reason or "").strip()
    target = db.session.get(Organization, organization_id) if organization_id else None
    errors: dict[str, Any] = {}
    if target is None or not target.active:
        errors["organization_id"] = _l("Unknown organization.")
    elif target.id == case.organization_id:
        errors["organization_id"] = _l("The case is already at this organization.")
    if not reason:
        errors["reason"] = _l("Give the reason.")
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    source_id = case.organization_id
    lifecycle.transition(case, "transfer", actor, reason=reason,
                         details={"from_organization_id": source_id, "to_organization_id": target.id,
                                  "previous_number": case.number})
    db.session.add(Transfer(case_id=case.id, kind="transfer", from_organization_id=source_id,
                            to_organization_id=target.id, reason=reason, actor_id=actor.id))
    case.organization_id = target.id
    case.preferred_mediator_id = None
    db.session.flush()
    db.session.refresh(case, ["organization"])
    assign_number(case)
    tell_applicants(case, "case.transferred", _("Case moved to %(org)s", org=target.name),
                    _("Your application was transferred to %(org)s (reason: %(reason)s). Its new number is %(number)s.",
                      org=target.name, reason=reason, number=case.number),
                    key=f"case:{case.id}:transfer:{case.number}")
    db.session.commit()
    return case


def respond(case: Case, actor: User, decision: str, statement: str | None = None) -> Case:
    """A respondent agrees to mediation or declines it, with an optional statement (答辩).

    Declining ends the case (mediation is voluntary); mediation begins once every
    respondent has agreed.
    """
    _require(actor, "case.respond", case)
    if decision not in ("accept", "decline"):
        raise BadInput(_l("Please correct the marked fields."), fields={"decision": _l("Must be accept or decline.")})
    if case.status != lifecycle.ACCEPTED:
        raise Conflict(_l("This action is not possible while the case is “%(status)s”.",
                          status=lifecycle.STATUS_LABELS.get(case.status, case.status)), code="invalid_transition")
    mine = db.session.execute(select(CaseParty).where(
        CaseParty.case_id == case.id, CaseParty.side == "respondent", CaseParty.user_id == actor.id)).scalars().all()
    if not mine:  # an agent answers for the party they represent
        mine = db.session.execute(select(CaseParty).join(Agent, Agent.party_id == CaseParty.id).where(
            Agent.case_id == case.id, Agent.user_id == actor.id, CaseParty.side == "respondent")).scalars().all()
    if not mine:
        raise Forbidden()
    if all(p.consent != "pending" for p in mine):
        raise Conflict(_l("You have already answered."), code="already_answered")
    statement = (statement or "").strip()[:20000] or None
    moment = now()
    for party in mine:
        party.consent = "accepted" if decision == "accept" else "declined"
        party.consent_at = moment
        party.statement = statement
        record("case.respond", party, actor=actor, case_id=case.id,
               after={"party_id": party.id, "decision": decision, "statement": bool(statement)})
    db.session.flush()
    if decision == "decline":
        lifecycle.transition(case, "decline", actor, reason=statement or _("The respondent declined mediation."))
        tell_applicants(case, "case.declined", _("The respondent declined mediation of case %(number)s", number=case.number),
                        _("Mediation is voluntary, so the case has ended. %(next)s", next=NEXT_STEPS),
                        key=f"case:{case.id}:declined")
    elif all(p.consent == "accepted" for p in case.respondents()):
        lifecycle.transition(case, "begin_mediation", actor)
        tell_applicants(case, "case.mediation", _("Mediation of case %(number)s begins", number=case.number),
                        _("Every respondent agreed to mediation. A mediator will contact you."),
                        key=f"case:{case.id}:mediation")
    db.session.commit()
    return case
