"""Legal deadlines: computed from DESIGN.md's rules, set and closed as the case moves.

The ``deadline`` table is the scheduler's source of truth: the web app writes rows here
(inside the transaction of the change that implies them) and the leading scheduler's
sweep warns before and acts at expiry (``odr.scheduling.sweep``). Functions here never
commit; they run inside the caller's transaction (signal receivers included).

| kind | from | length | rule |
|---|---|---|---|
| respondent_answer | case accepted | RESPONDENT_ANSWER_DAYS (7) | invitation answer |
| mediator_acceptance | mediator assigned | 3 working days | E §15 |
| mediation_period | mediator's acceptance / start of mediation | 30 days (15 after filing) | E §24, F §27 |
| mediation_grace | mediation period over | MEDIATION_GRACE_DAYS (3) | extend with consent or fail |
| confirmation_window | agreement effective | 30 days | B §205 |
| court_acceptance | application filed | 3 days | D §4 |
| conclusion_target / conclusion_hard | application filed | 15 / 30 days | D §5, B §187 |
| performance | agreement term due date | that date | A §28 |
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from odr.core.time import now
from odr.extensions import db
from odr.scheduling.models import Deadline
from odr.scheduling.workdays import due_after_days, end_of_local_day

CASE_KINDS = ("respondent_answer", "mediator_acceptance", "mediation_period", "mediation_grace",
              "confirmation_window")
CONFIRMATION_KINDS = ("court_acceptance", "conclusion_target", "conclusion_hard")
#: kinds that get warnings before they fall due (DEADLINE_WARNING_DAYS, default 7 and 2)
WARNED_KINDS = ("mediation_period", "confirmation_window", "performance", "conclusion_hard")


def _cfg(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def set_deadline(kind: str, due_at: datetime, *, case: Any = None, confirmation: Any = None,
                 note: str | None = None, replace: bool = True) -> Deadline:
    """Open a deadline (replacing the open one of the same kind on the same object).

    Public for the confirmation room, e.g. ``set_deadline("court_acceptance", due,
    case=case, confirmation=app)``. Does not commit.
    """
    case_id = getattr(case, "id", None) if case is not None else getattr(confirmation, "case_id", None)
    conf_id = getattr(confirmation, "id", None)
    if replace:
        for row in _open(case_id, conf_id, (kind,)):
            if kind != "performance" or row.note == note:
                row.status, row.closed_at = "cancelled", now()
    row = Deadline(case_id=case_id, confirmation_id=conf_id, kind=kind, due_at=due_at, status="open", note=note)
    db.session.add(row)
    db.session.flush()
    return row


def close_deadlines(*, case: Any = None, confirmation: Any = None, kinds: tuple[str, ...] | None = None,
                    status: str = "met") -> int:
    """Close open deadlines ("met" when done in time, "cancelled" when moot). No commit."""
    case_id = getattr(case, "id", None)
    conf_id = getattr(confirmation, "id", None)
    rows = _open(case_id, conf_id, kinds)
    for row in rows:
        row.status, row.closed_at = status, now()
    return len(rows)


def _open(case_id: int | None, conf_id: int | None, kinds: tuple[str, ...] | None) -> list[Deadline]:
    q = select(Deadline).where(Deadline.status == "open")
    if conf_id is not None:
        q = q.where(Deadline.confirmation_id == conf_id)
    elif case_id is not None:
        q = q.where(Deadline.case_id == case_id)
    else:
        return []
    if kinds:
        q = q.where(Deadline.kind.in_(kinds))
    return list(db.session.execute(q).scalars())


def case_deadlines(case: Any, *, open_only: bool = False) -> list[Deadline]:
    """The case's deadlines, soonest first (the case page panel and the API)."""
    q = select(Deadline).where(Deadline.case_id == case.id)
    if open_only:
        q = q.where(Deadline.status == "open")
    return list(db.session.execute(q.order_by(Deadline.status != "open", Deadline.due_at)).scalars())


def set_confirmation_deadlines(application: Any, filed_at: datetime | None = None) -> list[Deadline]:
    """Court acceptance (3 days) and conclusion (target, hard) from the filing. No commit."""
    start = filed_at or now()
    return [
        set_deadline("court_acceptance", due_after_days(start, 3), confirmation=application),
        set_deadline("conclusion_target", due_after_days(start, _cfg("CONFIRMATION_TARGET_DAYS", 15)),
                     confirmation=application),
        set_deadline("conclusion_hard", due_after_days(start, _cfg("CONFIRMATION_HARD_DAYS", 30)),
                     confirmation=application),
    ]


def mediation_period_days(case: Any) -> int:
    if getattr(case, "source", None) == "court_diversion" and getattr(case, "court_case_number", None):
        return _cfg("MEDIATION_PERIOD_FILED_DAYS", 15)
    return _cfg("MEDIATION_PERIOD_DAYS", 30)


# ---------------------------------------------------------------- signal receivers

def on_case_status_changed(case: Any, *, before: str, after: str, **_kw: Any) -> None:
    """Set or close what the new status implies (DESIGN.md life cycle)."""
    moment = now()
    if after == "accepted":
        set_deadline("respondent_answer", due_after_days(moment, _cfg("RESPONDENT_ANSWER_DAYS", 7)), case=case)
    elif after == "in_mediation":
        close_deadlines(case=case, kinds=("respondent_answer",))
        start = case.mediator_accepted_at or case.mediation_started_at or moment
        set_deadline("mediation_period", due_after_days(start, mediation_period_days(case)), case=case)
    elif after == "settled":
        close_deadlines(case=case, kinds=("mediation_period", "mediation_grace"))
    elif after == "agreement_effective":
        set_deadline("confirmation_window", due_after_days(case.effective_at or moment, 30), case=case)
    elif after == "closed":
        close_deadlines(case=case, kinds=CASE_KINDS)
    elif after == "submitted" and before != "draft":
        close_deadlines(case=case, kinds=CASE_KINDS, status="cancelled")  # escalated: starts over
    elif after in ("rejected", "declined", "failed", "withdrawn"):
        met = ("respondent_answer",) if after == "declined" else ()
        if met:
            close_deadlines(case=case, kinds=met)
        close_deadlines(case=case, kinds=CASE_KINDS, status="cancelled")


def on_mediator_assigned(case: Any, *, mediator_id: int | None = None, **_kw: Any) -> None:
    if mediator_id is not None:
        set_deadline("mediator_acceptance", due_after_days(now(), 3, working=True), case=case)


def on_agreement_effective(agreement: Any, *, case: Any = None, **_kw: Any) -> None:
    """Performance dates written in the agreement's terms become deadlines."""
    case = case or getattr(agreement, "case", None)
    for term in getattr(agreement, "terms", None) or []:
        due: date | None = getattr(term, "due_date", None)
        if due is not None:
            set_deadline("performance", end_of_local_day(due), case=case,
                         note=f"term:{term.id}: {term.description}"[:500])


def on_ruling_issued(application: Any, **_kw: Any) -> None:
    close_deadlines(confirmation=application, kinds=CONFIRMATION_KINDS)
    case_id = getattr(application, "case_id", None)
    if case_id is not None:
        from odr.cases.models import Case

        close_deadlines(case=db.session.get(Case, case_id), kinds=("confirmation_window",))


def connect_receivers() -> None:
    from odr.core import signals

    signals.case_status_changed.connect(on_case_status_changed, weak=False)
    signals.mediator_assigned.connect(on_mediator_assigned, weak=False)
    signals.agreement_effective.connect(on_agreement_effective, weak=False)
    signals.ruling_issued.connect(on_ruling_issued, weak=False)
