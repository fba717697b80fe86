"""The small demo set: one account per role, a court and a village → town → county chain.

Built through the real services (validation and audit included) so the demo shows the
system as it is used; small enough to run on every first start.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from odr.accounts.identity import credit_check_char, id_check_char
from odr.accounts.models import Role, User
from odr.accounts.services import create_user
from odr.extensions import db
from odr.mediators.availability import set_availability
from odr.mediators.models import MediatorProfile
from odr.mediators.staff import create_staff
from odr.organizations.models import Court, Organization
from odr.organizations.regions import ensure_regions, town_code, village_code
from odr.organizations.services import create_court, create_organization

DEMO_PASSWORD = "demo-password-1"
COURT_CODE = "浙0681"
COURT_NAME = "诸暨市人民法院"

LOGINS: list[tuple[str, str]] = [
    ("platform admin", "demo_admin"), ("judge", "demo_judge"), ("clerk", "demo_clerk"),
    ("organization admin (county)", "demo_orgadmin"), ("organization admin (town)", "demo_townadmin"),
    ("mediator", "demo_mediator"), ("mediator", "demo_mediator2"), ("mediator (town)", "demo_townmediator"),
    ("applicant", "demo_applicant"), ("respondent", "demo_respondent"),
]


def credit_code(prefix: str, seq: int) -> str:
    first17 = (prefix + f"{seq:d}".rjust(17 - len(prefix), "0"))[:17]
    return first17 + credit_check_char(first17)


def id_number(seq: int, area: str = "330681", birth: str = "19800101") -> str:
    first17 = f"{area}{birth}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def logins() -> list[tuple[str, str, str]]:
    return [(role, username, DEMO_PASSWORD) for role, username in LOGINS]


def demo_court(admin: Any) -> Court:
    court = db.session.execute(select(Court).where(Court.code == COURT_CODE)).scalar_one_or_none()
    return court or create_court({"name": COURT_NAME, "code": COURT_CODE, "region_code": "330681"}, admin)


def seed_base_demo() -> list[tuple[str, str, str]]:
    """Seed once; returns the demo logins as (role, username, password) every time."""
    if db.session.execute(select(User.id).where(User.username == "demo_admin")).first():
        return logins()
    ensure_regions()
    db.session.commit()
    admin = create_user(username="demo_admin", password=DEMO_PASSWORD, display_name="平台管理员",
                        role=Role.ADMIN)
    db.session.commit()
    court = demo_court(admin)
    county = create_organization({
        "name": "诸暨市人民调解委员会", "kind": "peoples_committee", "level": "county", "region_code": "330681",
        "credit_code": credit_code("51330681MJ", 1), "court_ids": [court.id],
        "categories": ["family", "neighbour", "contract", "labour", "damages", "property"],
        "contact_phone": "0575-87000000", "address": "诸暨市暨阳街道",
        "description": "县级人民调解委员会，受理辖区内重大、疑难、跨镇街的民间纠纷。"}, admin)
    town = create_organization({
        "name": "枫桥镇人民调解委员会", "kind": "peoples_committee", "level": "town", "region_code": town_code(8),
        "credit_code": credit_code("51330681MJ", 2), "parent_id": county.id, "court_ids": [court.id],
        "categories": ["neighbour", "family", "property", "land_contract"], "contact_phone": "0575-87100000"}, admin)
    create_organization({
        "name": "枫桥镇第1村人民调解委员会", "kind": "peoples_committee", "level": "village",
        "region_code": village_code(8, 0), "credit_code": credit_code("51330681MJ", 3), "parent_id": town.id,
        "categories": ["neighbour", "family"]}, admin)
    create_organization({
        "name": "诸暨市医疗纠纷人民调解委员会", "kind": "industry_committee", "level": "county",
        "region_code": "330681", "credit_code": credit_code("51330681MJ", 4), "court_ids": [court.id],
        "categories": ["medical"]}, admin)

    def staff(username: str, name: str, role: str, **kw: Any) -> User:
        return create_staff({"username": username, "password": DEMO_PASSWORD, "display_name": name,
                             "role": role, **kw}, admin)

    staff("demo_judge", "王法官", Role.JUDGE, court_id=court.id)
    staff("demo_clerk", "李书记员", Role.CLERK, court_id=court.id)
    staff("demo_orgadmin", "赵主任", Role.ORG_ADMIN, organization_id=county.id)
    staff("demo_townadmin", "钱主任", Role.ORG_ADMIN, organization_id=town.id)
    mediators = [
        staff("demo_mediator", "陈调解员", Role.MEDIATOR, organization_id=county.id,
              specialties=["neighbour", "contract"], max_cases=8, years_of_practice=12,
              bio="从事人民调解工作十二年，擅长邻里、合同纠纷。", languages=["zh", "诸暨话"]),
        staff("demo_mediator2", "周调解员", Role.MEDIATOR, organization_id=county.id,
              specialties=["family", "labour"], max_cases=8, years_of_practice=6, languages=["zh"]),
        staff("demo_townmediator", "吴调解员", Role.MEDIATOR, organization_id=town.id,
              specialties=["neighbour", "land_contract"], max_cases=5, years_of_practice=20,
              languages=["zh", "诸暨话"]),
    ]
    weekly = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)] + \
             [{"weekday": d, "start": "14:00", "end": "17:30"} for d in range(5)]
    for m in mediators:
        set_availability(db.session.get(MediatorProfile, m.id), weekly, [], admin)
    for i, (username, name) in enumerate((("demo_applicant", "张三"), ("demo_respondent", "李四"))):
        create_user(username=username, password=DEMO_PASSWORD, display_name=name, role=Role.PARTY,
                    id_number=id_number(900 + i), phone=f"1390000{900 + i:04d}",
                    email=f"{username}@example.com")
    db.session.commit()
    return logins()


def org_count() -> int:
    return len(db.session.execute(select(Organization.id)).all())
