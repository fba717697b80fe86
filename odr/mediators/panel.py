"""What the case page's assignment panel may show the current user (Jinja global
``assignment_panel``), next to ``case_pool`` from odr.cases.views_pool.

Each form appears only for those the policy lets post it, so the panel never offers a
button that would be refused; the ranking is computed only for the organization admin
and only while the case has no mediator (the candidates page covers reassignment).
"""

from __future__ import annotations

from typing import Any

from flask import session
from flask_login import current_user

from odr.accounts import policy
from odr.cases import assignment, lifecycle
from odr.cases.models import Case
from odr.mediators.ratings import RATEABLE

#: how many ranked candidates the panel lists (the candidates page lists all)
PANEL_CANDIDATES = 5
#: where views_pool keeps what was typed into a refused panel form
TYPED_KEY = "pool_form"


def typed_values(case_id: int) -> dict[str, Any]:
    """What was typed into this case's panel form before it was refused (read once)."""
    kept = session.get(TYPED_KEY)
    if not kept or kept.get("case_id") != case_id:
        return {}
    session.pop(TYPED_KEY, None)
    return dict(kept.get("data") or {})


def assignment_panel(case: Case) -> dict[str, Any]:
    user = current_user if current_user.is_authenticated else None

    def can(action: str) -> bool:
        return user is not None and policy.can(user, action, case)

    is_mediator = user is not None and case.mediator_id == user.id
    open_case = case.status in assignment.ASSIGNABLE
    data: dict[str, Any] = {
        "can_assign": can("case.assign") and open_case,
        "can_confirm": can("case.booking.confirm") and case.preferred_mediator_id is not None
        and case.mediator_id is None and open_case,
        "can_disclose": can("case.disclose") and is_mediator,
        "can_request_recusal": can("case.recusal.request") and case.mediator_id is not None
        and case.status in assignment.HOLDING,
        "can_decide": can("case.recusal.decide"),
        "can_escalate": can("case.escalate") and lifecycle.can_transition(case, "escalate"),
        "can_rate": can("case.rate") and case.status in RATEABLE and case.mediator_id is not None,
        "is_mediator": is_mediator,
        "candidates": [],
        "weights": assignment.WEIGHTS,
        "typed": typed_values(case.id) if user is not None else {},
    }
    if data["can_assign"] and case.mediator_id is None:
        data["candidates"] = assignment.rank_candidates(case, limit=PANEL_CANDIDATES)
    return data
