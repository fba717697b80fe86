"""The county pool (127 organizations, 648 mediators, a year of past cases) and the
province pool (11.3k organizations, 51.7k mediators) for benchmarks.

Rows are generated in memory and written with bulk INSERTs (one statement per table,
executemany), with one password hash shared by every generated account, so the county
seeds in seconds. The case counters (NumberSequence) are moved past the generated
numbers so cases filed afterwards continue the sequence.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import time, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from odr.accounts.models import Role, User
from odr.accounts.passwords import hash_password
from odr.audit.services import record
from odr.cases.models import Case, CaseParty, Category, Claim
from odr.core.sequences import NumberSequence
from odr.core.time import DEFAULT_TZ, now
from odr.demo.base import DEMO_PASSWORD, credit_code, demo_court, id_number, seed_base_demo
from odr.extensions import db
from odr.mediators.models import AvailabilitySlot, MediatorProfile
from odr.organizations.models import Organization, Region, organization_court
from odr.organizations.regions import ZHUJI_TOWNS, town_code, village_code
from odr.stats.rollup import rebuild as rebuild_stats

COUNTY_ORGS, COUNTY_MEDIATORS, COUNTY_CASES = 127, 648, 3600
PROVINCE_ORGS, PROVINCE_MEDIATORS = 11_300, 51_700
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玉兰志海波斌云峰"
LANGS = [["zh"], ["zh", "诸暨话"], ["zh", "en"], ["zh", "诸暨话", "越语"]]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def _insert(model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        db.session.execute(insert(model), rows[i:i + chunk])


def _org_rows(plan: list[dict[str, Any]], prefix: str, start_seq: int) -> list[int]:
    """Insert organizations level by level (parents first) and return their ids in order."""
    ids: list[int] = []
    moment = now()
    for i, row in enumerate(plan):
        row.update(credit_code=credit_code(prefix, start_seq + i), active=True, created_at=moment)
        row.setdefault("fees", "免费" if row["kind"] == "peoples_committee" else "按件收费，每件200元")
    by_code = {}
    for level in ("county", "town", "village"):
        rows = [r for r in plan if r["level"] == level]
        for r in rows:
            parent = r.pop("_parent", None)
            r["parent_id"] = by_code.get(parent) if parent else r.get("parent_id")
        _insert(Organization, rows)
        got = dict(db.session.execute(select(Organization.credit_code, Organization.id)
                                      .where(Organization.credit_code.in_([r["credit_code"] for r in rows]))).all())
        for r in rows:
            by_code[r["_key"]] = got[r["credit_code"]]
    for r in plan:
        ids.append(by_code[r.pop("_key")])
    return ids


def _mediators(org_ids: list[int], org_regions: list[str], org_cats: list[list[str]], total: int,
               prefix: str, rng: random.Random, pw_hash: str) -> tuple[list[tuple[int, int]], list[dict[str, Any]],
                                                                       list[dict[str, Any]]]:
    """Insert ``total`` mediator accounts spread over the organizations; returns their
    (user_id, org_id) and the profile and slot rows, which the caller inserts once the
    past cases have set the counters."""
    moment = now()
    users, placement = [], []
    for i in range(total):
        k = i % len(org_ids)
        username = f"{prefix}{i + 1:06d}"
        users.append({"username": username, "password_hash": pw_hash, "display_name": _name(rng),
                      "role": Role.MEDIATOR, "organization_id": org_ids[k], "active": True,
                      "phone": f"138{rng.randrange(10**8):08d}", "created_at": moment})
        placement.append(k)
    _insert(User, users)
    ids = dict(db.session.execute(select(User.username, User.id).where(User.username.like(f"{prefix}%"))).all())
    profiles, slots = [], []
    out = []
    for i, u in enumerate(users):
        k, uid = placement[i], ids[u["username"]]
        cats = org_cats[k] or list(Category.ALL)
        spec = rng.sample(cats, min(len(cats), rng.randint(1, 3)))
        profiles.append({"user_id": uid, "organization_id": org_ids[k], "specialties": spec,
                         "languages": rng.choice(LANGS), "region_code": org_regions[k],
                         "years_of_practice": rng.randint(1, 30), "status": "active" if rng.random() > 0.03 else
                         "suspended", "max_cases": rng.choice((5, 8, 10, 12)), "active_cases": 0,
                         "bio": "熟悉基层民间纠纷调解。", "created_at": moment})
        start_day = rng.randrange(5)
        for d in {start_day, (start_day + 2) % 5, 5 if rng.random() < 0.2 else start_day}:
            slots.append({"mediator_id": uid, "weekday": d, "start": time(9), "end": time(11, 30)})
            slots.append({"mediator_id": uid, "weekday": d, "start": time(14), "end": time(17)})
        out.append((uid, org_ids[k]))
    return out, profiles, slots


def seed_county(*, cases: int = COUNTY_CASES, seed: int = 681) -> str:
    """The Zhuji county pool. Returns a one-line summary (or says it was there already)."""
    if db.session.execute(select(User.id).where(User.username == "zj000001")).first():
        return "county demo pool already present; nothing to do"
    seed_base_demo()
    rng = random.Random(seed)
    admin = db.session.execute(select(User).where(User.username == "demo_admin")).scalar_one()
    court = demo_court(admin)
    county = db.session.execute(select(Organization).where(Organization.name == "诸暨市人民调解委员会")).scalar_one()
    have_orgs = db.session.execute(select(func.count(Organization.id))).scalar_one()
    have_mediators = db.session.execute(select(func.count(MediatorProfile.user_id))).scalar_one()
    plan: list[dict[str, Any]] = []
    county_extra = [("诸暨市道路交通事故人民调解委员会", "industry_committee", ["traffic", "damages"]),
                    ("诸暨市劳动争议人民调解委员会", "industry_committee", ["labour"]),
                    ("诸暨市物业纠纷人民调解委员会", "industry_committee", ["property_management"]),
                    ("诸暨市消费纠纷人民调解委员会", "industry_committee", ["consumer", "contract"]),
                    ("诸暨市枫桥经验律师调解工作室", "lawyer_studio", ["contract", "damages", "property"]),
                    ("浙江暨阳律师调解工作室", "lawyer_studio", ["contract", "labour"]),
                    ("诸暨市人民法院特邀调解组织", "court_annexed", list(Category.ALL))]
    for j, (name, kind, cats) in enumerate(county_extra):
        plan.append({"_key": f"c{j}", "name": name, "kind": kind, "level": "county", "region_code": "330681",
                     "categories": cats, "parent_id": None, "contact_phone": f"0575-8720{j:04d}"})
    for t, town in enumerate(ZHUJI_TOWNS):
        if t == 8:
            continue  # 枫桥镇 is in the base demo
        plan.append({"_key": f"t{t}", "name": f"{town}人民调解委员会", "kind": "peoples_committee", "level": "town",
                     "region_code": town_code(t), "parent_id": county.id,
                     "categories": ["neighbour", "family", "property", "land_contract", "contract"],
                     "contact_phone": f"0575-871{t:05d}"})
    village_slots = [(t, v) for v in range(4) for t in range(len(ZHUJI_TOWNS)) if (t, v) != (8, 0)]
    need = COUNTY_ORGS - have_orgs - len(plan)
    fengqiao = db.session.execute(select(Organization.id).where(Organization.name == "枫桥镇人民调解委员会")).scalar()
    for t, v in village_slots[:max(need, 0)]:
        village = {"_key": f"v{t}-{v}", "name": f"{ZHUJI_TOWNS[t]}第{v + 1}村人民调解委员会",
                   "kind": "peoples_committee", "level": "village", "region_code": village_code(t, v),
                   "categories": ["neighbour", "family", "land_contract"]}
        if t == 8:
            village["parent_id"] = fengqiao
        else:
            village["_parent"] = f"t{t}"
        plan.append(village)
    meta = [(r["region_code"], r["categories"], r["level"]) for r in plan]
    org_ids = _org_rows(plan, "52330681MJ", 1)
    db.session.execute(insert(organization_court), [{"organization_id": i, "court_id": court.id} for i in org_ids])
    pw_hash = hash_password(DEMO_PASSWORD)
    placed, profiles, slots = _mediators(org_ids, [m[0] for m in meta], [m[1] for m in meta],
                                         COUNTY_MEDIATORS - have_mediators, "zj", rng, pw_hash)
    _past_cases(placed, org_ids, meta, profiles, cases, rng, pw_hash)
    _insert(MediatorProfile, profiles)
    _insert(AvailabilitySlot, slots)
    record("demo.seed", None, actor=admin, object_type="demo", object_id="county",
           after={"organizations": len(org_ids), "mediators": len(profiles), "cases": cases})
    db.session.commit()
    rebuild_stats(db.session)  # the dashboards' rollup, recomputed from the rows just inserted
    db.session.commit()
    return f"county demo pool: {len(org_ids) + have_orgs} organizations, {len(profiles) + have_mediators} mediators, {cases} past cases"


def _past_cases(placed: list[tuple[int, int]], org_ids: list[int], meta: list[Any], profiles: list[dict[str, Any]],
                total: int, rng: random.Random, pw_hash: str) -> None:
    """A year of finished (and a few open) cases with outcomes, parties and claims."""
    moment = now()
    parties = [{"username": f"zjparty{i:05d}", "password_hash": pw_hash, "display_name": _name(rng),
                "role": Role.PARTY, "active": True, "id_number": id_number(i, birth=f"19{60 + i % 40}0101"),
                "created_at": moment} for i in range(400)]
    _insert(User, parties)
    party_ids = list(db.session.execute(select(User.id).where(User.username.like("zjparty%"))).scalars())
    profile_by_id = {p["user_id"]: p for p in profiles}
    by_org: dict[int, list[int]] = {}
    for uid, oid in placed:
        if profile_by_id[uid]["status"] == "active":
            by_org.setdefault(oid, []).append(uid)
    org_cat = dict(zip(org_ids, [m[1] for m in meta], strict=True))
    seqs: Counter[tuple[int, int]] = Counter()
    outcomes = (["closed"] * 55 + ["agreement_effective"] * 5 + ["failed"] * 22 + ["withdrawn"] * 5
                + ["rejected"] * 4 + ["declined"] * 5 + ["in_mediation"] * 4)
    rows, extra = [], []
    for _n in range(total):
        oid = rng.choice(org_ids)
        mediators = by_org.get(oid)
        if not mediators:
            continue
        status = rng.choice(outcomes)
        created = moment - timedelta(days=rng.uniform(3, 365))
        year = created.astimezone(DEFAULT_TZ).year
        seqs[(oid, year)] += 1
        seq = seqs[(oid, year)]
        mediator = rng.choice(mediators) if status not in ("rejected", "declined") else None
        prof = profile_by_id.get(mediator) if mediator else None
        if status == "in_mediation" and prof and prof["active_cases"] >= prof["max_cases"]:
            status = "failed"
        ended = created + timedelta(days=rng.uniform(3, 40))
        row = {"number": f"({year})诸暨{oid}人调字第{seq}号", "number_year": year, "number_seq": seq,
               "status": status, "category": rng.choice(org_cat[oid] or list(Category.ALL)),
               "facts": "双方因琐事发生纠纷，经协商未果，申请调解。", "source": rng.choice(
                   ("self_filed",) * 3 + ("court_diversion",) * 6 + ("api",)),
               "region_code": "330681", "organization_id": oid, "mediator_id": mediator,
               "created_by_id": rng.choice(party_ids), "created_at": created, "submitted_at": created,
               "accepted_at": created + timedelta(days=1) if status != "rejected" else None,
               "escalation_count": 0, "updated_at": ended}
        if status in ("closed", "agreement_effective"):
            row.update(settled_at=ended - timedelta(days=2), effective_at=ended,
                       closed_at=ended + timedelta(days=15) if status == "closed" else None)
            if prof:
                prof["cases_settled"] = prof.get("cases_settled", 0) + 1
        elif status in ("failed", "withdrawn", "rejected", "declined"):
            row.update(ended_at=ended, end_reason="双方分歧较大" if status == "failed" else None)
            if prof and status == "failed":
                prof["cases_failed"] = prof.get("cases_failed", 0) + 1
        elif prof:
            prof["active_cases"] += 1
        if prof:
            last = prof.get("last_assigned_at")
            prof["last_assigned_at"] = max(last, created) if last else created
        if mediator:
            row["mediator_accepted_at"] = created + timedelta(days=1)
            row["mediation_started_at"] = created + timedelta(days=2)
        rows.append(row)
        extra.append((rng.choice(party_ids), _name(rng), rng.randrange(500, 50000)))
    _insert(Case, rows)
    case_ids = dict(db.session.execute(select(Case.number, Case.id).where(Case.number.like("(%)诸暨%人调字第%号"))).all())
    party_rows, claim_rows = [], []
    for row, (applicant, respondent_name, amount) in zip(rows, extra, strict=True):
        cid = case_ids[row["number"]]
        party_rows.append({"case_id": cid, "side": "applicant", "kind": "person", "name": "申请人",
                           "user_id": applicant, "consent": "agreed"})
        party_rows.append({"case_id": cid, "side": "respondent", "kind": "person", "name": respondent_name,
                           "consent": "declined" if row["status"] == "declined" else "agreed"})
        claim_rows.append({"case_id": cid, "description": "请求赔偿损失", "amount": amount})
    _insert(CaseParty, party_rows)
    _insert(Claim, claim_rows)
    _insert(NumberSequence, [{"scope": f"case:{oid}", "year": year, "last_value": n}
                             for (oid, year), n in seqs.items()])
    for p in profiles:
        p.setdefault("cases_settled", 0)
        p.setdefault("cases_failed", 0)
        p.setdefault("last_assigned_at", None)


def seed_province(*, seed: int = 33) -> str:
    """Benchmark scale: 11.3k organizations over 90 counties and 51.7k mediators (no cases)."""
    if db.session.execute(select(User.id).where(User.username == "pv000001")).first():
        return "province pool already present; nothing to do"
    seed_base_demo()
    rng = random.Random(seed)
    have = {c for c in db.session.execute(select(Region.code)).scalars()}
    regions, plan = [], []
    counties = [f"33{c // 10 + 1:02d}{c % 10 + 1:02d}" for c in range(90)]
    per_county = PROVINCE_ORGS // len(counties)
    for ci, county in enumerate(counties):
        if county not in have:
            regions.append({"code": county, "name": f"县{ci + 1}", "level": "county", "parent_code": None})
        plan.append({"_key": f"{county}", "name": f"县{ci + 1}人民调解委员会", "kind": "peoples_committee",
                     "level": "county", "region_code": county, "parent_id": None, "categories": list(Category.ALL)})
        towns = 14
        for t in range(towns):
            code = f"{county}{t + 1:03d}"
            if code not in have:
                regions.append({"code": code, "name": f"县{ci + 1}镇{t + 1}", "level": "town", "parent_code": county})
            plan.append({"_key": code, "_parent": county, "name": f"县{ci + 1}镇{t + 1}人民调解委员会",
                         "kind": "peoples_committee", "level": "town", "region_code": code,
                         "categories": ["neighbour", "family", "property", "land_contract", "contract"]})
        extra = per_county - 1 - towns + (1 if ci < PROVINCE_ORGS % len(counties) else 0)
        for v in range(extra):
            t = v % towns
            code = f"{county}{t + 1:03d}{v // towns + 1:03d}"
            plan.append({"_key": code, "_parent": f"{county}{t + 1:03d}", "name": f"县{ci + 1}镇{t + 1}村{v + 1}调委会",
                         "kind": "peoples_committee", "level": "village", "region_code": code,
                         "categories": rng.sample(list(Category.ALL), 3)})
    _insert(Region, regions)
    meta = [(r["region_code"], r["categories"]) for r in plan]
    org_ids = _org_rows(plan, "53", 1)
    pw_hash = hash_password(DEMO_PASSWORD)
    _placed, profiles, slots = _mediators(org_ids, [m[0] for m in meta], [m[1] for m in meta],
                                          PROVINCE_MEDIATORS, "pv", rng, pw_hash)
    for p in profiles:
        p.update(cases_settled=rng.randint(0, 40), cases_failed=rng.randint(0, 15))
    _insert(MediatorProfile, profiles)
    _insert(AvailabilitySlot, slots)
    db.session.commit()
    return f"province pool: {len(org_ids)} organizations, {len(profiles)} mediators"
