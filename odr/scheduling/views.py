"""Session actions from the case page's panel (thin: parse, call booking, redirect)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from odr.accounts import policy
from odr.accounts.forms import EmptyForm
from odr.cases.models import Case
from odr.core.errors import DomainError
from odr.core.time import DEFAULT_TZ
from odr.extensions import db
from odr.scheduling import booking, extension, hearings
from odr.scheduling.forms import HearingForm
from odr.scheduling.models import ExtensionRequest, MediationSession

bp = Blueprint("scheduling", __name__)


def _back(case_id: int, anchor: str = "sessions") -> Any:
    return redirect(f"/cases/{case_id}#{anchor}")


def _run(case_id: int, fn: Any, ok: str, anchor: str = "sessions") -> Any:
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return _back(case_id, anchor)
    try:
        fn()
        flash(ok, "info")
    except DomainError as exc:
        db.session.rollback()
        detail = "; ".join(str(v) for v in exc.fields.values())
        flash(f"{exc.message} {detail}".strip(), "error")
    return _back(case_id, anchor)


@bp.post("/cases/<int:case_id>/sessions/propose")
def propose(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.sessions.propose")
    slots = []
    for day, clock in zip(request.form.getlist("date"), request.form.getlist("time"), strict=False):
        if day and clock:
            # the form's wall-clock time is in the viewer's zone (Asia/Shanghai by default)
            offset = DEFAULT_TZ.key if not current_user.timezone else current_user.timezone
            slots.append({"starts_at": f"{day}T{clock}", "zone": offset,
                          "duration_minutes": int(request.form.get("duration_minutes") or 60)})

    def go() -> None:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        parsed = []
        for s in slots:
            try:
                parsed.append({"starts_at": datetime.fromisoformat(s["starts_at"]).replace(tzinfo=ZoneInfo(s["zone"])),
                               "duration_minutes": s["duration_minutes"]})
            except ValueError:
                from odr.core.errors import BadInput

                raise BadInput(_("Enter a date and time.")) from None
        booking.propose(case, current_user._get_current_object(), parsed)

    return _run(case_id, go, _("The times were proposed to the parties."))


@bp.post("/sessions/<int:session_id>/accept")
def accept(session_id: int) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "session.accept")
    case = db.session.get(Case, session.case_id)
    return _run(case.id, lambda: booking.accept(session, case, current_user._get_current_object()),
                _("You accepted this time."))


@bp.post("/sessions/<int:session_id>/cancel")
def cancel(session_id: int) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "session.cancel")
    case = db.session.get(Case, session.case_id)
    reason = request.form.get("reason", "")
    return _run(case.id, lambda: booking.cancel(session, case, current_user._get_current_object(), reason),
                _("The session was cancelled."))


def _hearing_page(case: Case, form: HearingForm, status: int = 200) -> Any:
    return render_template("scheduling/hearing.html", case=case, form=form,
                           hearings=hearings.case_hearings(case)), status


@bp.route("/cases/<int:case_id>/hearing", methods=["GET", "POST"])
def hearing(case_id: int) -> Any:
    """The court's video hearing: its sessions and the form to propose one (judge or clerk)."""
    case = policy.get_or_404(Case, case_id, "case.hearing.schedule")
    form = HearingForm()
    if request.method == "GET":
        return _hearing_page(case, HearingForm(formdata=None))
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _hearing_page(case, form, 400)
    try:
        hearings.propose_hearing(case, current_user._get_current_object(), form.starts_at(current_user.timezone),
                                 form.duration_minutes.data)
    except DomainError as exc:
        db.session.rollback()
        case = db.session.get(Case, case_id)
        if "starts_at" in exc.fields:
            form.time.errors = [str(exc.fields["starts_at"])]
        if "duration_minutes" in exc.fields:
            form.duration_minutes.errors = [str(exc.fields["duration_minutes"])]
        flash(str(exc.message), "error")
        return _hearing_page(case, form, exc.status)
    flash(_("The hearing was proposed; the parties were notified and asked to accept the time."), "success")
    return redirect(url_for("scheduling.hearing", case_id=case_id))


@bp.get("/sessions/<int:session_id>/calendar.ics")
def ics(session_id: int) -> Any:
    policy.get_or_404(MediationSession, session_id, "session.ics")
    return redirect(url_for("api.scheduling_sessions_ics", session_id=session_id))


@bp.post("/cases/<int:case_id>/extension")
def request_extension(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.extend")
    due, reason = request.form.get("due_date", ""), request.form.get("reason", "")
    return _run(case.id, lambda: extension.request_extension(case, current_user._get_current_object(), due, reason),
                _("The parties were asked to consent to the extension."), anchor="deadlines")


@bp.post("/extensions/<int:request_id>/consent")
def answer_extension(request_id: int) -> Any:
    req = policy.get_or_404(ExtensionRequest, request_id, "case.extend.consent")
    case = db.session.get(Case, req.case_id)
    consent = request.form.get("consent") == "yes"
    return _run(case.id, lambda: extension.answer(req, case, current_user._get_current_object(), consent),
                _("You consented to the extension.") if consent else _("You refused the extension."),
                anchor="deadlines")
