"""Where a case goes and what it is called: organization routing and case numbers.

A case number is unique per organization and year and gap-free: the counter row of
``odr.core.sequences`` stays locked until the submitting transaction commits, so two
concurrent submissions get consecutive numbers and a rolled-back one gives its number back.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from odr.cases.models import Case
from odr.core.sequences import next_value
from odr.core.time import DEFAULT_TZ, now
from odr.extensions import db
from odr.organizations.models import Court, Organization

_SUFFIXES = r"(人民调解委员会|调解委员会|调解中心|调解工作室|委员会)$"


def number_prefix(org: Organization) -> str:
    """"诸暨市人民调解委员会" → "诸暨": the short name, else the name without its kind and
    the trailing 市/县/区 (the way numbers such as (2026)诸暨人调字第15号 are written)."""
    if org.short_name:
        return org.short_name.strip()
    base = re.sub(_SUFFIXES, "", org.name.strip()) or org.name.strip()
    if len(base) > 2:
        base = re.sub(r"[市县区]$", "", base)
    return base


def assign_number(case: Case) -> str:
    """Give ``case`` the next number of its organization in the current year (caller commits).

    Called at submission and again when a case moves to another organization (transfer,
    escalation), since the sequence belongs to the organization.
    """
    org = db.session.get(Organization, case.organization_id)
    year = now().astimezone(DEFAULT_TZ).year
    seq = next_value(f"case:{org.id}", year)
    number = f"({year}){number_prefix(org)}人调字第{seq}号"
    clash = db.session.execute(select(Case.id).where(Case.number == number, Case.id != case.id)).first()
    if clash:  # two organizations with the same short name: keep numbers globally unique
        number = f"({year}){number_prefix(org)}{org.id}人调字第{seq}号"
    case.number, case.number_year, case.number_seq = number, year, seq
    return number


def route_organization(category: str, region_code: str | None, court: Court | None = None) -> Organization | None:
    """The organization a case goes to when the applicant did not choose one.

    A court's diversion goes to an organization it invited (linked to the court) that takes
    the category; otherwise the most local active organization whose area contains the
    region and that takes the category (an organization listing no categories takes all).
    """
    orgs = db.session.execute(
        select(Organization).where(Organization.active.is_(True)).order_by(Organization.id)
    ).scalars().all()

    def takes(org: Organization) -> bool:
        return not org.categories or category in org.categories

    if court is not None:
        linked = [o for o in orgs if takes(o) and any(c.id == court.id for c in o.courts)]
        if linked:
            return linked[0]
        region_code = region_code or court.region_code
    if not region_code:
        return None
    serving = [o for o in orgs if takes(o) and region_code.startswith(o.region_code)]
    if not serving:
        return None
    return max(serving, key=lambda o: (len(o.region_code), -o.id))
