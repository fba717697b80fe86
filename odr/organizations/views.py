"""Public pages of the mediation organizations: the directory and each organization's
page with what [E §5] says the platform must show (basics, scope, fees, inviting court),
and booking a whole organization for a draft case.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import String, cast, func, select

from odr.accounts import policy
from odr.accounts.models import User
from odr.cases import assignment, lifecycle
from odr.cases.models import Case, Category
from odr.core.errors import DomainError
from odr.extensions import db
from odr.mediators.forms import CATEGORY_LABELS, KIND_LABELS, LEVEL_LABELS
from odr.mediators.models import MediatorProfile
from odr.mediators.ratings import rating_summary
from odr.organizations.models import Organization, OrgKind, OrgLevel, Region

bp = Blueprint("organizations", __name__)
PER_PAGE = 25
#: mediators listed on an organization's page (the directory, filtered, has the rest)
MEDIATORS_SHOWN = 50


def _region_prefix(column: Any, code: str) -> Any:
    """``column LIKE 'code%'`` as a range, which a plain index serves on both databases."""
    return (column >= code) & (column < code[:-1] + chr(ord(code[-1]) + 1))


@bp.get("/organizations")
def directory() -> Any:
    policy.public()
    level = request.args.get("level") if request.args.get("level") in OrgLevel.ALL else None
    kind = request.args.get("kind") if request.args.get("kind") in OrgKind.ALL else None
    category = request.args.get("category") if request.args.get("category") in Category.ALL else None
    region = (request.args.get("region") or "").strip()
    region = region if region.isdigit() and len(region) <= 12 else ""
    page_raw = request.args.get("page") or "1"
    page_no = min(int(page_raw), 10_000) if page_raw.isdigit() and int(page_raw) > 0 else 1
    q = select(Organization).where(Organization.active.is_(True))
    if level:
        q = q.where(Organization.level == level)
    if kind:
        q = q.where(Organization.kind == kind)
    if region:
        q = q.where(_region_prefix(Organization.region_code, region))
    if category:
        q = q.where(cast(Organization.categories, String).like(f'%"{category}"%'))
    total = db.session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    orgs = db.session.execute(q.order_by(Organization.region_code, Organization.name, Organization.id)
                              .limit(PER_PAGE).offset((page_no - 1) * PER_PAGE)).scalars().all()
    regions = _region_names({o.region_code for o in orgs} | ({region} if region else set()))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("organizations/directory.html", orgs=orgs, total=total, page=page_no,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), args=args, regions=regions,
                           filters={"level": level, "kind": kind, "category": category, "region": region},
                           kind_labels=KIND_LABELS, level_labels=LEVEL_LABELS, category_labels=CATEGORY_LABELS)


def _region_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def _draft_cases(user: Any) -> list[Case]:
    """The caller's drafts that have no mediator booked: those can be sent to any organization."""
    if not current_user.is_authenticated or user.role != "party":
        return []
    q = policy.visible_cases(user).where(Case.status == lifecycle.DRAFT, Case.mediator_id.is_(None))
    return [c for c in db.session.execute(q.order_by(Case.id.desc()).limit(50)).scalars()
            if policy.can(user, "case.edit", c)]


@bp.get("/organizations/<int:organization_id>")
def detail(organization_id: int) -> Any:
    policy.public()
    org = db.session.get(Organization, organization_id) if organization_id < 2**63 else None
    if org is None or not org.active:
        abort(404)
    mediators = db.session.execute(
        select(MediatorProfile, User).join(User, User.id == MediatorProfile.user_id)
        .where(MediatorProfile.organization_id == org.id, MediatorProfile.status == "active", User.active.is_(True))
        .order_by(User.display_name, User.id).limit(MEDIATORS_SHOWN + 1)).all()
    children = db.session.execute(select(Organization).where(Organization.parent_id == org.id,
                                                             Organization.active.is_(True))
                                  .order_by(Organization.name).limit(100)).scalars().all()
    return render_template("organizations/detail.html", org=org, mediators=mediators[:MEDIATORS_SHOWN],
                           more_mediators=len(mediators) > MEDIATORS_SHOWN, children=children,
                           region_name=_region_names({org.region_code}).get(org.region_code),
                           is_free=org.kind == OrgKind.PEOPLES_COMMITTEE, cases=_draft_cases(current_user),
                           kind_labels=KIND_LABELS, level_labels=LEVEL_LABELS, category_labels=CATEGORY_LABELS,
                           rating=rating_summary,
                           can_manage=current_user.is_authenticated and policy.can(current_user,
                                                                                   "organization.manage", org))


@bp.post("/organizations/<int:organization_id>/book")
def book(organization_id: int) -> Any:
    """A party sends their draft to this organization (any of its mediators may be assigned)."""
    policy.mark_checked()
    org = db.session.get(Organization, organization_id) if organization_id < 2**63 else None
    if org is None or not org.active:
        abort(404)
    back = url_for("organizations.detail", organization_id=org.id)
    raw = (request.form.get("case_id") or "").strip()
    if not raw.isdigit():
        policy.authorize("case.create")
        flash(_("Choose one of your cases."), "error")
        return redirect(back)
    case = policy.get_or_404(Case, raw, "case.edit")
    from flask_wtf.csrf import validate_csrf
    from wtforms.validators import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
        assignment.book(case, current_user, organization_id=org.id)
    except ValidationError:
        flash(_("The form expired; please try again."), "error")
        return redirect(back)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back)
    flash(_("Your application will go to %(org)s.", org=org.name), "success")
    return redirect(f"/cases/{case.id}")
