"""Pages: the court queue, one application's review screen, and the action forms.

Thin: parse the form, call the service, redirect; a refused action re-renders the same
page with the form as typed and the service's message (in the reader's language).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from odr.accounts import policy
from odr.accounts.models import Role, User
from odr.cases.models import Case
from odr.confirmation import forms, rules, services
from odr.confirmation.models import ConfirmationApplication
from odr.confirmation.panel import review_data
from odr.confirmation.queries import TABS, tab_query
from odr.core.errors import DomainError, Forbidden
from odr.extensions import db
from odr.scheduling.forms import HearingForm

bp = Blueprint("confirmation", __name__)

TAB_LABELS = {"new": "New", "accepted": "Accepted", "awaiting": "Awaiting materials", "due_soon": "Due soon",
              "overdue": "Overdue", "decided": "Decided"}


@bp.get("/court/confirmations")
def queue() -> Any:
    policy.authorize("court.queue")
    if current_user.court_id is None:
        raise Forbidden()
    tab = request.args.get("tab", "new")
    if tab not in TABS:
        tab = "new"
    counts = {t: db.session.execute(select(func.count()).select_from(
        tab_query(current_user.court_id, t).order_by(None).subquery())).scalar_one() for t in TABS}
    rows = db.session.execute(tab_query(current_user.court_id, tab).limit(200)).scalars().all()
    return render_template("confirmation/queue.html", tab=tab, tabs=TABS, counts=counts, rows=rows,
                           labels={t: _(TAB_LABELS[t]) for t in TABS})


def _judges(court_id: int) -> list[tuple[int, str]]:
    return [(u.id, u.display_name) for u in db.session.execute(
        select(User).where(User.court_id == court_id, User.role == Role.JUDGE, User.active.is_(True))
        .order_by(User.id)).scalars()]


def _forms(application: ConfirmationApplication, **given: Any) -> dict[str, Any]:
    made = {"accept_form": forms.AcceptForm(formdata=None), "not_accept_form": forms.NotAcceptForm(formdata=None),
            "materials_form": forms.MaterialsForm(formdata=None), "assign_form": forms.AssignForm(formdata=None),
            "rule_form": forms.RuleForm(formdata=None), "withdraw_form": forms.WithdrawForm(formdata=None),
            "supply_form": forms.SupplyForm(formdata=None), "hearing_form": HearingForm(formdata=None)}
    made.update(given)
    made["assign_form"].judge_id.choices = _judges(application.court_id)
    return made


def _page(application: ConfirmationApplication, status: int = 200, **given: Any) -> Any:
    return render_template("confirmation/detail.html", application=application, data=review_data(application),
                           **_forms(application, **given)), status


@bp.get("/confirmations/<int:app_id>")
def detail(app_id: int) -> Any:
    application = policy.get_or_404(ConfirmationApplication, app_id, "confirmation.view")
    return _page(application)


def _act(app_id: int, action: str, form_name: str, form: Any, call: Callable[[ConfirmationApplication], Any],
         done: str) -> Any:
    """Run one action form: validate shape, call the service, or show the page again as typed."""
    application = policy.get_or_404(ConfirmationApplication, app_id, action)
    if form_name == "assign_form":
        form.judge_id.choices = _judges(application.court_id)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _page(application, 400, **{form_name: form})
    try:
        call(application)
    except DomainError as exc:
        db.session.rollback()
        application = db.session.get(ConfirmationApplication, app_id)
        for name, message in exc.fields.items():
            if hasattr(form, name):
                getattr(form, name).errors = [str(message)]
        flash(str(exc.message), "error")
        return _page(application, exc.status, **{form_name: form})
    flash(done, "success")
    return redirect(url_for("confirmation.detail", app_id=app_id))


@bp.post("/confirmations/<int:app_id>/accept")
def accept(app_id: int) -> Any:
    return _act(app_id, "confirmation.accept", "accept_form", forms.AcceptForm(),
                lambda a: services.accept(a, current_user), _("The application was accepted (受理)."))


@bp.post("/confirmations/<int:app_id>/not-accept")
def not_accept(app_id: int) -> Any:
    form = forms.NotAcceptForm()
    return _act(app_id, "confirmation.not_accept", "not_accept_form", form,
                lambda a: services.not_accept(a, current_user, form.reason.data or ""),
                _("The application was not accepted; the parties were told why."))


@bp.post("/confirmations/<int:app_id>/request-materials")
def request_materials(app_id: int) -> Any:
    form = forms.MaterialsForm()
    return _act(app_id, "confirmation.request_materials", "materials_form", form,
                lambda a: services.request_materials(a, current_user, form.description.data or "", form.due_date.data),
                _("The parties were asked for more materials."))


@bp.post("/confirmations/<int:app_id>/assign")
def assign(app_id: int) -> Any:
    form = forms.AssignForm()
    return _act(app_id, "confirmation.assign", "assign_form", form,
                lambda a: services.assign_judge(a, current_user, form.judge_id.data),
                _("The judge was assigned."))


@bp.post("/confirmations/<int:app_id>/rule")
def rule(app_id: int) -> Any:
    form = forms.RuleForm()
    return _act(app_id, "confirmation.rule", "rule_form", form,
                lambda a: services.rule(a, current_user, form.decision.data, form.grounds.data or [],
                                        form.reason.data),
                _("The ruling was issued and served on the parties."))


@bp.post("/confirmations/<int:app_id>/withdraw")
def withdraw(app_id: int) -> Any:
    form = forms.WithdrawForm()
    return _act(app_id, "confirmation.withdraw", "withdraw_form", form,
                lambda a: services.withdraw(a, current_user, form.reason.data),
                _("The application was withdrawn."))


@bp.post("/confirmations/<int:app_id>/materials")
def supply(app_id: int) -> Any:
    form = forms.SupplyForm()

    def call(application: ConfirmationApplication) -> Any:
        policy.authorize("case.confirmation.consent", application.case)
        return services.supply_materials(application, current_user, form.note.data or "")
    return _act(app_id, "confirmation.view", "supply_form", form, call, _("The court was told."))


def _consent_page(case: Case, form: forms.ConsentForm, status: int = 200) -> Any:
    lawful = rules.lawful_courts(case)
    form.court_id.choices = [(c.id, c.name) for c in lawful]
    return render_template("confirmation/consent.html", case=case, form=form, lawful=lawful,
                           application=services.active_application(case),
                           window_ends=rules.window_ends(case.effective_at)), status


@bp.route("/cases/<int:case_id>/confirmation", methods=["GET", "POST"])
def consent(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.confirmation.consent")
    form = forms.ConsentForm()
    if request.method == "GET":
        return _consent_page(case, form)
    form.court_id.choices = [(c.id, c.name) for c in rules.lawful_courts(case)]
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _consent_page(case, form, 400)
    try:
        application = services.consent(case, current_user, court_id=form.court_id.data or None)
    except DomainError as exc:
        db.session.rollback()
        case = db.session.get(Case, case_id)
        if "court_id" in exc.fields:
            form.court_id.errors = [str(exc.fields["court_id"])]
        flash(str(exc.message), "error")
        return _consent_page(case, form, exc.status)
    if application.status == rules.PENDING:
        flash(_("Your consent is recorded. The application goes to the court when every party has consented."),
              "success")
    else:
        flash(_("Every party has consented: the application was sent to the court."), "success")
    return redirect(url_for("confirmation.detail", app_id=application.id))
