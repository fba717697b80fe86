"""The organization admin's pool pages (on the ``mediators`` blueprint): the list with
status and load, editing a profile and its photo, the availability editor, adding a mediator.

A refused form is rendered again with status 400, what was typed, and each service
message next to its field; nothing is saved (the services validate before writing).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from odr.accounts import policy
from odr.accounts.models import Role, User
from odr.core.errors import BadInput, DomainError
from odr.extensions import csrf, db
from odr.mediators import photos, profiles
from odr.mediators.availability import availability_json, parse_exceptions, parse_weekly, set_availability
from odr.mediators.forms import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    WEEKDAYS,
    EditProfileForm,
    NewMediatorForm,
    leave_from_json,
    leave_rows,
    leave_to_exceptions,
    put_errors,
    weekly_rows,
)
from odr.mediators.models import MediatorProfile
from odr.mediators.views import _csrf_ok, bp
from odr.organizations.models import Organization

BLANK_ROWS = 3


def _organization() -> Organization:
    """The organization whose pool is shown: the admin's own; a platform admin picks one."""
    org_id = current_user.organization_id if getattr(current_user, "role", None) == Role.ORG_ADMIN else None
    if org_id is None and (request.values.get("organization") or "").isdigit():
        org_id = int(request.values["organization"])
    if org_id is None:
        policy.authorize("admin.access")
        return policy.get_or_404(Organization, -1, "organization.manage")
    return policy.get_or_404(Organization, org_id, "organization.manage")


@bp.get("/pool")
def pool() -> Any:
    org = _organization()
    rows = db.session.execute(
        select(MediatorProfile, User).join(User, User.id == MediatorProfile.user_id)
        .where(MediatorProfile.organization_id == org.id).order_by(User.display_name, User.id)).all()
    return render_template("mediators/pool.html", org=org, rows=rows, status_labels=STATUS_LABELS,
                           category_labels=CATEGORY_LABELS)


@bp.post("/pool/<int:mediator_id>/status")
def set_status(mediator_id: int) -> Any:
    prof = policy.get_or_404(MediatorProfile, mediator_id, "mediator.manage")
    back = url_for("mediators.pool", organization=prof.organization_id)
    if not _csrf_ok():
        return redirect(back)
    status = request.form.get("status") or ""
    try:
        profiles.set_status(prof, status, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back)
    flash(_("%(name)s is now %(status)s.", name=prof.user.display_name, status=STATUS_LABELS[status]), "success")
    return redirect(back)


@bp.route("/pool/<int:mediator_id>/edit", methods=["GET", "POST"])
@csrf.exempt  # checked in _read_capped_body: the app-wide check would read the body unbounded
def edit(mediator_id: int) -> Any:
    """The profile and its photo. The body is capped before it is read (the photo's limit
    with room to spare), so a photo a little too big is refused with the form kept."""
    too_large = request.method == "POST" and not _read_capped_body()
    prof = policy.get_or_404(MediatorProfile, mediator_id, "mediator.manage")
    status = 200
    if request.method == "GET":
        form = _saved_form(prof)
    elif too_large:  # too large to read at all: nothing was read, so show what is saved
        form = _saved_form(prof)
        form.photo.errors = [str(photos.too_big_message())]
        flash(_("Nothing was saved: the photo is too large."), "error")
        return _edit_page(form, prof), 413
    else:
        form = EditProfileForm()
        if form.validate_on_submit():
            status = _save_edit(form, prof)
            if status == 200:
                return redirect(url_for("mediators.pool", organization=prof.organization_id)
                                if current_user.role != Role.MEDIATOR
                                else url_for("mediators.profile", mediator_id=prof.user_id))
        else:
            status = 400
    return _edit_page(form, prof), status


def _read_capped_body() -> bool:
    """Parse the form under the photo's cap and check its CSRF token as the app-wide check
    does (a bad token is the same 400, before anything else); False when the body is
    over the cap and was not read."""
    request.max_content_length = photos.MAX_PHOTO_REQUEST_BYTES
    try:
        token = request.form.get("csrf_token")
    except RequestEntityTooLarge:
        return False
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise CSRFError(exc.args[0] if exc.args else None) from None
    return True


def _saved_form(prof: MediatorProfile) -> EditProfileForm:
    form = EditProfileForm(formdata=None, obj=prof)
    form.display_name.data = prof.user.display_name
    form.languages.data = ", ".join(prof.languages or [])
    form.specialties.data = list(prof.specialties or [])
    return form


def _edit_page(form: EditProfileForm, prof: MediatorProfile) -> str:
    return render_template("mediators/edit.html", form=form, profile=prof, user=prof.user,
                           can_photo=policy.can(current_user, "mediator.photo", prof))


def _save_edit(form: EditProfileForm, prof: MediatorProfile) -> int:
    """Check the photo and every field first, then write: a refusal changes nothing."""
    status = 200
    errors: dict[str, Any] = {}
    photo = None
    upload = form.chosen_photo()
    wants_photo = upload is not None or form.remove_photo.data
    if wants_photo and not policy.can(current_user, "mediator.photo", prof):
        errors["photo"] = _("You may not change this photo.")
        status = 403
    elif upload is not None:
        try:
            photo = photos.prepare_photo(photos.read_upload(upload.stream))
        except DomainError as exc:
            errors["photo"], status = exc.message, exc.status
    data = form.data_for_service()
    errors.update(profiles.clean_profile(data, active_cases=prof.active_cases)[1])
    if errors:
        put_errors(form, errors)
        flash(_("Please correct the marked fields."), "error")
        return status if status != 200 else 400
    try:
        if photo is not None:
            photos.store_photo(prof, photo, current_user)
        profiles.update_profile(prof, data, current_user)
        if photo is None and form.remove_photo.data:
            photos.remove_photo(prof, current_user)
    except DomainError as exc:
        db.session.rollback()
        put_errors(form, exc.fields)
        flash(str(exc.message), "error")
        return exc.status
    flash(_("The profile was saved."), "success")
    return 200


def _check_availability(weekly: list[dict[str, Any]], leave: list[dict[str, Any]]) -> dict[str, Any]:
    """Every message for both lists at once (the service stops at the first list)."""
    exceptions, errors = leave_to_exceptions(leave)
    for parse, items in ((parse_weekly, weekly), (parse_exceptions, exceptions)):
        try:
            parse(items)
        except BadInput as exc:
            errors = {**exc.fields, **errors}
    return errors


@bp.route("/pool/<int:mediator_id>/availability", methods=["GET", "POST"])
def availability(mediator_id: int) -> Any:
    prof = policy.get_or_404(MediatorProfile, mediator_id, "mediator.manage")
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        weekly, leave = weekly_rows(request.form), leave_rows(request.form)
        if _csrf_ok():
            errors = _check_availability(weekly, leave)
            if not errors:
                try:
                    set_availability(prof, weekly, leave_to_exceptions(leave)[0], current_user)
                except BadInput as exc:
                    db.session.rollback()
                    errors = dict(exc.fields)
                else:
                    flash(_("The availability was saved."), "success")
                    return redirect(url_for("mediators.availability", mediator_id=prof.user_id))
            flash(_("Please correct the availability."), "error")
        status = 400
    else:
        current = availability_json(prof.user_id)
        weekly, leave = current["weekly"], leave_from_json(current["exceptions"])
    return render_template("mediators/availability.html", profile=prof, user=prof.user, weekdays=WEEKDAYS,
                           weekly=[*weekly, *({"weekday": "", "start": "", "end": ""} for _ in range(BLANK_ROWS))],
                           leave=[*leave, *({"from": "", "to": "", "reason": ""} for _ in range(BLANK_ROWS))],
                           errors={k: str(v) for k, v in errors.items()}), status


@bp.route("/pool/new", methods=["GET", "POST"])
def new_mediator() -> Any:
    org = _organization()
    form = NewMediatorForm()
    if request.method == "GET":
        form.region_code.data = org.region_code
        form.max_cases.data = 10
        form.languages.data = "zh"
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = profiles.add_mediator(org, form.data_for_service(), current_user)
            except BadInput as exc:
                db.session.rollback()
                rest = put_errors(form, exc.fields)
                flash(str(exc.message) + "".join(f" {v}" for v in rest.values()), "error")
                status = 400
            else:
                flash(_("%(name)s was added to the pool.", name=user.display_name), "success")
                return redirect(url_for("mediators.availability", mediator_id=user.id))
        else:
            status = 400
    return render_template("mediators/new.html", form=form, org=org), status
