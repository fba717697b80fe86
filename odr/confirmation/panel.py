"""Data for the confirmation panel on the case page and the judge's review screen.

Registered as Jinja globals in ``init_app`` so the case page (owned by the cases room)
includes ``cases/_panel_confirmation.html`` without importing this room.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select

from odr.accounts import policy
from odr.accounts.models import User
from odr.confirmation import rules
from odr.confirmation.court import decide_before
from odr.confirmation.hearing import application_hearings, next_hearing
from odr.confirmation.models import ConfirmationApplication
from odr.confirmation.queries import due_state, ruling_document
from odr.core.time import ensure_aware, now
from odr.documents.models import Document
from odr.evidence.models import Evidence
from odr.extensions import db
from odr.scheduling.models import MediationSession, Minutes, SessionAttendee


def case_confirmation(case: Any) -> dict[str, Any]:
    """Where the case's application stands, and what the viewer may do about it."""
    application = db.session.execute(
        select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id)
        .order_by(ConfirmationApplication.id.desc()).limit(1)).scalar_one_or_none()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    ends = rules.window_ends(case.effective_at)
    window_open = ends is not None and now() <= ends
    mine = set()
    if application is not None and user is not None:
        mine = {c.party_id for c in application.consents if c.user_id == user.id}
    can_consent = (user is not None and window_open and case.status == "agreement_effective"
                   and policy.can(user, "case.confirmation.consent", case)
                   and (application is None or application.status in (rules.PENDING, rules.NOT_ACCEPTED,
                                                                       rules.WITHDRAWN))
                   and not (application is not None and application.status == rules.PENDING and mine))
    return {
        "application": application,
        "status_label": rules.STATUS_LABELS.get(application.status) if application else None,
        "window_ends": ends, "window_open": window_open,
        "window_closed_message": None if window_open or ends is None else _closed_message(case),
        "can_consent": can_consent, "i_consented": bool(mine),
        "can_view": application is not None and user is not None and policy.can(user, "confirmation.view",
                                                                                application),
        "waiting_for": [p.name for p in case.parties if application is not None
                        and p.id not in {c.party_id for c in application.consents}],
        "warnings": rules.warning_texts(application.warnings) if application else [],
        "ruling": ruling_document(application) if application else None,
    }


def _closed_message(case: Any) -> str:
    from odr.confirmation.services import window_closed_message

    return window_closed_message(case)


def review_data(application: ConfirmationApplication) -> dict[str, Any]:
    """Everything the judge reviews on one screen (agreement, packet, evidence, minutes, recordings)."""
    case = application.case
    evidence = db.session.execute(select(Evidence).where(
        Evidence.case_id == case.id, Evidence.withdrawn_at.is_(None), Evidence.visibility == "all")
        .order_by(Evidence.id)).scalars().all()
    consented_sessions = _recording_consented_sessions(case.id)
    recordings = [e for e in evidence if e.kind == "recording" and e.session_id in consented_sessions]
    judge = db.session.get(User, application.judge_id) if application.judge_id else None
    clerk = db.session.get(User, application.clerk_id) if application.clerk_id else None
    due = decide_before(application) if application.status in rules.AT_COURT else None
    return {
        "case": case, "agreement": application.agreement, "judge": judge, "clerk": clerk,
        "status_label": rules.STATUS_LABELS.get(application.status, application.status),
        "warnings": rules.warning_texts(application.warnings),
        "evidence": [e for e in evidence if e.kind != "recording"], "recordings": recordings,
        "minutes": db.session.execute(select(Minutes).where(Minutes.case_id == case.id,
                                                            Minutes.status == "confirmed")
                                      .order_by(Minutes.id)).scalars().all(),
        "documents": db.session.execute(select(Document).where(Document.case_id == case.id)
                                        .order_by(Document.id)).scalars().all(),
        "ruling": ruling_document(application), "due": due, "due_state": due_state(due),
        "grounds": {k: rules.GROUND_LABELS[k] for k in application.grounds or [] if k in rules.GROUND_LABELS},
        "overdue": due is not None and ensure_aware(due) < now(),
        "hearings": application_hearings(application), "open_hearing": next_hearing(application),
    }


def _recording_consented_sessions(case_id: int) -> set[int]:
    """Sessions where every attendee consented to recording (E §22) — only those recordings show."""
    sessions = db.session.execute(select(MediationSession.id).where(MediationSession.case_id == case_id)).scalars()
    out = set()
    for sid in sessions:
        consents = db.session.execute(select(SessionAttendee.recording_consent_at)
                                      .where(SessionAttendee.session_id == sid)).scalars().all()
        if consents and all(c is not None for c in consents):
            out.add(sid)
    return out


def queue_row(application: ConfirmationApplication) -> dict[str, Any]:
    judge = db.session.get(User, application.judge_id) if application.judge_id else None
    due = decide_before(application) if application.status in rules.AT_COURT else None
    return {"judge": judge, "due": due, "due_state": due_state(due), "hearing": next_hearing(application),
            "status_label": rules.STATUS_LABELS.get(application.status, application.status)}
