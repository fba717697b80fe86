"""Pages and form posts of the mediator pool on a case: ranked candidates and assignment,
booking confirmation, disclosure, recusal, escalation, rating. Thin: each post calls one
service and goes back to the case page with the outcome as a message.

Registering this blueprint also connects the capacity receiver (``record_once``), so the
slot bookkeeping is wired wherever the app is built, and exposes the panel's data to
templates as the Jinja global ``case_pool``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from odr.accounts import policy
from odr.cases import assignment, escalation, recusal
from odr.cases.models import Case, Transfer
from odr.core.errors import DomainError
from odr.extensions import db
from odr.mediators.models import RecusalRequest
from odr.mediators.ratings import rate

bp = Blueprint("pool", __name__)


def case_pool(case: Case) -> dict[str, Any]:
    """What the assignment panel shows about ``case``."""
    from sqlalchemy import select

    from odr.accounts.models import User
    from odr.mediators.models import Rating

    user = current_user if current_user.is_authenticated else None
    rated = False
    if user is not None:
        rated = db.session.execute(select(Rating.id).where(Rating.case_id == case.id,
                                                           Rating.rater_id == user.id)).first() is not None
    return {
        "mediator": db.session.get(User, case.mediator_id) if case.mediator_id else None,
        "booked": db.session.get(User, case.preferred_mediator_id) if case.preferred_mediator_id else None,
        "disclosures": recusal.disclosures(case),
        "pending_recusal": recusal.pending_request(case),
        "transfers": list(db.session.execute(select(Transfer).where(Transfer.case_id == case.id)
                                             .order_by(Transfer.id)).scalars()),
        "rated": rated,
    }


@bp.record_once
def _wire(state: Any) -> None:
    assignment.connect_signals()
    state.app.jinja_env.globals["case_pool"] = case_pool


def _back(case_id: int) -> Any:
    return redirect(f"/cases/{case_id}")


def _run(case_id: int, action: Callable[[], Any], success: str) -> Any:
    """Run a service call; a refusal becomes a message on the case page (nothing changed)."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        # the panel puts what was typed back into the refused form (read once)
        session["pool_form"] = {"case_id": case_id, "data": {k: v[:4000] for k, v in request.form.items()
                                                             if k != "csrf_token"}}
    else:
        flash(success, "success")
    return _back(case_id)


def _csrf_ok() -> bool:
    from flask_wtf.csrf import validate_csrf
    from wtforms.validators import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        flash(_("The form expired; please try again."), "error")
        return False
    return True


@bp.get("/cases/<int:case_id>/candidates")
def candidates(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.assign")
    ranked = assignment.rank_candidates(case, include_full=True)
    return render_template("cases/pool_candidates.html", case=case, candidates=ranked,
                           weights=assignment.WEIGHTS)


@bp.post("/cases/<int:case_id>/assign")
def assign(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.assign")
    if not _csrf_ok():
        return _back(case_id)
    raw = (request.form.get("mediator_id") or "").strip()
    reason = (request.form.get("reason") or "").strip() or None
    mediator_id = int(raw) if raw.isdigit() else None
    if mediator_id is not None and request.form.get("recommended") not in (None, "", raw) and not reason:
        flash(_("Choosing someone other than the best match needs a reason."), "error")
        return redirect(f"/cases/{case_id}/candidates")
    return _run(case_id, lambda: assignment.assign(case, current_user, mediator_id, reason),
                _("The mediator was assigned."))


@bp.post("/cases/<int:case_id>/booking/confirm")
def confirm_booking(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.booking.confirm")
    if not _csrf_ok():
        return _back(case_id)
    return _run(case_id, lambda: assignment.confirm_booking(case, current_user), _("The booking was confirmed."))


@bp.post("/cases/<int:case_id>/disclosure")
def disclose(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.disclose")
    if not _csrf_ok():
        return _back(case_id)
    has_relation = request.form.get("has_relation") == "yes"
    return _run(case_id, lambda: recusal.disclose(case, current_user, has_relation, request.form.get("description")),
                _("Your declaration was recorded."))


@bp.post("/cases/<int:case_id>/recusal")
def request_recusal(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.recusal.request")
    if not _csrf_ok():
        return _back(case_id)
    return _run(case_id, lambda: recusal.request_recusal(case, current_user, request.form.get("reason")),
                _("Your request was recorded."))


@bp.post("/recusals/<int:request_id>/decide")
def decide_recusal(request_id: int) -> Any:
    req = policy.get_or_404(RecusalRequest, request_id, "case.recusal.decide")
    if not _csrf_ok():
        return _back(req.case_id)
    grant = request.form.get("decision") == "grant"
    return _run(req.case_id, lambda: recusal.decide_recusal(req, current_user, grant, request.form.get("note")),
                _("The decision was recorded."))


@bp.post("/cases/<int:case_id>/escalate")
def escalate(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.escalate")
    if not _csrf_ok():
        return _back(case_id)
    response = _run(case_id, lambda: escalation.escalate(case, current_user, request.form.get("reason")),
                    _("The case was escalated."))
    g.pop("_case_rel", None)  # the policy's per-request cache still knows the old relations
    if policy.can(current_user, "case.view", case):
        return response
    # the mediator (unassigned) or the admin (case moved up) can no longer open the case page
    from odr.web.views import ROLE_HOME

    home = ROLE_HOME.get(current_user.role)
    return redirect(url_for(home) if home in current_app.view_functions else url_for("web.index"))


@bp.post("/cases/<int:case_id>/rating")
def rating(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.rate")
    if not _csrf_ok():
        return _back(case_id)
    return _run(case_id, lambda: rate(case, current_user, request.form.get("score"), request.form.get("comment")),
                _("Thank you for your rating."))
