"""Agreement pages: the mediator's drafting form, the draft for parties with comments,
and the signing page (password re-entry, the exact version hash shown)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from odr.accounts import policy
from odr.agreements import codes, services
from odr.agreements.forms import AgreementForm, CommentForm, SignCodeForm, SignForm
from odr.agreements.models import Agreement
from odr.cases.models import Case
from odr.core.errors import BadInput, DomainError
from odr.extensions import db

bp = Blueprint("agreements", __name__)


def _apply_errors(form: Any, exc: BadInput) -> None:
    """Put per-field service messages next to the fields (terms.0.amount → row 0's amount)."""
    for key, message in exc.fields.items():
        parts = key.split(".")
        target = form
        try:
            for part in parts:
                target = target[int(part)] if part.isdigit() else getattr(target, part)
            target.errors = list(getattr(target, "errors", []) or []) + [str(message)]
        except (AttributeError, IndexError, KeyError, TypeError):
            flash(f"{key}: {message}", "error")


@bp.get("/cases/<int:case_id>/agreement")
def show(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "agreement.view")
    agreement = services.current(case)
    return _render_version(case, agreement)


@bp.get("/agreements/<int:agreement_id>")
def version(agreement_id: int) -> Any:
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.view")
    return _render_version(agreement_case(agreement), agreement)


def agreement_case(agreement: Agreement) -> Case:
    return db.session.get(Case, agreement.case_id)


def _render_version(case: Case, agreement: Agreement | None, comment_form: CommentForm | None = None) -> Any:
    return render_template(
        "agreements/show.html", case=case, agreement=agreement,
        versions=services.versions(case),
        comments=services.comments(agreement) if agreement else [],
        signing=services.signing_status(agreement) if agreement else [],
        comment_form=comment_form or CommentForm(),
        can_draft=policy.can(current_user, "case.agreement.draft", case),
        can_sign=agreement is not None and agreement.status == services.DRAFT
        and policy.can(current_user, "agreement.sign", agreement),
        can_comment=agreement is not None and agreement.status == services.DRAFT
        and policy.can(current_user, "agreement.comment", agreement))


@bp.route("/cases/<int:case_id>/agreement/edit", methods=["GET", "POST"])
def edit(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.agreement.draft")
    latest = services.current(case)
    form = AgreementForm()
    status = 200
    if request.method == "GET":
        form.facts.data = latest.facts if latest else case.facts
        form.points_in_dispute.data = latest.points_in_dispute if latest else case.points_in_dispute
        form.copies.data = latest.copies if latest else len(case.parties) + 1
        if latest:
            form.responsibilities.data = latest.responsibilities
            form.other_terms.data = latest.other_terms
            form.performance.data = latest.performance
            while len(form.terms.entries):
                form.terms.pop_entry()
            for term in latest.terms:
                form.terms.append_entry({
                    "obligor": term.obligor, "obligee": term.obligee or "", "description": term.description,
                    "amount": f"{term.amount:.2f}" if term.amount is not None else "",
                    "due_date": term.due_date.isoformat() if term.due_date else "", "method": term.method or ""})
    elif form.validate_on_submit():
        rows = [row.data for row in form.terms if any((row.data.get(k) or "").strip()
                                                      for k in ("obligor", "description", "amount"))]
        data = {"facts": form.facts.data, "points_in_dispute": form.points_in_dispute.data,
                "responsibilities": form.responsibilities.data, "other_terms": form.other_terms.data,
                "performance": form.performance.data, "copies": form.copies.data,
                "terms": [{k: (v or None) for k, v in row.items()} for row in rows]}
        try:
            agreement = services.draft_agreement(case, current_user, data)
        except BadInput as exc:
            _apply_errors(form, exc)
            flash(str(exc.message), "error")
            status = 400
        except DomainError as exc:
            flash(str(exc.message), "error")
            status = exc.status
        else:
            flash(_("Version %(n)d of the agreement is ready for the parties to read and sign.",
                    n=agreement.version), "info")
            return redirect(url_for("agreements.show", case_id=case.id))
    else:
        flash(_("Some fields are invalid."), "error")
        status = 400
    parties = [p.name for p in case.parties]
    return render_template("agreements/edit.html", case=case, form=form, latest=latest,
                           parties=parties), status


@bp.post("/agreements/<int:agreement_id>/comment")
def add_comment(agreement_id: int) -> Any:
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.comment")
    form = CommentForm()
    if form.validate_on_submit():
        try:
            services.comment(agreement, current_user, form.body.data or "")
        except DomainError as exc:
            flash(str(exc.message), "error")
            return _render_version(agreement_case(agreement), agreement, form), exc.status
        flash(_("Your comment was sent to the mediator."), "info")
        return redirect(url_for("agreements.version", agreement_id=agreement.id))
    flash(_("Write a comment first."), "error")
    return _render_version(agreement_case(agreement), agreement, form), 400


@bp.route("/agreements/<int:agreement_id>/sign", methods=["GET", "POST"])
def sign(agreement_id: int) -> Any:
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.sign")
    case = agreement_case(agreement)
    form = SignForm()
    status = 200
    if request.method == "GET":
        form.content_hash.data = agreement.content_hash
    elif form.validate_on_submit():
        try:
            services.sign(agreement, current_user, form.password.data or "",
                          ip=request.remote_addr, user_agent=request.headers.get("User-Agent"),
                          expected_hash=form.content_hash.data or None, code=form.code.data or None,
                          signature_image=form.signature_image.data or None)
        except DomainError as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                if hasattr(form, name):
                    getattr(form, name).errors = [str(message)]
            if "signature_image" in exc.fields:
                form.signature_image.data = ""  # the refused drawing is not drawn back
            flash(str(exc.message), "error")
            status = exc.status
        else:
            if agreement.status == services.EFFECTIVE:
                flash(_("Everyone has signed: the agreement is in effect."), "info")
            else:
                flash(_("You have signed the agreement."), "info")
            return redirect(url_for("agreements.version", agreement_id=agreement.id))
    else:
        flash(_("Enter your password to sign."), "error")
        status = 400
    return _render_sign(case, agreement, form, status)


def _render_sign(case: Case, agreement: Agreement, form: SignForm, status: int = 200) -> Any:
    return render_template("agreements/sign.html", case=case, agreement=agreement, form=form,
                           signing=services.signing_status(agreement), codes_on=codes.required(),
                           code_form=SignCodeForm()), status


@bp.post("/agreements/<int:agreement_id>/sign-code")
def sign_code(agreement_id: int) -> Any:
    """Send the signer a one-time code (where configured), then back to the signing page."""
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.sign")
    if not SignCodeForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("agreements.sign", agreement_id=agreement.id))
    try:
        issued = codes.issue(agreement, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        form = SignForm()
        form.content_hash.data = agreement.content_hash
        return _render_sign(agreement_case(agreement), agreement, form, exc.status)
    flash(_("We sent a 6-digit code to %(where)s. It is valid for %(n)d minutes.",
            where=", ".join(issued.sent_to), n=int(codes.TTL.total_seconds() // 60)), "info")
    return redirect(url_for("agreements.sign", agreement_id=agreement.id))
