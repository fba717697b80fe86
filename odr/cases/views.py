"""Case pages: my cases, the case page with its actions, the intake queue, the wizard
(odr/cases/wizard.py) and the respondent's invitation landing.

Thin by design: every page asks the policy, every action calls one service of
odr/cases/services.py (the same ones the JSON API calls) and either goes back with a
message or, when the service refuses, shows the page again with the message and what
was typed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import TemplateNotFound

from odr.accounts import policy
from odr.cases import forms, queries, services, wizard
from odr.cases.invitations import find_invitation
from odr.cases.lifecycle import STATUS_LABELS, STATUSES
from odr.cases.models import Case
from odr.cases.serialize import case_deadlines
from odr.core.errors import DomainError
from odr.core.time import parse_iso
from odr.evidence.services import visible_evidence
from odr.evidence.sniff import ALLOWED_LABELS, PREVIEWABLE
from odr.extensions import db

bp = Blueprint("cases", __name__)

bp.add_url_rule("/cases/new", "new_case", wizard.new_case, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>/edit/<step>", "wizard", wizard.wizard, methods=["GET", "POST"])


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"category_labels": forms.CATEGORY_LABELS, "source_labels": forms.SOURCE_LABELS,
            "consent_labels": forms.CONSENT_LABELS}


@bp.get("/cases")
def my_cases() -> Any:
    policy.authorize("account.use")
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    return render_template("cases/my_cases.html", cases=queries.my_cases(current_user, status),
                           status=status, statuses=STATUSES, status_labels=STATUS_LABELS)


def render_detail(case: Case, *, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                  status: int = 200) -> Any:
    """The case page; ``typed`` holds the form that was refused so it shows again."""
    user = current_user
    actions = queries.offered_actions(case, user)
    evidence = visible_evidence(case, user) if policy.can(user, "case.evidence.list", case) else []
    return render_template(
        "cases/detail.html", case=case, parties=queries.party_views(case, user),
        steps=queries.next_steps(case, user), actions=actions, events=queries.timeline(case, user),
        deadlines=[{**d, "due": parse_iso(d["due_at"])} for d in case_deadlines(case)],
        panel_deadlines=_has_template("cases/_panel_deadlines.html"),
        evidence=evidence, can_withdraw={e.id for e in evidence if policy.can(user, "evidence.withdraw", e)},
        previewable=PREVIEWABLE, allowed_types=ALLOWED_LABELS, next_steps_text=services.NEXT_STEPS,
        org_choices=_transfer_choices(case.organization_id, typed) if "transfer" in actions else None,
        typed=typed or {}, errors=errors or {}), status


def _transfer_choices(organization_id: int | None, typed: dict[str, Any] | None) -> queries.OrgChoices:
    """Transfer destinations near ``organization_id`` (or matching ``?org_q=``), keeping the
    one a refused transfer form had chosen."""
    query = (request.args.get("org_q") or "").strip()[:60]
    selected = (typed or {}).get("organization_id") if (typed or {}).get("action") == "transfer" else None
    return queries.transfer_choices(organization_id, query, selected)


def _has_template(name: str) -> bool:
    """Another room's panel that replaces a section of this page, once it exists."""
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return False
    return True


@bp.get("/cases/<int:case_id>")
def detail(case_id: int) -> Any:
    return render_detail(policy.get_or_404(Case, case_id, "case.view"))


def _safe_next() -> str | None:
    target = request.form.get("next") or request.args.get("next")
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _act(case_id: int, action: str, name: str, call: Any, success: str) -> Any:
    """Run one service call on the case; on refusal show the page again with the message."""
    case = policy.get_or_404(Case, case_id, action)
    try:
        call(case)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        typed = {"action": name, "case_id": case_id, **request.form.to_dict()}
        errors = forms.field_errors(exc.fields)
        case = db.session.get(Case, case_id)
        if request.form.get("next") == url_for("cases.intake_queue"):
            return render_intake(typed=typed, errors=errors, status=exc.status)
        if name == "submit" and case.status == "draft" and exc.fields:
            return wizard.render_step(case, "review", {}, errors, exc.status)
        return render_detail(case, typed=typed, errors=errors, status=exc.status)
    flash(success, "success")
    return redirect(_safe_next() or url_for("cases.detail", case_id=case_id))


@bp.post("/cases/<int:case_id>/submit")
def submit(case_id: int) -> Any:
    return _act(case_id, "case.submit", "submit", lambda c: services.submit_case(c, current_user),
                _("Your application was submitted."))


@bp.post("/cases/<int:case_id>/fail")
def fail(case_id: int) -> Any:
    return _act(case_id, "case.fail", "fail",
                lambda c: services.fail_case(c, current_user, request.form.get("reason") or "",
                                             request.form.get("conduct")),
                _("The mediation was closed as failed; the parties have been told their next steps."))


@bp.post("/cases/<int:case_id>/withdraw")
def withdraw(case_id: int) -> Any:
    return _act(case_id, "case.withdraw", "withdraw",
                lambda c: services.withdraw_case(c, current_user, request.form.get("reason")),
                _("The application was withdrawn."))


@bp.post("/cases/<int:case_id>/accept")
def accept(case_id: int) -> Any:
    return _act(case_id, "case.accept", "accept", lambda c: services.accept_case(c, current_user),
                _("The case was accepted; the respondents have been invited."))


@bp.post("/cases/<int:case_id>/reject")
def reject(case_id: int) -> Any:
    return _act(case_id, "case.reject", "reject",
                lambda c: services.reject_case(c, current_user, request.form.get("reason", "")),
                _("The case was not accepted; the applicant has been told why."))


@bp.post("/cases/<int:case_id>/transfer")
def transfer(case_id: int) -> Any:
    raw = request.form.get("organization_id", "")
    return _act(case_id, "case.transfer", "transfer",
                lambda c: services.transfer_case(c, current_user, int(raw) if raw.isdigit() else 0,
                                                 request.form.get("reason", "")),
                _("The case was transferred."))


@bp.post("/cases/<int:case_id>/respond")
def respond(case_id: int) -> Any:
    decision = request.form.get("decision", "")
    message = (_("You agreed to mediation.") if decision == "accept"
               else _("You declined mediation. The applicant has been told."))
    return _act(case_id, "case.respond", "respond",
                lambda c: services.respond(c, current_user, decision, request.form.get("statement")), message)


def render_intake(*, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                  status: int = 200) -> Any:
    pending, decided = queries.intake_queue(current_user)
    # every pending case is at the admin's organization: one list of destinations serves them all
    choices = _transfer_choices(current_user.organization_id, typed) if pending else None
    return render_template("cases/intake_queue.html", pending=pending, decided=decided,
                           transferred=queries.transferred_away(current_user),
                           org_choices=choices, typed=typed or {}, errors=errors or {}), status


@bp.get("/intake")
def intake_queue() -> Any:
    policy.authorize("intake.queue")
    return render_intake()


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Any:
    """The link from a respondent's invitation: read the application, log in, claim."""
    if request.method == "POST":
        policy.authorize("invitation.claim")
        try:
            party = services.claim_invitation(token, current_user)
        except DomainError as exc:
            db.session.rollback()
            return render_template("cases/invitation_error.html", message=exc.message), exc.status
        flash(_("You are now a party to this case. Please read it and answer."), "success")
        return redirect(url_for("cases.detail", case_id=party.case_id))
    policy.public()
    try:
        inv = find_invitation(token)
    except DomainError as exc:
        return render_template("cases/invitation_error.html", message=exc.message), exc.status
    case = db.session.get(Case, inv.case_id)
    return render_template("cases/invitation.html", case=case, token=token,
                           applicants=[p.name for p in case.applicants()],
                           here=url_for("cases.invitation", token=token))
