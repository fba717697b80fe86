"""The intake wizard: category → facts & claims → parties → organization → review.

The wizard's state is the draft itself (a real Case in status draft, created by
``create_case`` and saved by ``update_draft`` at every step), so an applicant can leave at
any step and come back from "My cases". A refused step re-renders with exactly what was
typed and the service's per-field messages. Court staff get the same sections on one
page, because a diversion is submitted the moment it is created.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from odr.accounts import policy
from odr.cases import forms, queries, services
from odr.cases.intake_data import check_complete
from odr.cases.lifecycle import DRAFT
from odr.cases.models import Case
from odr.core.errors import BadInput, DomainError
from odr.extensions import db

STEPS = ("category", "facts", "parties", "organization", "review")
STEP_LABELS = {"category": _l("Kind of dispute"), "facts": _l("Facts and claims"), "parties": _l("Parties"),
               "organization": _l("Organization"), "review": _l("Review and submit")}


def _row_command() -> tuple[str | None, str | None, int | None]:
    """The add/remove row button pressed, if any: ("add", "claims", None) or ("remove", "respondents", 1)."""
    if request.form.get("add") in ("claims", "applicants", "respondents"):
        return "add", request.form["add"], None
    target = request.form.get("remove", "")
    section, _sep, index = target.rpartition("-")
    if section in ("claims", "applicants", "respondents") and index.isdigit():
        return "remove", section, int(index)
    return None, None, None


def _typed(step: str, drop: tuple[str | None, int | None] = (None, None)) -> dict[str, Any]:
    """What the user typed on ``step``, as the template shows it again."""
    form = request.form
    section, index = drop
    if step == "category":
        return {"category": form.get("category", "")}
    if step == "facts":
        return {"facts": form.get("facts", ""),
                "claims": forms.claim_rows(form, index if section == "claims" else None)}
    if step == "parties":
        return {side: forms.party_rows(form, side, index if section == side else None) for side in forms.SIDES}
    if step == "organization":
        return {"organization_id": form.get("organization_id", ""), "mediator_id": form.get("mediator_id", ""),
                "region_code": form.get("region_code", "")}
    return {}


def _payload(step: str, typed: dict[str, Any]) -> dict[str, Any]:
    """The typed values in the services' data shape (the same as the JSON API's)."""
    if step == "category":
        return {"category": typed["category"] or None}
    if step == "facts":
        return {"facts": typed["facts"], "claims": [c for c in typed["claims"]
                                                    if c["description"].strip() or c["amount"].strip()]}
    if step == "parties":
        return {side: forms.party_payload(typed[side]) for side in forms.SIDES}
    if step == "organization":
        org = typed["organization_id"]
        return {"organization_id": None if org in ("", "auto") else org,
                "mediator_id": typed["mediator_id"] or None, "region_code": typed["region_code"] or None}
    return {}


def _saved(case: Case, step: str) -> dict[str, Any]:
    """The draft's values for ``step`` (what a GET shows)."""
    if step == "category":
        return {"category": case.category}
    if step == "facts":
        return {"facts": case.facts, "claims": forms.claims_from_case(case)}
    if step == "parties":
        return {side: forms.parties_from_case(case, side) for side in forms.SIDES}
    if step == "organization":
        return {"organization_id": str(case.organization_id or ("auto" if case.region_code else "")),
                "mediator_id": str(case.preferred_mediator_id or ""), "region_code": case.region_code or ""}
    return {}


def _with_blank_rows(values: dict[str, Any], extra: str | None = None) -> dict[str, Any]:
    """At least one row in each repeating section, and one more where "add" was pressed."""
    for key, blank in (("claims", {"description": "", "amount": ""}), ("applicants", None), ("respondents", None)):
        if key in values:
            rows = values[key]
            if not rows or key == extra:
                rows.append(blank.copy() if blank else forms.blank_party())
    return values


def _missing(case: Case) -> dict[str, str]:
    try:
        check_complete(case)
    except BadInput as exc:
        return forms.field_errors(exc.fields)
    return {}


def _org_query() -> str:
    """The organization search (``org_q``), from the step's GET form or the divert form's
    "Search" button; bounded so a pasted essay does not become a query."""
    return (request.values.get("org_q") or "").strip()[:60]


def _org_extra(choices: queries.OrgChoices, values: dict[str, Any]) -> dict[str, Any]:
    """Template variables of the organization section: the bounded lists and what to say."""
    mediators = queries.mediator_choices(choices, values.get("mediator_id"))
    return {"org_choices": choices, "organizations": choices.organizations, "mediator_choices": mediators,
            "mediators": mediators.rows}


def render_step(case: Case | None, step: str, values: dict[str, Any], errors: dict[str, str] | None = None,
                status: int = 200) -> Any:
    extra: dict[str, Any] = {}
    if step == "organization":
        extra = _org_extra(queries.wizard_org_choices(values.get("region_code"), _org_query(),
                                                      values.get("organization_id")), values)
    if step == "review" and case is not None:
        extra = {"missing": _missing(case), "parties": queries.party_views(case, current_user)}
    return render_template("cases/wizard.html", case=case, step=step, steps=STEPS, values=values,
                           errors=errors or {}, categories=forms.CATEGORY_LABELS, step_labels=STEP_LABELS,
                           **extra), status


def new_case() -> Any:
    """Step one of a new application (a party), or the whole diversion form (court staff)."""
    policy.authorize("case.create")
    if queries.is_court_staff(current_user):
        return divert()
    if request.method == "GET":
        return render_step(None, "category", {"category": request.args.get("category", "")})
    typed = _typed("category")
    try:
        case = services.create_case(current_user, {"category": typed["category"] or None, "facts": ""})
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return render_step(None, "category", typed, forms.field_errors(exc.fields), exc.status)
    flash(_("Your draft was saved. Next: the facts and what you ask for."), "success")
    return redirect(url_for("cases.wizard", case_id=case.id, step="facts"))


def wizard(case_id: int, step: str) -> Any:
    case = policy.get_or_404(Case, case_id, "case.edit")
    if step not in STEPS:
        return redirect(url_for("cases.wizard", case_id=case.id, step="category"))
    if case.status != DRAFT:
        flash(_("This application was submitted already and can no longer be edited."), "info")
        return redirect(url_for("cases.detail", case_id=case.id))
    if request.method == "GET" or step == "review":
        return render_step(case, step, _with_blank_rows(_saved(case, step)))
    command, section, index = _row_command()
    typed = _typed(step, (section, index) if command == "remove" else (None, None))
    try:
        services.update_draft(case, current_user, _payload(step, typed))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return render_step(db.session.get(Case, case_id), step, _with_blank_rows(typed),
                           forms.field_errors(exc.fields), exc.status)
    if command is not None:  # stay on the step, with a row more or less (already saved)
        return render_step(case, step, _with_blank_rows(typed, section if command == "add" else None))
    go = request.form.get("go", "next")
    position = STEPS.index(step)
    if go == "save":
        flash(_("Draft saved. You can come back to it from “My cases”."), "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    target = STEPS[max(position - 1, 0)] if go == "back" else STEPS[min(position + 1, len(STEPS) - 1)]
    return redirect(url_for("cases.wizard", case_id=case.id, step=target))


def divert() -> Any:
    """Court staff divert a filed lawsuit: every section on one page, submitted at once."""
    values: dict[str, Any] = {"category": "", "facts": "", "claims": [], "applicants": [], "respondents": [],
                              "organization_id": "", "region_code": "", "mediator_id": "",
                              "court_case_number": ""}
    if request.method == "GET":
        return _render_divert(_with_blank_rows(values))
    command, section, index = _row_command()
    drop = (section, index) if command == "remove" else (None, None)
    for step in ("category", "facts", "parties", "organization"):
        values.update(_typed(step, drop))
    values["court_case_number"] = request.form.get("court_case_number", "")
    if command is not None or request.form.get("org_filter"):  # a row button or the organization search
        return _render_divert(_with_blank_rows(values, section if command == "add" else None))
    data: dict[str, Any] = {"source": "court_diversion", "court_case_number": values["court_case_number"] or None}
    for step in ("category", "facts", "parties", "organization"):
        data.update(_payload(step, values))
    data["category"] = data["category"] or ""
    try:
        case = services.create_case(current_user, data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _render_divert(_with_blank_rows(values), forms.field_errors(exc.fields), exc.status)
    flash(_("The lawsuit was diverted to mediation as case %(number)s; the parties are invited by link.",
            number=case.number or case.id), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


def _render_divert(values: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200) -> Any:
    choices = queries.diversion_choices(getattr(current_user, "court_id", None), _org_query(),
                                        values.get("organization_id"))
    return render_template("cases/divert.html", values=values, errors=errors or {},
                           categories=forms.CATEGORY_LABELS, **_org_extra(choices, values)), status
