"""Public mediator pages: the directory with its filters, each mediator's page, booking
a mediator for one's case; the organization admin's pool pages live in ``pool_pages``
on the same blueprint, and the case page's assignment panel data in ``panel``.

Thin: parse the query, call a reading function or one service, render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from odr.accounts import policy
from odr.accounts.models import Role
from odr.cases import assignment, lifecycle
from odr.cases.models import Case, Category
from odr.core.errors import DomainError
from odr.extensions import db
from odr.mediators.availability import next_free
from odr.mediators.directory import directory_query
from odr.mediators.forms import CATEGORY_LABELS, LEVEL_LABELS, WITHIN_CHOICES
from odr.mediators.models import MediatorProfile
from odr.mediators.ratings import MIN_RATINGS, rating_summary
from odr.organizations.models import Organization, Region

bp = Blueprint("mediators", __name__)
PER_PAGE = 20
#: the page counts matches only this far ("more than 1,000"): an exact count of a
#: province-wide filter would read every match, the page itself reads only 20
COUNT_CAP = 1000


@bp.record_once
def _wire(state: Any) -> None:
    from odr.mediators.panel import assignment_panel
    from odr.mediators.photos import photo_url

    state.app.jinja_env.globals["assignment_panel"] = assignment_panel
    state.app.jinja_env.globals["mediator_photo_url"] = photo_url


def _int_arg(name: str, lo: int = 1, hi: int = 10**9) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw.isdigit():
        return None
    value = int(raw)
    return value if lo <= value <= hi else None


def directory_filters() -> dict[str, Any]:
    """The directory's filters from the query string; anything malformed is ignored."""
    category = request.args.get("category") or None
    region = (request.args.get("region") or "").strip()
    within = _int_arg("within", 0, 365)
    return {"organization_id": _int_arg("organization"),
            "category": category if category in Category.ALL else None,
            "region_code": region if region.isdigit() and len(region) <= 12 else None,
            "language": (request.args.get("language") or "").strip()[:30] or None,
            "available_within": within}


@bp.get("/mediators")
def directory() -> Any:
    policy.public()
    filters = directory_filters()
    page_no = _int_arg("page", 1, 10_000) or 1
    q = directory_query(**filters)
    capped = q.order_by(None).with_only_columns(MediatorProfile.user_id).limit(COUNT_CAP + 1).subquery()
    total = db.session.execute(select(func.count()).select_from(capped)).scalar_one()
    profiles = db.session.execute(q.limit(PER_PAGE).offset((page_no - 1) * PER_PAGE)).scalars().all()
    org_ids = {p.organization_id for p in profiles} | ({filters["organization_id"]} - {None})
    orgs = {o.id: o for o in db.session.execute(select(Organization).where(Organization.id.in_(org_ids))).scalars()}
    free = next_free([p.user_id for p in profiles])
    region = db.session.get(Region, filters["region_code"]) if filters["region_code"] else None
    pages = max((min(total, COUNT_CAP) + PER_PAGE - 1) // PER_PAGE, 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("mediators/directory.html", profiles=profiles, total=total, page=page_no, pages=pages,
                           filters=filters, orgs=orgs, free=free, region=region, args=args, cap=COUNT_CAP,
                           categories=[(c, CATEGORY_LABELS[c]) for c in Category.ALL],
                           within_choices=WITHIN_CHOICES, rating=rating_summary)


def bookable_cases(user: Any, organization_id: int | None = None) -> list[Case]:
    """The caller's own cases that can still be booked: no mediator yet, still open, and
    (once submitted) at the organization in question — what ``assignment.book`` accepts."""
    if not (current_user.is_authenticated and user.role == Role.PARTY):
        return []
    q = policy.visible_cases(user).where(Case.mediator_id.is_(None),
                                         Case.status.in_((lifecycle.DRAFT, *assignment.ASSIGNABLE)))
    cases = db.session.execute(q.order_by(Case.id.desc()).limit(50)).scalars().all()
    return [c for c in cases if policy.can(user, "case.edit", c)
            and (c.status == lifecycle.DRAFT or (organization_id is not None and c.organization_id == organization_id))]


@bp.get("/mediators/<int:mediator_id>")
def profile(mediator_id: int) -> Any:
    prof = policy.get_or_404(MediatorProfile, mediator_id, "mediator.view")
    org = db.session.get(Organization, prof.organization_id)
    region = db.session.get(Region, prof.region_code) if prof.region_code else None
    free_at = next_free([prof.user_id]).get(prof.user_id)
    full = prof.active_cases >= prof.max_cases
    cases = bookable_cases(current_user, prof.organization_id) if prof.status == "active" and not full else []
    return render_template("mediators/profile.html", profile=prof, user=prof.user, org=org, region=region,
                           free_at=free_at, full=full, cases=cases, rating=rating_summary(prof),
                           min_ratings=MIN_RATINGS, category_labels=CATEGORY_LABELS, level_labels=LEVEL_LABELS,
                           can_manage=policy.can(current_user, "mediator.manage", prof))


@bp.get("/mediators/<int:mediator_id>/photo")
def photo(mediator_id: int) -> Any:
    """The stored photo (always one this app re-encoded), typed from its own bytes and
    marked nosniff, so no browser ever renders it as anything but an image."""
    from odr.mediators.photos import stored_photo

    prof = policy.get_or_404(MediatorProfile, mediator_id, "mediator.view")
    found = stored_photo(prof.photo_key) if prof.photo_key else None
    if found is None:
        abort(404)
    data, mime = found
    resp = Response(data, mimetype=mime)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = f'inline; filename="mediator-{prof.user_id}.{mime.split("/")[1]}"'
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # the page links it with ?v=<version>: a replaced photo has a new address, so it may be cached
    resp.headers["Cache-Control"] = "public, max-age=86400" if request.args.get("v") == prof.photo_key[:12] \
        else "public, max-age=300"
    resp.set_etag(prof.photo_key)
    return resp.make_conditional(request)


def _csrf_ok() -> bool:
    from flask_wtf.csrf import validate_csrf
    from wtforms.validators import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        flash(_("The form expired; please try again."), "error")
        return False
    return True


@bp.post("/mediators/<int:mediator_id>/book")
def book(mediator_id: int) -> Any:
    """A party books this mediator for one of their cases (the mediator or admin confirms)."""
    prof = policy.get_or_404(MediatorProfile, mediator_id, "mediator.view")
    back = url_for("mediators.profile", mediator_id=prof.user_id)
    raw = (request.form.get("case_id") or "").strip()
    if not raw.isdigit():
        policy.authorize("case.create")  # a logged-in party; anyone else is refused here
        flash(_("Choose one of your cases."), "error")
        return redirect(back)
    case = policy.get_or_404(Case, raw, "case.edit")
    if not _csrf_ok():
        return redirect(back)
    try:
        assignment.book(case, current_user, mediator_id=prof.user_id)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back)
    flash(_("You booked %(name)s. The mediator or the organization will confirm.", name=prof.user.display_name),
          "success")
    return redirect(f"/cases/{case.id}")


from odr.mediators import pool_pages  # noqa: E402,F401  (adds the admin's pool pages to ``bp``)
