"""On-demand generation from the case page or the API (the one committing entry point).

Automatic documents come from signal receivers (odr/documents/__init__.py); these are
the ones a mediator or organization admin asks for: the mediation application, the
minutes of a session, a termination notice re-issued after data was completed, and a
reading copy of the current agreement draft.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.agreements import services as agreements
from odr.core.errors import BadInput, Conflict, Forbidden, NotFound
from odr.documents import builders
from odr.documents.models import Document, DocumentKind
from odr.extensions import db
from odr.scheduling.models import MediationSession, Minutes

ON_DEMAND = (DocumentKind.APPLICATION, DocumentKind.MINUTES, DocumentKind.TERMINATION,
             DocumentKind.AGREEMENT)


def generate(case: Any, kind: str, actor: Any, *, minutes_id: int | None = None,
             reason_code: str | None = None) -> Document:
    """Issue a document of ``kind`` for ``case`` now and commit.

    The mediation's documents are issued by its mediator or organization admin; the record
    of a court hearing (询问笔录) by the court that writes it — whoever may write a
    session's minutes may issue them.
    """
    minutes = db.session.get(Minutes, minutes_id) if kind == DocumentKind.MINUTES and minutes_id else None
    session = db.session.get(MediationSession, minutes.session_id) if minutes and minutes.session_id else None
    if session is not None and session.kind == "hearing" and minutes.case_id == case.id:
        allowed = policy.can(actor, "session.minutes.write", session)
    else:
        allowed = policy.can(actor, "document.issue", case)
    if not allowed:
        raise Forbidden()
    if kind == DocumentKind.APPLICATION:
        if case.status == "draft":
            raise Conflict(_l("The application is generated once the case is submitted."),
                           code="invalid_state")
        doc = builders.issue_mediation_application(case, actor=actor)
    elif kind == DocumentKind.MINUTES:
        if minutes is None or minutes.case_id != case.id:
            raise NotFound(_l("No such minutes in this case."))
        doc = builders.issue_minutes(minutes, actor=actor)
    elif kind == DocumentKind.TERMINATION:
        if case.status != "failed":
            raise Conflict(_l("A termination notice is issued only for a failed mediation."),
                           code="invalid_state")
        doc = builders.issue_termination_notice(case, reason_code=reason_code, actor=actor)
    elif kind == DocumentKind.AGREEMENT:
        agreement = agreements.current(case)
        if agreement is None:
            raise BadInput(_l("There is no agreement to print yet."), code="missing_document_data")
        doc = builders.issue_agreement(agreement, actor=actor)
    else:
        raise BadInput(_l("This document is issued by another step."), code="unknown_kind")
    db.session.commit()
    return doc
