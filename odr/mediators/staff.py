"""Creating staff accounts: mediators (with their profile), organization admins, judges, clerks."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.accounts.models import Role, User
from odr.accounts.services import create_user
from odr.audit.services import record
from odr.cases.models import Category
from odr.core.errors import BadInput, Forbidden
from odr.extensions import db
from odr.mediators.models import MediatorProfile
from odr.organizations.models import Court, Organization


def create_staff(data: dict[str, Any], actor: Any) -> User:
    """Create a staff account; an organization admin may only add to their own organization."""
    role = data.get("role")
    errors: dict[str, Any] = {}
    org = court = None
    if role in (Role.MEDIATOR, Role.ORG_ADMIN):
        org_id = data.get("organization_id")
        if org_id is None and actor.role == Role.ORG_ADMIN:
            org_id = actor.organization_id
        org = db.session.get(Organization, org_id) if org_id is not None else None
        if org is None:
            errors["organization_id"] = _l("Choose an existing organization.")
    elif role in Role.COURT:
        court = db.session.get(Court, data["court_id"]) if data.get("court_id") is not None else None
        if court is None:
            errors["court_id"] = _l("Choose an existing court.")
    else:
        errors["role"] = _l("Role must be mediator, org_admin, judge or clerk.")
    bad = [c for c in data.get("specialties") or [] if c not in Category.ALL]
    if bad:
        errors["specialties"] = _l("Unknown categories: %(c)s", c=", ".join(bad))
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    if not policy.can(actor, "staff.create", org) or (actor.role != Role.ADMIN and court is not None):
        raise Forbidden()
    user = create_user(username=data["username"], password=data["password"],
                       display_name=data["display_name"], role=role, actor=actor,
                       organization_id=org.id if org else None, court_id=court.id if court else None,
                       phone=data.get("phone"), email=data.get("email"))
    if role == Role.MEDIATOR:
        profile = MediatorProfile(user_id=user.id, organization_id=org.id,
                                  specialties=list(data.get("specialties") or []),
                                  languages=list(data.get("languages") or ["zh"]),
                                  region_code=data.get("region_code") or org.region_code,
                                  max_cases=data.get("max_cases") or 10,
                                  bio=data.get("bio"), years_of_practice=data.get("years_of_practice") or 0)
        db.session.add(profile)
        db.session.flush()
        record("mediator.create", profile, actor=actor, object_id=user.id,
               after={"organization_id": org.id, "specialties": profile.specialties,
                      "max_cases": profile.max_cases})
    db.session.commit()
    return user
