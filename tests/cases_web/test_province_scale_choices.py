"""Organization and mediator choice lists stay bounded and relevant on a large platform
(issue #4/#10), and stay complete on a small one.

A "large" platform here is 400 organizations and 2,400 mediators bulk-inserted the way
odr/demo/pool.py does (more than ORG_CHOICES_CAP), spread over eight counties 330701..330708,
plus 24 organizations in Zhuji (330681), where the test world lives.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import insert, select

from odr.accounts.models import Role, User
from odr.cases import services
from odr.cases.models import Case
from odr.cases.queries import ORG_CHOICES_CAP
from odr.demo.base import credit_code
from odr.extensions import db
from odr.mediators.models import MediatorProfile
from odr.organizations.models import Organization, Region
from tests.case_factories import case_data, submitted_case
from tests.cases_web.helpers import logged_in, post
from tests.factories import World

COUNTIES = [f"3307{c:02d}" for c in range(1, 9)]
PER_COUNTY = 50
MEDIATORS_PER_ORG = 6


def _insert_orgs(rows: list[dict[str, Any]]) -> list[int]:
    db.session.execute(insert(Organization), rows)
    codes = [r["credit_code"] for r in rows]
    found = dict(db.session.execute(select(Organization.credit_code, Organization.id)
                                    .where(Organization.credit_code.in_(codes))).all())
    return [found[c] for c in codes]


def _org(name: str, level: str, region: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "peoples_committee", "level": level, "region_code": region,
            "credit_code": credit_code("54", seq), "categories": [], "active": True, **extra}


def seed_large(world: World, per_county: int = PER_COUNTY, counties: list[str] = COUNTIES) -> dict[str, Any]:
    """Bulk-insert counties of organizations (a county committee, towns, villages under them)
    and mediators for each; returns ids by name for the assertions."""
    seq = 0
    regions, by_name = [], {}
    for ci, county in enumerate(counties):
        regions.append({"code": county, "name": f"测试县{ci + 1}", "level": "county", "parent_code": None})
        seq += 1
        top = _insert_orgs([_org(f"测试县{ci + 1}人民调解委员会", "county", county, seq)])[0]
        by_name[f"测试县{ci + 1}人民调解委员会"] = top
        rows = []
        for k in range(per_county - 1):
            town = f"{county}{k % 7 + 1:03d}"
            if k < 7:
                regions.append({"code": town, "name": f"测试县{ci + 1}镇{k + 1}", "level": "town", "parent_code": county})
            seq += 1
            rows.append(_org(f"测试县{ci + 1}第{k + 1}调委会", "town" if k < 7 else "village",
                             town if k < 7 else f"{town}{k:03d}", seq, parent_id=top))
        for row, oid in zip(rows, _insert_orgs(rows), strict=True):
            by_name[row["name"]] = oid
    db.session.execute(insert(Region), regions)
    # Zhuji gets more organizations too, so the world's lists have neighbours to show
    zhuji = [_org(f"诸暨市测试{k + 1}调委会", "village", f"330681{k % 9 + 1:03d}{k + 1:03d}", 900 + k,
                  parent_id=world.town.id if k == 0 else None) for k in range(24)]
    for row, oid in zip(zhuji, _insert_orgs(zhuji), strict=True):
        by_name[row["name"]] = oid
    # a child of the world's county committee registered in another county
    by_name["跨县分会"] = _insert_orgs([_org("跨县分会", "town", "330708007", 999, parent_id=world.county.id)])[0]
    org_ids = list(by_name.values())
    pw_hash = world.applicant.password_hash  # one hash for all: argon2 is slow by design
    users = [{"username": f"lg{i:06d}", "password_hash": pw_hash, "display_name": f"调解员{i}", "role": Role.MEDIATOR,
              "organization_id": org_ids[i % len(org_ids)], "active": True}
             for i in range(len(org_ids) * MEDIATORS_PER_ORG)]
    db.session.execute(insert(User), users)
    ids = dict(db.session.execute(select(User.username, User.id).where(User.username.like("lg%"))).all())
    db.session.execute(insert(MediatorProfile), [
        {"user_id": ids[u["username"]], "organization_id": u["organization_id"], "specialties": ["neighbour"],
         "languages": ["zh"], "region_code": None, "status": "active", "max_cases": 5, "active_cases": 0}
        for u in users])
    db.session.commit()
    return by_name


def select_options(html: str, select_id: str) -> list[tuple[str, bool, str]]:
    """(value, selected, label) of each option of the <select> with that id."""
    match = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select {select_id}"
    return [(m.group(1), bool(m.group(2)), m.group(3).strip()) for m in
            re.finditer(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', match.group(1))]


def ids_of(options: list[tuple[str, bool, str]]) -> set[int]:
    return {int(v) for v, _sel, _label in options if v.isdigit()}


def selected_of(options: list[tuple[str, bool, str]]) -> list[str]:
    return [v for v, sel, _label in options if sel]


def county_ids(orgs: dict[str, int], county: int) -> set[int]:
    return {oid for name, oid in orgs.items() if name.startswith(f"测试县{county}第") or name == f"测试县{county}人民调解委员会"}


def mediators_of(org_ids: set[int]) -> set[int]:
    return set(db.session.execute(select(MediatorProfile.user_id)
                                  .where(MediatorProfile.organization_id.in_(org_ids))).scalars())


@pytest.fixture()
def large(world: World) -> dict[str, int]:
    return seed_large(world)


def _draft(world: World, **overrides: Any) -> Case:
    return services.create_case(world.applicant, case_data(world, **{"organization_id": None, **overrides}))


# ------------------------------------------------------------------ the wizard's step


def test_wizard_lists_the_organizations_of_the_applicants_region(app, world, large):
    case = _draft(world, region_code="330702001")
    client = logged_in(app, world.applicant.username)
    html = client.get(f"/cases/{case.id}/edit/organization").get_data(as_text=True)
    orgs = select_options(html, "f-organization_id")
    assert len(orgs) <= ORG_CHOICES_CAP + 1  # + "route automatically"
    assert ids_of(orgs) == county_ids(large, 2)  # the whole county 330702, nothing else
    assert "nearby organizations of the 428 on the platform" in html
    mediators = select_options(html, "f-mediator_id")
    assert ids_of(mediators) == mediators_of(county_ids(large, 2))
    # the label comes from the dict lookup: "name · organization"
    assert any(label.endswith("· 测试县2人民调解委员会") for _v, _s, label in mediators)
    # the search is its own GET form, so it works without JavaScript
    assert '<form id="org-filter" method="get"' in html and 'form="org-filter"' in html
    assert "region=330702" in html  # the directory link opens on the applicant's county


def test_wizard_search_narrows_by_name_and_by_region_code(app, world, large):
    case = _draft(world, region_code="330702001")
    client = logged_in(app, world.applicant.username)
    html = client.get(f"/cases/{case.id}/edit/organization?org_q=测试县5第1").get_data(as_text=True)
    names = {label for v, _s, label in select_options(html, "f-organization_id") if v != "auto"}
    assert names == {"测试县5第1调委会"} | {f"测试县5第1{k}调委会" for k in range(10)}
    assert "Organizations matching “测试县5第1”: 11." in html and "Show nearby organizations" in html
    by_region = client.get(f"/cases/{case.id}/edit/organization?org_q=330706").get_data(as_text=True)
    assert ids_of(select_options(by_region, "f-organization_id")) == county_ids(large, 6)
    everything = client.get(f"/cases/{case.id}/edit/organization?org_q=调委会").get_data(as_text=True)
    assert len(select_options(everything, "f-organization_id")) == ORG_CHOICES_CAP + 1
    assert "More organizations match than can be listed" in everything


def test_wizard_refusal_keeps_an_organization_outside_the_list(app, world, large):
    case = _draft(world, region_code="330702001")
    far = large["测试县7第3调委会"]
    wrong_mediator = min(mediators_of({large["测试县8第3调委会"]}))
    client = logged_in(app, world.applicant.username)
    resp = post(client, f"/cases/{case.id}/edit/organization",
                {"organization_id": str(far), "mediator_id": str(wrong_mediator), "region_code": "330702001"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "does not work for the chosen organization" in html
    orgs = select_options(html, "f-organization_id")
    assert selected_of(orgs) == [str(far)] and county_ids(large, 2) <= ids_of(orgs)
    assert selected_of(select_options(html, "f-mediator_id")) == [str(wrong_mediator)]
    # a good pair outside the list is accepted: the list is a convenience, not the rule
    good = min(mediators_of({far}))
    resp = post(client, f"/cases/{case.id}/edit/organization",
                {"organization_id": str(far), "mediator_id": str(good), "region_code": "330702001"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).organization_id == far
    page = client.get(f"/cases/{case.id}/edit/organization").get_data(as_text=True)
    assert selected_of(select_options(page, "f-organization_id")) == [str(far)]
    assert selected_of(select_options(page, "f-mediator_id")) == [str(good)]


def test_wizard_without_a_region_starts_near_the_booked_organization_or_at_the_top(app, world, large):
    booked = _draft(world, organization_id=large["测试县3第9调委会"])
    client = logged_in(app, world.applicant.username)
    html = client.get(f"/cases/{booked.id}/edit/organization").get_data(as_text=True)
    assert county_ids(large, 3) <= ids_of(select_options(html, "f-organization_id"))
    blank = _draft(world)
    html = client.get(f"/cases/{blank.id}/edit/organization").get_data(as_text=True)
    labels = {label for _v, _s, label in select_options(html, "f-organization_id")}
    assert {f"测试县{c}人民调解委员会" for c in range(1, 9)} <= labels and "测试县3第9调委会" not in labels
    bad = post(client, f"/cases/{blank.id}/edit/organization", {"organization_id": "999999", "mediator_id": "",
                                                                "region_code": ""})
    assert bad.status_code == 400 and "Unknown organization." in bad.get_data(as_text=True)


# ------------------------------------------------------------------ the court's diversion form


def test_diversion_lists_invited_and_local_organizations_and_searches_without_losing_the_form(app, world, large):
    clerk = logged_in(app, world.clerk.username)
    html = clerk.get("/cases/new").get_data(as_text=True)
    orgs = select_options(html, "f-organization_id")
    zhuji = {world.county.id, world.town.id, world.village.id} | {v for k, v in large.items() if k.startswith("诸暨市测试")}
    assert ids_of(orgs) == zhuji and orgs[1][0] == str(world.county.id)  # the invited one first
    assert ids_of(select_options(html, "f-mediator_id")) == mediators_of(zhuji) | {
        m.id for m in (*world.mediators, world.town_mediator)}
    assert 'name="org_filter"' in html and "js/org_filter.js" in html
    facts = "原告诉请返还借款，法院征得双方同意后委派调解。"
    resp = post(clerk, "/cases/new", {"category": "contract", "facts": facts, "court_case_number": "(2026)浙0681民初1号",
                                      "organization_id": "auto", "org_q": "测试县4第2", "org_filter": "1"},
                "/cases/new")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and facts in html and "(2026)浙0681民初1号" in html
    assert {label for _v, _s, label in select_options(html, "f-organization_id")} >= {"测试县4第2调委会"}
    assert len(select_options(html, "f-organization_id")) == 1 + 11
    assert db.session.execute(select(Case.id).where(Case.source == "court_diversion")).first() is None
    far = large["测试县6第6调委会"]
    refused = post(clerk, "/cases/new", {"category": "contract", "facts": facts, "organization_id": str(far)},
                   "/cases/new")
    assert refused.status_code == 400
    assert selected_of(select_options(refused.get_data(as_text=True), "f-organization_id")) == [str(far)]


# ------------------------------------------------------------------ transfers: intake queue and case page


def test_intake_queue_offers_nearby_destinations_once_for_every_case(app, world, large):
    cases = [submitted_case(world) for _ in range(3)]
    admin = logged_in(app, world.org_admin.username)
    html = admin.get("/intake").get_data(as_text=True)
    expected = {world.town.id, world.village.id, large["跨县分会"]} | {
        v for k, v in large.items() if k.startswith("诸暨市测试")}
    for c in cases:
        options = select_options(html, f"transfer-{c.id}")
        assert len(options) <= ORG_CHOICES_CAP + 1 and ids_of(options) == expected  # never itself
    assert html.count('name="org_q"') == 1  # one search for the page, not one per case
    found = admin.get("/intake?org_q=测试县2人民").get_data(as_text=True)
    assert ids_of(select_options(found, f"transfer-{cases[0].id}")) == {large["测试县2人民调解委员会"]}
    far = large["测试县1第4调委会"]
    refused = post(admin, f"/cases/{cases[1].id}/transfer", {"organization_id": str(far), "reason": "",
                                                               "next": "/intake"}, "/intake")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert selected_of(select_options(html, f"transfer-{cases[1].id}")) == [str(far)]
    assert selected_of(select_options(html, f"transfer-{cases[0].id}")) == []
    done = post(admin, f"/cases/{cases[1].id}/transfer", {"organization_id": str(far), "reason": "属外县",
                                                            "next": "/intake"}, "/intake")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, cases[1].id).organization_id == far


def test_case_page_transfer_lists_parent_children_and_county(app, world, large):
    case = submitted_case(world, organization_id=world.town.id)
    admin = logged_in(app, world.town_admin.username)
    html = admin.get(f"/cases/{case.id}").get_data(as_text=True)
    options = select_options(html, "transfer-org")
    assert options[1][0] == str(world.county.id)  # the parent first
    zhuji = {v for k, v in large.items() if k.startswith("诸暨市测试")}
    assert ids_of(options) == {world.county.id, world.village.id} | zhuji and len(options) <= ORG_CHOICES_CAP + 1
    found = admin.get(f"/cases/{case.id}?org_q=330703").get_data(as_text=True)
    assert ids_of(select_options(found, "transfer-org")) == county_ids(large, 3)
    assert "<details open><summary class=\"button\">Transfer…" in found
    inactive = large["测试县3第5调委会"]
    db.session.get(Organization, inactive).active = False
    db.session.commit()
    resp = post(admin, f"/cases/{case.id}/transfer", {"organization_id": str(inactive), "reason": "测试"})
    assert resp.status_code == 400 and "Unknown organization." in resp.get_data(as_text=True)


# ------------------------------------------------------------------ a small platform keeps every choice


def test_small_platform_lists_every_organization_and_mediator(app, world):
    orgs = seed_large(world, per_county=20, counties=COUNTIES[:4])  # 80 + 24 + 1 + the world's 3
    everyone = set(db.session.execute(select(Organization.id)).scalars())
    assert len(everyone) == 108
    case = _draft(world, region_code="330702001")
    client = logged_in(app, world.applicant.username)
    html = client.get(f"/cases/{case.id}/edit/organization").get_data(as_text=True)
    assert ids_of(select_options(html, "f-organization_id")) == everyone
    assert ids_of(select_options(html, "f-mediator_id")) == set(
        db.session.execute(select(MediatorProfile.user_id)).scalars())
    assert 'name="org_q"' not in html and "nearby organizations" not in html
    clerk = logged_in(app, world.clerk.username)
    assert ids_of(select_options(clerk.get("/cases/new").get_data(as_text=True), "f-organization_id")) == everyone
    pending = submitted_case(world)
    admin = logged_in(app, world.org_admin.username)
    intake = admin.get("/intake").get_data(as_text=True)
    assert ids_of(select_options(intake, f"transfer-{pending.id}")) == everyone - {world.county.id}
    detail = admin.get(f"/cases/{pending.id}").get_data(as_text=True)
    assert ids_of(select_options(detail, "transfer-org")) == everyone - {world.county.id}
    assert orgs["跨县分会"] in everyone
