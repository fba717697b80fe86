"""Creating courts and organizations (platform admin)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts.identity import valid_credit_code
from odr.audit.services import record
from odr.core.errors import BadInput
from odr.extensions import db
from odr.organizations.models import Court, Organization, OrgKind, OrgLevel
from odr.organizations.regions import region_exists

COURT_CODE_RE = r"[\u4e00-\u9fa5]\d{4}"


def create_court(data: dict[str, Any], actor: Any) -> Court:
    errors: dict[str, Any] = {}
    code = (data.get("code") or "").strip()
    if not re.fullmatch(COURT_CODE_RE, code):
        errors["code"] = _l("A court code is the province abbreviation and 4 digits, e.g. 浙0681.")
    elif db.session.execute(select(Court.id).where(Court.code == code)).first():
        errors["code"] = _l("A court with this code exists already.")
    if not region_exists(data.get("region_code") or ""):
        errors["region_code"] = _l("Unknown region code.")
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    court = Court(name=data["name"].strip(), code=code, region_code=data["region_code"],
                  level=data.get("level") or "basic", address=data.get("address"))
    db.session.add(court)
    db.session.flush()
    record("court.create", court, actor=actor, after={"name": court.name, "code": code})
    db.session.commit()
    return court


def create_organization(data: dict[str, Any], actor: Any) -> Organization:
    errors: dict[str, Any] = {}
    if data.get("kind") not in OrgKind.ALL:
        errors["kind"] = _l("Unknown kind of organization.")
    if data.get("level") not in OrgLevel.ALL:
        errors["level"] = _l("Unknown level.")
    credit = (data.get("credit_code") or "").strip().upper()
    if not valid_credit_code(credit):
        errors["credit_code"] = _l("This unified social credit code is not valid (GB 32100 check digit).")
    elif db.session.execute(select(Organization.id).where(Organization.credit_code == credit)).first():
        errors["credit_code"] = _l("An organization with this credit code exists already.")
    if not region_exists(data.get("region_code") or ""):
        errors["region_code"] = _l("Unknown region code.")
    parent = None
    if data.get("parent_id") is not None:
        parent = db.session.get(Organization, data["parent_id"])
        if parent is None:
            errors["parent_id"] = _l("Unknown parent organization.")
    courts: list[Court] = []
    for cid in data.get("court_ids") or []:
        court = db.session.get(Court, cid)
        if court is None:
            errors["court_ids"] = _l("Unknown court.")
        else:
            courts.append(court)
    from odr.cases.models import Category
    bad = [c for c in data.get("categories") or [] if c not in Category.ALL]
    if bad:
        errors["categories"] = _l("Unknown categories: %(c)s", c=", ".join(bad))
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    org = Organization(
        name=data["name"].strip(), kind=data["kind"], level=data["level"], region_code=data["region_code"],
        credit_code=credit, parent_id=parent.id if parent else None,
        categories=list(data.get("categories") or []), contact_phone=data.get("contact_phone"),
        address=data.get("address"), description=data.get("description"),
        fees=data.get("fees") or ("免费" if data["kind"] == OrgKind.PEOPLES_COMMITTEE else None),
        short_name=data.get("short_name"),
    )
    org.courts = courts
    if courts:
        org.confirmation_court_id = courts[0].id
    db.session.add(org)
    db.session.flush()
    record("organization.create", org, actor=actor,
           after={"name": org.name, "kind": org.kind, "level": org.level, "parent_id": org.parent_id})
    db.session.commit()
    return org
