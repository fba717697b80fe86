"""In which capacities a user stands in a case, and which cases they may list.

Split from policy.py (which decides and imports these): the rules there ask "is this
user the mediator, a party, the presiding judge…?" and these functions answer from the
database once per request. Nothing here decides anything on its own.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import Select, or_, select
from sqlalchemy import inspect as sa_inspect

from odr.accounts.models import Role
from odr.extensions import db


def authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def case_relations(user: Any, case: Any) -> frozenset[str]:
    """The capacities in which ``user`` stands in ``case`` (cached per request)."""
    if not authenticated(user) or case is None:
        return frozenset()
    cache: dict[tuple[int, int], frozenset[str]] = g.setdefault("_case_rel", {}) if has_request_context() else {}
    key = (user.id, case.id)
    if key in cache:
        return cache[key]
    from odr.cases.models import Agent, CaseParty

    rel: set[str] = set()
    loaded = sa_inspect(case).unloaded if hasattr(case, "_sa_instance_state") else {"parties"}
    if "parties" not in loaded and "agents" not in loaded:  # a list page loaded them already
        side_of = {p.id: p.side for p in case.parties}
        sides = [p.side for p in case.parties if p.user_id == user.id]
        agent_sides = [side_of[a.party_id] for a in case.agents if a.user_id == user.id and a.party_id in side_of]
    else:
        sides = db.session.execute(
            select(CaseParty.side).where(CaseParty.case_id == case.id, CaseParty.user_id == user.id)
        ).scalars().all()
        agent_sides = db.session.execute(
            select(CaseParty.side).join(Agent, Agent.party_id == CaseParty.id)
            .where(Agent.case_id == case.id, Agent.user_id == user.id)
        ).scalars().all()
    rel.update(sides)
    if sides:
        rel.add("party")
    if agent_sides:
        rel.add("agent")
        rel.update(f"agent_{s}" for s in agent_sides)
    if case.created_by_id == user.id and user.role == Role.PARTY:
        rel.add("filer")
    if user.role == Role.MEDIATOR and case.mediator_id == user.id:
        rel.add("mediator")
    if user.role == Role.MEDIATOR and case.preferred_mediator_id == user.id and case.mediator_id is None:
        rel.add("booked_mediator")
    if user.role == Role.ORG_ADMIN and case.organization_id is not None and case.organization_id == user.organization_id:
        rel.add("org_admin")
    if user.role in Role.COURT and user.court_id is not None:
        judge_id = _application_at(case.id, user.court_id)
        if case.court_id == user.court_id or judge_id is not None:
            rel.add("court")
        if judge_id is not None:
            rel.add("reviewing_court")  # the court an application for confirmation was made to
            if user.role == Role.JUDGE and judge_id == user.id:
                rel.add("presiding")  # hosts the court's hearing and writes its record
    if user.role == Role.ADMIN:
        rel.add("admin")
    result = frozenset(rel)
    cache[key] = result
    return result


def _application_at(case_id: int, court_id: int) -> int | None:
    """The presiding judge's id (0 while none is assigned) of the case's latest application
    made to ``court_id``; None when that court has none (a pending one is not yet made)."""
    from odr.confirmation.models import ConfirmationApplication

    row = db.session.execute(
        select(ConfirmationApplication.judge_id).where(
            ConfirmationApplication.case_id == case_id,
            ConfirmationApplication.court_id == court_id,
            ConfirmationApplication.status != "pending_consent",
        ).order_by(ConfirmationApplication.id.desc()).limit(1)
    ).first()
    return None if row is None else (row.judge_id or 0)


def participant(user: Any, case: Any) -> bool:
    """A party, agent or the filer of the case (the people the case is about)."""
    return bool(case_relations(user, case) & {"party", "agent", "filer"})


def visible_cases(user: Any) -> Select:
    """SELECT of the cases this user may list (the same rule as case.view)."""
    from odr.cases.models import Agent, Case, CaseParty
    from odr.confirmation.models import ConfirmationApplication

    q = select(Case)
    if not authenticated(user):
        return q.where(False)
    if user.role == Role.ADMIN:
        return q
    if user.role == Role.PARTY:
        return q.where(or_(
            Case.created_by_id == user.id,
            Case.id.in_(select(CaseParty.case_id).where(CaseParty.user_id == user.id)),
            Case.id.in_(select(Agent.case_id).where(Agent.user_id == user.id)),
        ))
    if user.role == Role.MEDIATOR:
        return q.where(or_(Case.mediator_id == user.id,
                           (Case.preferred_mediator_id == user.id) & Case.mediator_id.is_(None)))
    if user.role == Role.ORG_ADMIN:
        return q.where(Case.organization_id == user.organization_id)
    if user.role in Role.COURT:
        return q.where(or_(
            Case.court_id == user.court_id,
            Case.id.in_(select(ConfirmationApplication.case_id).where(
                ConfirmationApplication.court_id == user.court_id,
                ConfirmationApplication.status != "pending_consent")),
        ))
    return q.where(False)
