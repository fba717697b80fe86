"""A case as JSON (API.md field names) and its timeline, shared by the API and the pages.

Deadlines belong to the scheduling room, which sits downstream of cases; they are read
from the shared metadata by table name so this room does not import that one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from odr.accounts import policy
from odr.audit.models import AuditEvent
from odr.cases.models import Case, CaseParty
from odr.core.time import iso
from odr.extensions import db


def party_json(p: CaseParty, *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "side": p.side, "kind": p.kind, "name": p.name,
                           "consent": p.consent, "consent_at": iso(p.consent_at),
                           "user_id": p.user_id, "statement": p.statement}
    if full:
        out.update({"id_number": p.id_number, "credit_code": p.credit_code,
                    "legal_representative": p.legal_representative, "phone": p.phone,
                    "email": p.email, "address": p.address})
    return out


def _deadline_rows(case_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    table = db.metadata.tables.get("deadline")
    out: dict[int, list[dict[str, Any]]] = {cid: [] for cid in case_ids}
    if table is None or not case_ids:
        return out
    from odr.core.time import ensure_aware

    rows = db.session.execute(
        select(table.c.case_id, table.c.id, table.c.kind, table.c.due_at, table.c.status)
        .where(table.c.case_id.in_(case_ids)).order_by(table.c.due_at, table.c.id)).all()
    for r in rows:
        out[r.case_id].append({"id": r.id, "kind": r.kind, "due_at": iso(ensure_aware(r.due_at)), "status": r.status})
    return out


def case_deadlines(case: Case) -> list[dict[str, Any]]:
    return _deadline_rows([case.id])[case.id]


def cases_json(cases: list[Case], viewer: Any = None) -> list[dict[str, Any]]:
    """A page of cases in a fixed number of queries, not six per case.

    Parties, agents and claims come in one ``selectinload`` each (which also lets
    ``policy.case_relations`` read the viewer's capacity from them instead of asking the
    database), deadlines in one query for the page.
    """
    if not cases:
        return []
    db.session.execute(select(Case).where(Case.id.in_([c.id for c in cases])).options(
        selectinload(Case.claims), selectinload(Case.parties), selectinload(Case.agents))).scalars().all()
    deadlines = _deadline_rows([c.id for c in cases])
    return [case_json(c, viewer, deadlines=deadlines[c.id]) for c in cases]


def case_json(case: Case, viewer: Any = None, *, deadlines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Identity numbers and contact details only for people working on the case."""
    rel = policy.case_relations(viewer, case) if viewer is not None else frozenset()
    full = bool(rel & {"filer", "applicant", "agent_applicant", "mediator", "org_admin", "court", "admin"})
    return {
        "id": case.id, "number": case.number, "status": case.status, "category": case.category,
        "facts": case.facts, "source": case.source,
        "claims": [{"id": c.id, "description": c.description,
                    "amount": f"{c.amount:.2f}" if c.amount is not None else None} for c in case.claims],
        "parties": [party_json(p, full=full or p.user_id == getattr(viewer, "id", None)) for p in case.parties],
        "agents": [{"id": a.id, "party_id": a.party_id, "name": a.name, "user_id": a.user_id,
                    "power_of_attorney_id": a.power_of_attorney_id} for a in case.agents],
        "organization_id": case.organization_id, "mediator_id": case.mediator_id,
        "preferred_mediator_id": case.preferred_mediator_id, "court_id": case.court_id,
        "region_code": case.region_code, "court_case_number": case.court_case_number,
        "deadlines": case_deadlines(case) if deadlines is None else deadlines, "created_at": iso(case.created_at),
        "submitted_at": iso(case.submitted_at), "accepted_at": iso(case.accepted_at),
        "end_reason": case.end_reason,
    }


def case_events(case: Case) -> list[AuditEvent]:
    return list(db.session.execute(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)).scalars())


def event_json(e: AuditEvent) -> dict[str, Any]:
    return {"id": e.id, "action": e.action, "actor_id": e.actor_id, "actor_name": e.actor_name,
            "object_type": e.object_type, "object_id": e.object_id, "before": e.before,
            "after": e.after, "created_at": iso(e.created_at), "hash": e.hash}
