"""Bulk-inserted statistics records (test data written straight to the tables).

The dashboards read what the services leave behind; writing ten thousand cases through
the intake services would take minutes, so these helpers insert rows with the columns
those services set (status, timestamps, source) in a few statements.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from odr.agreements.models import Agreement
from odr.cases.models import Case, Category
from odr.confirmation.models import ConfirmationApplication
from odr.core.time import UTC
from odr.extensions import db

DIVERTED, MEDIATED, SETTLED, CONFIRMED = 11_591, 9_908, 3_470, 2_948
START = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)


def seed_court_figures(world: Any) -> None:
    """One county court's ten months: 11,591 diverted, 9,908 of them mediated (85.48%),
    3,470 settled, 2,948 judicial confirmations; plus 120 self-filed cases elsewhere."""
    rows: list[dict[str, Any]] = []
    for i in range(DIVERTED):
        filed = START + timedelta(days=(i * 300) // DIVERTED, minutes=i % 600)
        mediated, settled = i < MEDIATED, i < SETTLED
        status = ("agreement_effective" if settled else "in_mediation" if i < MEDIATED - 400
                  else "failed" if mediated else "declined" if i % 2 else "rejected")
        rows.append({"status": status, "category": Category.ALL[i % 6], "facts": "", "source": "court_diversion",
                     "organization_id": world.county.id, "court_id": world.court.id,
                     "mediator_id": world.mediators[i % 2].id if mediated else None,
                     "created_by_id": world.clerk.id, "created_at": filed, "submitted_at": filed,
                     "accepted_at": filed + timedelta(days=1) if mediated else None,
                     "mediation_started_at": filed + timedelta(days=2) if mediated else None,
                     "settled_at": filed + timedelta(days=10 + i % 7) if settled else None,
                     "escalation_count": 1 if i % 97 == 0 else 0})
    for i in range(120):
        filed = START + timedelta(days=i * 2)
        rows.append({"status": "settled" if i % 3 == 0 else "submitted", "category": "neighbour", "facts": "",
                     "source": "self_filed", "organization_id": world.town.id, "court_id": None,
                     "mediator_id": world.town_mediator.id if i % 3 == 0 else None,
                     "created_by_id": world.applicant.id, "created_at": filed, "submitted_at": filed,
                     "settled_at": filed + timedelta(days=5) if i % 3 == 0 else None, "escalation_count": 0})
    db.session.execute(insert(Case), rows)
    settled_ids = db.session.execute(
        select(Case.id).where(Case.source == "court_diversion", Case.settled_at.is_not(None))
        .order_by(Case.id).limit(CONFIRMED)).scalars().all()
    db.session.execute(insert(Agreement), [
        {"case_id": cid, "version": 1, "status": "effective", "content_hash": "0" * 64,
         "created_by_id": world.mediators[0].id, "created_at": START} for cid in settled_ids])
    agreements = dict(db.session.execute(select(Agreement.case_id, Agreement.id)).all())
    submitted_at = START + timedelta(days=40)
    db.session.execute(insert(ConfirmationApplication), [
        {"case_id": cid, "agreement_id": agreements[cid], "court_id": world.court.id, "status": "confirmed",
         "submitted_at": submitted_at, "decided_at": submitted_at + timedelta(days=12), "decision": "confirm",
         "warnings": [], "grounds": [], "created_at": submitted_at} for cid in settled_ids])
    db.session.commit()
