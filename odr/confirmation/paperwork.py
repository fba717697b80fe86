"""The papers of a confirmation: the application packet and the ruling (民事裁定书).

The PDFs come from the documents room (``odr.documents.builders``). The packet is a
snapshot (JSON on the application) of what the court receives (C §354, D §3), so a
later change to the case cannot silently change what was filed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from odr.documents import builders
from odr.documents.models import Document, DocumentKind
from odr.evidence.models import Evidence
from odr.extensions import db
from odr.scheduling.models import Minutes


def assemble_packet(application: Any) -> dict[str, Any]:
    """What goes to the court with the application (C §354; D §3), by reference."""
    case, agreement = application.case, application.agreement
    docs = db.session.execute(
        select(Document).where(Document.case_id == case.id).order_by(Document.id)).scalars().all()
    evidence = db.session.execute(
        select(Evidence).where(Evidence.case_id == case.id, Evidence.withdrawn_at.is_(None),
                               Evidence.visibility == "all").order_by(Evidence.id)).scalars().all()
    minutes = db.session.execute(
        select(Minutes).where(Minutes.case_id == case.id, Minutes.status == "confirmed")
        .order_by(Minutes.id)).scalars().all()
    org = case.organization
    return {
        "agreement": {"id": agreement.id, "number": agreement.number, "version": agreement.version,
                      "content_hash": agreement.content_hash,
                      "document_ids": [d.id for d in docs if d.kind == DocumentKind.AGREEMENT]},
        "mediated_by": {"organization_id": org.id if org else None, "name": org.name if org else None,
                        "credit_code": org.credit_code if org else None,
                        "mediator": case.mediator.display_name if case.mediator else None,
                        "sealed_at": agreement.sealed_at.isoformat() if agreement.sealed_at else None},
        "parties": [{"party_id": p.id, "side": p.side, "kind": p.kind, "name": p.name,
                     "id_number": p.credit_code if p.kind == "organization" else p.id_number,
                     "phone": p.phone, "address": p.address} for p in case.parties],
        "agents": [{"party_id": a.party_id, "name": a.name,
                    "power_of_attorney_id": a.power_of_attorney_id} for a in case.agents],
        "evidence": [{"id": e.id, "title": e.title, "kind": e.kind, "sha256": e.sha256} for e in evidence],
        "minutes": [{"id": m.id, "version": m.version, "confirmed_at":
                     m.confirmed_at.isoformat() if m.confirmed_at else None} for m in minutes],
        "documents": [{"id": d.id, "kind": d.kind, "number": d.number} for d in docs],
    }


def issue_application(application: Any) -> Document:
    """The joint application (司法确认申请书), each consent printed as that party's e-signature."""
    consents = {c.party_id: c.consented_at for c in application.consents}
    return builders.issue_confirmation_application(application, consents)


def issue_ruling(application: Any, actor: Any = None) -> Document:
    """The ruling (民事裁定书) naming the judge and the clerk, issued by the court."""
    return builders.issue_ruling(application, actor=actor)


def last_performance_date(agreement: Any) -> date | None:
    dates = [t.due_date for t in agreement.terms if t.due_date is not None]
    return max(dates) if dates else None
