"""Test data built through the real services (no shortcuts around validation or audit).

``World`` is a small county pool: regions, a court with a judge and a clerk, a county
organization with a town and a village below it, an admin per organization, mediators,
a platform admin and party accounts. Tests in every room build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from odr.accounts.identity import credit_check_char, id_check_char
from odr.accounts.models import Role, User
from odr.accounts.services import create_user
from odr.extensions import db
from odr.mediators.staff import create_staff
from odr.organizations.models import Court, Organization
from odr.organizations.regions import ensure_regions, town_code, village_code
from odr.organizations.services import create_court, create_organization

PASSWORD = "correct-horse-9"


def make_id_number(seq: int, birth: str = "19800101", area: str = "330681") -> str:
    first17 = f"{area}{birth}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def make_credit_code(seq: int) -> str:
    first17 = f"5133068{seq:010d}"[:17]
    return first17 + credit_check_char(first17)


@dataclass
class World:
    admin: User
    court: Court
    judge: User
    clerk: User
    county: Organization
    town: Organization
    village: Organization
    org_admin: User
    town_admin: User
    mediators: list[User]
    town_mediator: User
    applicant: User
    respondent: User
    outsider: User
    extra: dict[str, Any] = field(default_factory=dict)


def make_party(username: str, name: str, seq: int, **extra: Any) -> User:
    user = create_user(username=username, password=PASSWORD, display_name=name, role=Role.PARTY,
                       id_number=make_id_number(seq), phone=extra.pop("phone", f"1390000{seq:04d}"),
                       email=extra.pop("email", f"{username}@example.com"), **extra)
    db.session.commit()
    return user


def build_world() -> World:
    ensure_regions()
    admin = create_user(username="admin", password=PASSWORD, display_name="平台管理员", role=Role.ADMIN)
    db.session.commit()
    court = create_court({"name": "诸暨市人民法院", "code": "浙0681", "region_code": "330681"}, admin)
    county = create_organization({"name": "诸暨市人民调解委员会", "kind": "peoples_committee", "level": "county",
                                  "region_code": "330681", "credit_code": make_credit_code(1),
                                  "court_ids": [court.id], "categories": ["family", "neighbour", "contract", "labour"]}, admin)
    town = create_organization({"name": "枫桥镇人民调解委员会", "kind": "peoples_committee", "level": "town",
                                "region_code": town_code(8), "credit_code": make_credit_code(2),
                                "parent_id": county.id, "categories": ["neighbour", "family", "property"]}, admin)
    village = create_organization({"name": "枫桥镇第1村人民调解委员会", "kind": "peoples_committee", "level": "village",
                                   "region_code": village_code(8, 0), "credit_code": make_credit_code(3),
                                   "parent_id": town.id, "categories": ["neighbour", "family"]}, admin)

    def staff(username: str, name: str, role: str, **kw: Any) -> User:
        return create_staff({"username": username, "password": PASSWORD, "display_name": name,
                             "role": role, **kw}, admin)

    judge = staff("judge", "王法官", Role.JUDGE, court_id=court.id)
    clerk = staff("clerk", "李书记员", Role.CLERK, court_id=court.id)
    org_admin = staff("orgadmin", "赵主任", Role.ORG_ADMIN, organization_id=county.id)
    town_admin = staff("townadmin", "钱主任", Role.ORG_ADMIN, organization_id=town.id)
    mediators = [
        staff("mediator", "陈调解员", Role.MEDIATOR, organization_id=county.id,
              specialties=["neighbour", "contract"], max_cases=5),
        staff("mediator2", "周调解员", Role.MEDIATOR, organization_id=county.id,
              specialties=["family", "labour"], max_cases=5),
    ]
    town_mediator = staff("townmediator", "吴调解员", Role.MEDIATOR, organization_id=town.id,
                          specialties=["neighbour"], max_cases=3)
    applicant = make_party("applicant", "张三", 1)
    respondent = make_party("respondent", "李四", 2)
    outsider = make_party("outsider", "王五", 3)
    return World(admin, court, judge, clerk, county, town, village, org_admin, town_admin,
                 mediators, town_mediator, applicant, respondent, outsider)
