"""Reads for the court queue, the API and the panels (no writes here).

The queue's tabs are computed from status and the next open court deadline, so the
list a clerk sees and the API's ``?status=`` filter agree with the deadlines the
scheduler reminds about.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, select

from odr.accounts.models import User
from odr.confirmation import rules
from odr.confirmation.court import decide_before
from odr.confirmation.models import ConfirmationApplication
from odr.core.time import ensure_aware, iso, now
from odr.documents.models import Document, DocumentKind
from odr.extensions import db
from odr.scheduling.models import Deadline

TABS = ("new", "accepted", "awaiting", "due_soon", "overdue", "decided")
#: an open court deadline within this many days counts as "due soon"
DUE_SOON_DAYS = 2


def court_query(court_id: int, status: str | None = None) -> Select:
    """Applications at ``court_id`` visible to its staff (never those still gathering consent)."""
    q = select(ConfirmationApplication).where(ConfirmationApplication.court_id == court_id,
                                              ConfirmationApplication.status != rules.PENDING)
    if status:
        q = q.where(ConfirmationApplication.status == status)
    return q.order_by(ConfirmationApplication.submitted_at.desc(), ConfirmationApplication.id.desc())


def _deadline_exists(moment_from: datetime | None, moment_to: datetime | None) -> Any:
    cond = [Deadline.confirmation_id == ConfirmationApplication.id, Deadline.status == "open",
            Deadline.kind.in_(rules.COURT_DEADLINES)]
    if moment_from is not None:
        cond.append(Deadline.due_at >= moment_from)
    if moment_to is not None:
        cond.append(Deadline.due_at < moment_to)
    return exists().where(*cond)


def tab_query(court_id: int, tab: str) -> Select:
    """One tab of the court queue."""
    q = select(ConfirmationApplication).where(ConfirmationApplication.court_id == court_id)
    moment = now()
    if tab == "new":
        q = q.where(ConfirmationApplication.status == rules.SUBMITTED)
    elif tab == "accepted":
        q = q.where(ConfirmationApplication.status == rules.ACCEPTED)
    elif tab == "awaiting":
        q = q.where(ConfirmationApplication.status == rules.AWAITING)
    elif tab == "due_soon":
        q = q.where(ConfirmationApplication.status.in_(rules.AT_COURT),
                    _deadline_exists(moment, moment + timedelta(days=DUE_SOON_DAYS)))
    elif tab == "overdue":
        q = q.where(ConfirmationApplication.status.in_(rules.AT_COURT), _deadline_exists(None, moment))
    else:
        q = q.where(ConfirmationApplication.status.in_(rules.FINAL),
                    ConfirmationApplication.submitted_at.is_not(None))
    return q.order_by(ConfirmationApplication.submitted_at.asc(), ConfirmationApplication.id.asc())


def ruling_document(application: ConfirmationApplication) -> Document | None:
    return db.session.execute(
        select(Document).where(Document.confirmation_id == application.id, Document.kind == DocumentKind.RULING)
        .order_by(Document.id.desc()).limit(1)).scalar_one_or_none()


def due_state(due: datetime | None) -> str:
    if due is None:
        return ""
    due = ensure_aware(due)
    if due < now():
        return "overdue"
    return "soon" if due < now() + timedelta(days=DUE_SOON_DAYS) else ""


def application_json(app: ConfirmationApplication) -> dict[str, Any]:
    """API.md shape for one application (field names stable; more may be added)."""
    judge = db.session.get(User, app.judge_id) if app.judge_id else None
    ruling = ruling_document(app)
    return {
        "id": app.id, "case_id": app.case_id, "case_number": app.case.number, "agreement_id": app.agreement_id,
        "court_id": app.court_id, "court_name": app.court.name, "status": app.status,
        "consented_party_ids": [c.party_id for c in app.consents],
        "waiting_for": [p.name for p in app.case.parties if p.id not in {c.party_id for c in app.consents}],
        "warnings": [{"code": w.get("code"), "message": text}
                     for w, text in zip(app.warnings or [], rules.warning_texts(app.warnings), strict=False)],
        "judge_id": app.judge_id, "judge_name": judge.display_name if judge else None,
        "clerk_id": app.clerk_id, "submitted_at": iso(app.submitted_at), "accepted_at": iso(app.accepted_at),
        "decided_at": iso(app.decided_at), "withdrawn_at": iso(app.withdrawn_at),
        "due_at": iso(decide_before(app)) if app.status in rules.AT_COURT else None,
        "decision": app.decision, "grounds": list(app.grounds or []), "reason": app.reason,
        "ruling_number": app.ruling_number, "ruling_document_id": ruling.id if ruling else None,
        "materials_requests": [{"id": m.id, "description": m.description, "due_date": m.due_date.isoformat(),
                                "fulfilled_at": iso(m.fulfilled_at), "response": m.response}
                               for m in app.materials_requests],
        "packet": app.packet or {}, "created_at": iso(app.created_at),
    }


APPLICATION_OUT: dict[str, Any] = {
    "type": "object", "required": ["id", "case_id", "court_id", "status"],
    "properties": {
        "id": {"type": "integer"}, "case_id": {"type": "integer"}, "case_number": {"type": ["string", "null"]},
        "agreement_id": {"type": "integer"}, "court_id": {"type": "integer"}, "court_name": {"type": "string"},
        "status": {"type": "string", "enum": list(rules.STATUSES)},
        "consented_party_ids": {"type": "array", "items": {"type": "integer"}},
        "waiting_for": {"type": "array", "items": {"type": "string"}},
        "warnings": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}}}},
        "judge_id": {"type": ["integer", "null"]}, "judge_name": {"type": ["string", "null"]},
        "clerk_id": {"type": ["integer", "null"]},
        "submitted_at": {"type": ["string", "null"]}, "accepted_at": {"type": ["string", "null"]},
        "decided_at": {"type": ["string", "null"]}, "withdrawn_at": {"type": ["string", "null"]},
        "due_at": {"type": ["string", "null"]}, "decision": {"type": ["string", "null"]},
        "grounds": {"type": "array", "items": {"type": "string", "enum": list(rules.GROUND_KEYS)}},
        "reason": {"type": ["string", "null"]}, "ruling_number": {"type": ["string", "null"]},
        "ruling_document_id": {"type": ["integer", "null"]},
        "materials_requests": {"type": "array", "items": {"type": "object"}},
        "packet": {"type": "object"}, "created_at": {"type": "string"},
    },
}
