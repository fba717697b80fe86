"""The case life cycle: one table of allowed transitions and the one function that moves.

    draft ─submit→ submitted ─accept→ accepted ─respondents agree→ in_mediation ─settle→ settled
    settled ─all signed→ agreement_effective ─ruling or window over→ closed

Every status change goes through ``transition``: it checks the table (409 otherwise),
asks the policy whether the actor may (403), writes the change and its audit event in
the caller's transaction, and sends ``case_status_changed`` so scheduling can set or
cancel deadlines and notifications can tell the people concerned.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.audit.services import record
from odr.core.errors import Conflict, Forbidden
from odr.core.signals import case_status_changed
from odr.core.time import now

DRAFT, SUBMITTED, REJECTED, ACCEPTED, DECLINED = "draft", "submitted", "rejected", "accepted", "declined"
IN_MEDIATION, FAILED, WITHDRAWN, SETTLED = "in_mediation", "failed", "withdrawn", "settled"
AGREEMENT_EFFECTIVE, CLOSED = "agreement_effective", "closed"
STATUSES = (DRAFT, SUBMITTED, REJECTED, ACCEPTED, DECLINED, IN_MEDIATION, FAILED, WITHDRAWN,
            SETTLED, AGREEMENT_EFFECTIVE, CLOSED)
OPEN_STATUSES = (SUBMITTED, ACCEPTED, IN_MEDIATION, SETTLED)
ENDED_STATUSES = (REJECTED, DECLINED, FAILED, WITHDRAWN, CLOSED)

#: event → (allowed from, to, policy action or None for system-driven moves)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "submit": ((DRAFT,), SUBMITTED, "case.submit"),
    "withdraw": ((DRAFT, SUBMITTED, ACCEPTED, IN_MEDIATION), WITHDRAWN, "case.withdraw"),
    "accept": ((SUBMITTED,), ACCEPTED, "case.accept"),
    "reject": ((SUBMITTED,), REJECTED, "case.reject"),
    "transfer": ((SUBMITTED,), SUBMITTED, "case.transfer"),
    "decline": ((ACCEPTED,), DECLINED, "case.respond"),
    "begin_mediation": ((ACCEPTED,), IN_MEDIATION, None),
    "escalate": ((SUBMITTED, ACCEPTED, IN_MEDIATION), SUBMITTED, "case.escalate"),
    "fail": ((IN_MEDIATION, SETTLED), FAILED, "case.fail"),
    "expire": ((IN_MEDIATION,), FAILED, None),
    "settle": ((IN_MEDIATION, SETTLED), SETTLED, "case.agreement.draft"),
    "agreement_effective": ((SETTLED,), AGREEMENT_EFFECTIVE, None),
    "close": ((AGREEMENT_EFFECTIVE,), CLOSED, None),
}

#: which timestamp column an arrival in a status sets
_STAMPS = {SUBMITTED: "submitted_at", ACCEPTED: "accepted_at", IN_MEDIATION: "mediation_started_at",
           SETTLED: "settled_at", AGREEMENT_EFFECTIVE: "effective_at", CLOSED: "closed_at",
           REJECTED: "ended_at", DECLINED: "ended_at", FAILED: "ended_at", WITHDRAWN: "ended_at"}

STATUS_LABELS = {
    DRAFT: _l("Draft"), SUBMITTED: _l("Submitted"), REJECTED: _l("Not accepted"),
    ACCEPTED: _l("Accepted, awaiting respondent"), DECLINED: _l("Declined by respondent"),
    IN_MEDIATION: _l("In mediation"), FAILED: _l("Mediation failed"), WITHDRAWN: _l("Withdrawn"),
    SETTLED: _l("Settled, signing"), AGREEMENT_EFFECTIVE: _l("Agreement in effect"), CLOSED: _l("Closed"),
}


def allowed_events(status: str) -> list[str]:
    return [event for event, (sources, _to, _a) in TRANSITIONS.items() if status in sources]


def can_transition(case: Any, event: str) -> bool:
    return event in TRANSITIONS and case.status in TRANSITIONS[event][0]


def transition(case: Any, event: str, actor: Any, *, reason: str | None = None,
               details: dict[str, Any] | None = None, check_policy: bool = True) -> str:
    """Move ``case`` by ``event``; raise Conflict/Forbidden and change nothing if refused.

    The caller commits. Returns the previous status.
    """
    if event not in TRANSITIONS:
        raise Conflict(_l("Unknown action."), code="invalid_transition")
    sources, target, action = TRANSITIONS[event]
    if case.status not in sources:
        raise Conflict(
            _l("This action is not possible while the case is “%(status)s”.",
               status=STATUS_LABELS.get(case.status, case.status)),
            code="invalid_transition")
    if check_policy and action is not None and actor is not None and not policy.can(actor, action, case):
        raise Forbidden()
    before = case.status
    moment = now()
    case.status = target
    case.updated_at = moment
    stamp = _STAMPS.get(target)
    if stamp and (getattr(case, stamp) is None or target == SUBMITTED):
        setattr(case, stamp, moment)
    if target in (REJECTED, DECLINED, FAILED, WITHDRAWN) and reason:
        case.end_reason = reason
    after: dict[str, Any] = {"status": target}
    if reason:
        after["reason"] = reason
    if details:
        after.update(details)
    record(f"case.{event}", case, actor=actor, before={"status": before}, after=after)
    case_status_changed.send(case, before=before, after=target, event=event, actor=actor, reason=reason)
    return before
