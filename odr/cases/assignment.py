"""Assigning a mediator to a case: ranked matching with explanations, and the capacity slot.

Capacity is a counter on MediatorProfile changed only by guarded UPDATEs
(``active_cases < max_cases``) whose row count says whether the slot was taken, so two
admins racing for a mediator's last slot cannot both win — the database decides, on
SQLite (one writer) and PostgreSQL (row lock, WHERE re-checked after the wait) alike.
The slot is given back when the case leaves the mediator's hands (a receiver of
``case_status_changed``), and the outcome counted for future matching.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, literal, null, or_, select, union_all, update

from odr.accounts import policy
from odr.accounts.models import Role, User
from odr.audit.services import record
from odr.cases import lifecycle
from odr.cases.models import Agent, Case, CaseParty
from odr.core.errors import BadInput, Conflict, Forbidden
from odr.core.signals import case_status_changed, mediator_assigned
from odr.core.time import ensure_aware, now
from odr.extensions import db
from odr.mediators.availability import HORIZON_DAYS, next_free
from odr.mediators.models import Disclosure, MediatorProfile, RecusalRequest
from odr.organizations.models import Organization

#: the statuses in which a case may get (or change) its mediator
ASSIGNABLE = (lifecycle.SUBMITTED, lifecycle.ACCEPTED, lifecycle.IN_MEDIATION)
#: statuses in which the assigned mediator holds one of their capacity slots
HOLDING = (lifecycle.SUBMITTED, lifecycle.ACCEPTED, lifecycle.IN_MEDIATION, lifecycle.SETTLED)
#: maximum points per score part (the parts add up to 100)
WEIGHTS = {"category": 30, "region": 15, "level": 5, "load": 20, "availability": 15, "outcomes": 15}


# ---------------------------------------------------------------- matching

def _case_facts(case: Case) -> tuple[list[tuple[int, str]], set[int], set[str]]:
    """In one statement: the mediators excluded by a declared relation ("d") or a recusal
    ("r"), and the user ids and identity numbers of the case's parties and agents."""
    no_number = cast(null(), String)
    rows = db.session.execute(union_all(
        select(literal("d"), Disclosure.mediator_id, no_number).where(
            Disclosure.case_id == case.id, Disclosure.has_relation.is_(True)),
        select(literal("r"), RecusalRequest.mediator_id, no_number).where(
            RecusalRequest.case_id == case.id, RecusalRequest.status.in_(("granted", "withdrawn"))),
        select(literal("p"), CaseParty.user_id, CaseParty.id_number).where(CaseParty.case_id == case.id),
        select(literal("p"), Agent.user_id, Agent.id_number).where(Agent.case_id == case.id))).all()
    excluded = [(mid, why) for why, mid, _n in rows if why != "p"]
    people = [(uid, number) for why, uid, number in rows if why == "p"]
    return excluded, {uid for uid, _n in people if uid}, {number for _u, number in people if number}


def excluded_mediators(case: Case, candidates: list[int] | None = None,
                       id_numbers: dict[int, str | None] | None = None) -> dict[int, str]:
    """Mediators who may not take this case, with why: a declared relation, a granted or
    pending recusal, or having stood as a party or agent in a case of the same parties.

    ``candidates`` narrows the check to those mediators: the lookups then start from the
    candidates' own party/agent rows (indexed by user id) rather than from every case of
    the parties, which keeps matching fast at province scale. ``id_numbers`` (the
    candidates' identity numbers, which the ranking query has already read) saves a query.
    Each lookup is one statement (UNION ALL), so a ranking costs a fixed handful of queries.
    """
    out: dict[int, str] = {}
    related = str(_l("declared a relation to a party"))
    recused = str(_l("recused from this case"))
    excluded, user_ids, numbers = _case_facts(case)
    for mid, why in excluded:
        out[mid] = related if why == "d" else recused
    if candidates is None:
        candidates = list(db.session.execute(select(MediatorProfile.user_id).where(
            MediatorProfile.organization_id == case.organization_id)).scalars())
    if not candidates:
        return out
    if id_numbers is None:
        id_numbers = dict(db.session.execute(select(User.id, User.id_number).where(User.id.in_(candidates))).all())
    for uid in candidates:
        if id_numbers.get(uid) and id_numbers[uid] in numbers:
            out[uid] = str(_l("is a party to this case"))
    # cases other than this one in which a candidate stood as a party or an agent
    theirs: dict[int, set[int]] = {}
    for cid, uid in db.session.execute(
            select(CaseParty.case_id, CaseParty.user_id).where(
                CaseParty.user_id.in_(candidates), CaseParty.case_id != case.id)
            .union_all(select(Agent.case_id, Agent.user_id).where(
                Agent.user_id.in_(candidates), Agent.case_id != case.id))):
        theirs.setdefault(cid, set()).add(uid)
    if not theirs or not (user_ids or numbers):
        return out
    conds = []
    if user_ids:
        conds.append(CaseParty.user_id.in_(user_ids))
    if numbers:
        conds.append(CaseParty.id_number.in_(numbers))
    shared = db.session.execute(select(CaseParty.case_id).where(
        CaseParty.case_id.in_(list(theirs)), or_(*conds))).scalars()
    for cid in shared:
        for uid in theirs[cid]:
            out[uid] = str(_l("took part in another case of these parties"))
    return out


def _score(case: Case, org: Organization | None, profile: MediatorProfile, user: User,
           free_at: datetime | None, moment: datetime) -> tuple[float, dict[str, float], list[str]]:
    parts: dict[str, float] = {}
    reasons: list[str] = []
    if case.category in (profile.specialties or []):
        parts["category"] = WEIGHTS["category"]
        reasons.append(str(_l("specialises in this category")))
    else:
        parts["category"] = 0
    region = case.region_code or (org.region_code if org else None)
    mine = profile.region_code or ""
    if region and mine == region:
        parts["region"] = WEIGHTS["region"]
        reasons.append(str(_l("same region as the dispute")))
    elif region and mine and (mine.startswith(region) or region.startswith(mine)):
        parts["region"] = WEIGHTS["region"] * 0.6
        reasons.append(str(_l("region contains or lies within the dispute's")))
    elif region and mine and mine[:6] == region[:6]:
        parts["region"] = WEIGHTS["region"] * 0.3
        reasons.append(str(_l("same county")))
    else:
        parts["region"] = 0
    same_level = org is not None and profile.organization_id == org.id
    parts["level"] = WEIGHTS["level"] if same_level else 0
    if same_level:
        reasons.append(str(_l("member of the case's organization (%(level)s level)", level=org.level)))
    spare = max(profile.max_cases - profile.active_cases, 0) / max(profile.max_cases, 1)
    parts["load"] = round(WEIGHTS["load"] * spare, 2)
    reasons.append(str(_l("%(active)d of %(max)d cases in hand", active=profile.active_cases,
                          max=profile.max_cases)))
    if free_at is None:
        parts["availability"] = 0
        reasons.append(str(_l("no free time within %(n)d days", n=HORIZON_DAYS)))
    else:
        days = max((free_at - moment).total_seconds() / 86400, 0)
        parts["availability"] = round(WEIGHTS["availability"] * max(1 - days / HORIZON_DAYS, 0), 2)
        reasons.append(str(_l("free in %(d).1f days", d=days)))
    done = profile.cases_settled + profile.cases_failed
    parts["outcomes"] = round(WEIGHTS["outcomes"] * (profile.cases_settled + 1) / (done + 2), 2)
    if done:
        reasons.append(str(_l("%(s)d of %(n)d past cases settled", s=profile.cases_settled, n=done)))
    return round(sum(parts.values()), 2), parts, reasons


def rank_candidates(case: Case, *, limit: int | None = None,
                    include_full: bool = False) -> list[dict[str, Any]]:
    """The case organization's active mediators, best first, each with its score parts.

    Excluded mediators (relations, recusals, earlier cases) are left out; mediators at
    capacity are left out unless ``include_full`` (the admin's page shows them greyed).
    Ties go to whoever was assigned least recently (never assigned first), then the id.
    """
    if case.organization_id is None:
        return []
    org = db.session.get(Organization, case.organization_id)
    q = (select(MediatorProfile, User).join(User, User.id == MediatorProfile.user_id)
         .where(MediatorProfile.organization_id == case.organization_id,
                MediatorProfile.status == "active", User.active.is_(True)))
    if not include_full:
        q = q.where(MediatorProfile.active_cases < MediatorProfile.max_cases)
    rows = db.session.execute(q).all()
    excluded = excluded_mediators(case, [p.user_id for p, _u in rows], {u.id: u.id_number for _p, u in rows})
    rows = [(p, u) for p, u in rows if p.user_id not in excluded and p.user_id != case.mediator_id]
    moment = now()
    free = next_free([p.user_id for p, _u in rows], start=moment)
    out: list[dict[str, Any]] = []
    for profile, user in rows:
        score, parts, reasons = _score(case, org, profile, user, free.get(profile.user_id), moment)
        last = ensure_aware(profile.last_assigned_at) if profile.last_assigned_at else None
        out.append({"mediator_id": user.id, "display_name": user.display_name, "score": score,
                    "parts": parts, "reasons": reasons, "active_cases": profile.active_cases,
                    "max_cases": profile.max_cases, "full": profile.active_cases >= profile.max_cases,
                    "next_free": free.get(profile.user_id).isoformat() if free.get(profile.user_id) else None,
                    "last_assigned_at": last.isoformat() if last else None, "_last": last})
    out.sort(key=lambda c: (c["full"], -c["score"], c["_last"] is not None,
                            c["_last"] or moment, c["mediator_id"]))
    for c in out:
        del c["_last"]
    return out[:limit] if limit else out


# ---------------------------------------------------------------- the capacity slot

def take_slot(mediator_id: int) -> bool:
    """Atomically take one capacity slot; False when the mediator is full or inactive."""
    result = db.session.execute(
        update(MediatorProfile)
        .where(MediatorProfile.user_id == mediator_id, MediatorProfile.status == "active",
               MediatorProfile.active_cases < MediatorProfile.max_cases)
        .values(active_cases=MediatorProfile.active_cases + 1, last_assigned_at=now())
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release_slot(mediator_id: int, outcome: str | None = None) -> None:
    """Give a slot back (never below zero) and count a settled/failed outcome."""
    values: dict[str, Any] = {"active_cases": MediatorProfile.active_cases - 1}
    if outcome == "settled":
        values["cases_settled"] = MediatorProfile.cases_settled + 1
    elif outcome == "failed":
        values["cases_failed"] = MediatorProfile.cases_failed + 1
    db.session.execute(update(MediatorProfile)
                       .where(MediatorProfile.user_id == mediator_id, MediatorProfile.active_cases > 0)
                       .values(**values).execution_options(synchronize_session=False))
    profile = db.session.get(MediatorProfile, mediator_id)
    if profile is not None:
        db.session.refresh(profile)


# ---------------------------------------------------------------- assignment

def validate_mediator(case: Case, mediator_id: int) -> MediatorProfile:
    """The explicit choice must be an active mediator of the case's organization, not excluded."""
    profile = db.session.get(MediatorProfile, mediator_id)
    user = db.session.get(User, mediator_id) if profile else None
    if profile is None or user is None or user.role != Role.MEDIATOR:
        raise BadInput(_l("Unknown mediator."), code="unknown_mediator",
                       fields={"mediator_id": _l("Unknown mediator.")})
    if profile.status != "active" or not user.active:
        raise BadInput(_l("This mediator is not active."), code="inactive_mediator",
                       fields={"mediator_id": _l("This mediator is not active.")})
    if profile.organization_id != case.organization_id:
        raise BadInput(_l("This mediator does not belong to the case's organization."),
                       code="mediator_outside_organization",
                       fields={"mediator_id": _l("This mediator does not belong to the case's organization.")})
    why = excluded_mediators(case).get(mediator_id)
    if why:
        raise Conflict(_l("This mediator may not take the case: %(why)s.", why=why), code="mediator_excluded")
    return profile


def assign(case: Case, actor: Any, mediator_id: int | None = None, reason: str | None = None, *,
           action: str = "case.assign", commit: bool = True) -> dict[str, Any]:
    """Assign ``mediator_id`` (or the best match) to ``case``; returns {mediator_id, score, reasons}.

    Choosing someone other than the top-ranked candidate is an override: it is audited
    with the choice, the recommendation and the reason (the web form insists on one;
    API.md's body has only ``mediator_id``, so the API accepts it without).
    """
    if actor is not None and not policy.can(actor, action, case):
        raise Forbidden()
    if case.status not in ASSIGNABLE:
        raise Conflict(_l("A mediator can only be assigned to an open case before settlement."),
                       code="invalid_transition")
    if case.organization_id is None:
        raise Conflict(_l("The case has no organization yet."), code="no_organization")
    ranked = rank_candidates(case)
    if mediator_id is None:
        if not ranked:
            raise Conflict(_l("No mediator of this organization is free to take the case."),
                           code="no_candidate")
        choice = ranked[0]
        mediator_id = choice["mediator_id"]
    else:
        validate_mediator(case, mediator_id)
        choice = next((c for c in ranked if c["mediator_id"] == mediator_id), None)
        if choice is None:
            full = rank_candidates(case, include_full=True)
            choice = next((c for c in full if c["mediator_id"] == mediator_id), None)
            if choice is None or choice["full"]:
                raise Conflict(_l("This mediator has no free capacity."), code="mediator_full")
    override = bool(ranked) and ranked[0]["mediator_id"] != mediator_id and action == "case.assign"
    if mediator_id == case.mediator_id:
        raise Conflict(_l("This mediator is already assigned."), code="already_assigned")
    if not take_slot(mediator_id):
        raise Conflict(_l("This mediator has just reached capacity; choose another."), code="mediator_full")
    previous = case.mediator_id
    if previous is not None and case.status in HOLDING:
        release_slot(previous)
    case.mediator_id = mediator_id
    case.mediator_accepted_at = now()
    case.updated_at = case.mediator_accepted_at
    if case.preferred_mediator_id == mediator_id:
        case.preferred_mediator_id = None
    after = {"mediator_id": mediator_id, "score": choice["score"], "parts": choice["parts"],
             "override": override}
    if override:
        after["recommended_mediator_id"] = ranked[0]["mediator_id"]
    if reason:
        after["reason"] = reason
    record("case.assign", case, actor=actor, before={"mediator_id": previous}, after=after)
    mediator_assigned.send(case, mediator_id=mediator_id, actor=actor)
    if commit:
        db.session.commit()
    return {"mediator_id": mediator_id, "score": choice["score"], "reasons": choice["reasons"],
            "parts": choice["parts"], "override": override}


def unassign(case: Case, actor: Any, *, audit_action: str, reason: str) -> int | None:
    """Take the mediator off the case and give the slot back (caller commits)."""
    previous = case.mediator_id
    if previous is None:
        return None
    if case.status in HOLDING:
        release_slot(previous)
    case.mediator_id = None
    case.mediator_accepted_at = None
    case.updated_at = now()
    record(audit_action, case, actor=actor, before={"mediator_id": previous},
           after={"mediator_id": None, "reason": reason})
    return previous


def _on_status_changed(case: Any, before: str, after: str, **_kw: Any) -> None:
    """Release the slot when the case leaves the mediator's hands; count the outcome."""
    if case.mediator_id is None or before not in HOLDING or after in HOLDING:
        return
    outcome = {lifecycle.AGREEMENT_EFFECTIVE: "settled", lifecycle.FAILED: "failed"}.get(after)
    release_slot(case.mediator_id, outcome)


def connect_signals() -> None:
    case_status_changed.connect(_on_status_changed, weak=False)


# ---------------------------------------------------------------- booking (预约调解员)

def check_bookable(mediator_id: int | None, organization_id: int | None = None) -> MediatorProfile | None:
    """Refuse a booking of an unknown, inactive or full mediator (intake calls this too)."""
    if mediator_id is None:
        return None
    profile = db.session.get(MediatorProfile, mediator_id)
    if profile is None or profile.status != "active":
        raise BadInput(_l("Unknown mediator."), code="unknown_mediator",
                       fields={"mediator_id": _l("Unknown mediator.")})
    if organization_id is not None and profile.organization_id != organization_id:
        raise BadInput(_l("This mediator does not belong to the case's organization."),
                       code="mediator_outside_organization",
                       fields={"mediator_id": _l("This mediator does not belong to the case's organization.")})
    if profile.active_cases >= profile.max_cases:
        raise Conflict(_l("This mediator is fully booked; choose another mediator or the organization."),
                       code="mediator_full")
    return profile


def book(case: Case, actor: Any, mediator_id: int | None = None, organization_id: int | None = None) -> Case:
    """The applicant picks a mediator (and so their organization) or an organization,
    at intake or later, until a mediator is assigned. Confirmed by ``confirm_booking``."""
    if not policy.can(actor, "case.edit", case):
        raise Forbidden()
    if case.mediator_id is not None or case.status not in (lifecycle.DRAFT, *ASSIGNABLE):
        raise Conflict(_l("A mediator is already assigned or the case is no longer open."), code="invalid_transition")
    if mediator_id is None and organization_id is None:
        raise BadInput(_l("Choose a mediator or an organization."), fields={"mediator_id": _l("Choose one.")})
    if organization_id is not None:
        org = db.session.get(Organization, organization_id)
        if org is None or not org.active:
            raise BadInput(_l("Unknown organization."), fields={"organization_id": _l("Unknown organization.")})
        if case.status != lifecycle.DRAFT and organization_id != case.organization_id:
            raise Conflict(_l("After submission the organization changes only by transfer."), code="invalid_transition")
    profile = check_bookable(mediator_id, organization_id or (case.organization_id if case.status != lifecycle.DRAFT
                                                                else None))
    before = {"organization_id": case.organization_id, "preferred_mediator_id": case.preferred_mediator_id}
    if profile is not None:
        case.preferred_mediator_id = profile.user_id
        if case.status == lifecycle.DRAFT:
            case.organization_id = profile.organization_id
    elif organization_id is not None:
        case.organization_id = organization_id
        case.preferred_mediator_id = None
    case.updated_at = now()
    record("case.book", case, actor=actor, before=before,
           after={"organization_id": case.organization_id, "preferred_mediator_id": case.preferred_mediator_id})
    db.session.commit()
    return case


def confirm_booking(case: Case, actor: Any) -> dict[str, Any]:
    """The booked mediator (or the organization admin) confirms: the booking becomes the assignment."""
    if case.preferred_mediator_id is None:
        raise Conflict(_l("Nobody booked a mediator for this case."), code="no_booking")
    return assign(case, actor, case.preferred_mediator_id, str(_l("booked by the applicant")),
                  action="case.booking.confirm")
