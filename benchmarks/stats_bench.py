"""Statistics at province scale (docs/benchmarks.md, "Statistics").

    .venv/bin/python benchmarks/stats_bench.py --database-url postgresql://postgres@127.0.0.1:5432/odr_stats_bench \
        [--cases 1200000] [--runs 30] [--live-runs 5]

Builds the schema in the given PostgreSQL database, seeds the province pool
(``seed_province``: 11.3k organizations, 51.7k mediators), adds a year of cases (default
1.2 million, spread over every organization, a tenth diverted by 90 county courts) with
agreements and judicial confirmations in a few INSERT … SELECT statements, rebuilds the
statistics rollup (``flask odr stats-rebuild``'s function: raw SQL bypasses the session
hooks), then times the platform dashboard for one year and the dashboard for one county
(median and p95, ms) on the rollup and, in the same run, on the live tables (the old path).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CASES_SQL = """
INSERT INTO mediation_case (status, category, facts, source, organization_id, court_id, mediator_id,
    created_by_id, created_at, submitted_at, accepted_at, mediation_started_at, settled_at,
    escalation_count)
SELECT s.status, (ARRAY['family','neighbour','property','contract','damages','labour','medical','consumer',
        'traffic','property_management','land_contract','other'])[1 + (g % 12)], '',
    CASE WHEN g % 10 = 0 THEN 'court_diversion' WHEN g % 10 = 1 THEN 'api' ELSE 'self_filed' END,
    o.id, CASE WHEN g % 10 = 0 THEN o.court_id END,
    CASE WHEN s.status IN ('in_mediation','settled','failed','agreement_effective') THEN :mediator_lo + (g % :mediators) END,
    :creator, s.filed, s.filed,
    CASE WHEN s.status NOT IN ('submitted','rejected') THEN s.filed + interval '1 day' END,
    CASE WHEN s.status IN ('in_mediation','settled','failed','agreement_effective') THEN s.filed + interval '2 days' END,
    CASE WHEN s.status IN ('settled','agreement_effective') THEN s.filed + ((5 + g % 30) || ' days')::interval END,
    CASE WHEN g % 97 = 0 THEN 1 ELSE 0 END
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (SELECT
    (ARRAY['submitted','accepted','rejected','declined','in_mediation','settled','failed','withdrawn',
           'agreement_effective','agreement_effective'])[1 + (g * 7 % 10)] AS status,
    timestamptz '2025-01-01 00:00+08' + ((g::bigint * 7919) % 31536000) * interval '1 second' AS filed) AS s
JOIN (SELECT row_number() OVER (ORDER BY o.id) - 1 AS k, o.id, oc.court_id
      FROM organization o LEFT JOIN LATERAL (SELECT court_id FROM organization_court WHERE organization_id = o.id
      LIMIT 1) oc ON true) AS o ON o.k = g % :orgs
"""
AGREEMENTS_SQL = """
INSERT INTO agreement (case_id, version, status, facts, copies, content_hash, created_by_id, created_at)
SELECT id, 1, 'effective', '', 3, repeat('0', 64), created_by_id, settled_at FROM mediation_case
WHERE status = 'agreement_effective' AND id % 3 = 0
"""
CONFIRMATIONS_SQL = """
INSERT INTO confirmation_application (case_id, agreement_id, court_id, status, submitted_at, decided_at,
    warnings, grounds, packet, paused_days, created_at)
SELECT a.case_id, a.id, COALESCE(c.court_id, :court), CASE WHEN a.id % 9 = 0 THEN 'rejected' ELSE 'confirmed' END,
    a.created_at + interval '3 days', a.created_at + interval '15 days', '[]', '[]', '{}', 0, a.created_at
FROM agreement a JOIN mediation_case c ON c.id = a.case_id
"""


def _measure(fn: Any, runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def _seed(db: Any, n: int) -> None:
    from sqlalchemy import func, select, text

    from odr.accounts.models import Role, User
    from odr.organizations.models import Court, Organization

    have = db.session.execute(text("SELECT count(*) FROM mediation_case")).scalar_one()
    if have >= n:
        print(f"{have} cases already present")
        facts = db.session.execute(text("SELECT count(*) FROM stats_fact WHERE kind = 'case'")).scalar_one()
        if facts != have:
            _rebuild(db)
        return
    orgs = db.session.execute(select(func.count(Organization.id))).scalar_one()
    lo, hi = db.session.execute(select(func.min(User.id), func.max(User.id)).where(User.role == Role.MEDIATOR)).one()
    creator = db.session.execute(select(User.id).where(User.role == Role.PARTY).limit(1)).scalar_one()
    court = db.session.execute(select(Court.id).limit(1)).scalar_one()
    t = time.perf_counter()
    db.session.execute(text(CASES_SQL), {"n": n, "orgs": orgs, "mediator_lo": lo, "mediators": hi - lo + 1,
                                         "creator": creator})
    db.session.execute(text(AGREEMENTS_SQL))
    db.session.execute(text(CONFIRMATIONS_SQL), {"court": court})
    db.session.commit()
    print(f"seeded {n} cases in {time.perf_counter() - t:.1f} s")
    _rebuild(db)


def _rebuild(db: Any) -> None:
    from sqlalchemy import text

    from odr.stats.rollup import rebuild

    t = time.perf_counter()
    counts = rebuild(db.session)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    print(f"rebuilt the rollup ({counts['facts']} facts, {counts['cells']} cells) in {time.perf_counter() - t:.1f} s")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--cases", type=int, default=1_200_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--live-runs", type=int, default=5, help="runs of the old live-table path (0: skip)")
    args = parser.parse_args()
    from datetime import date

    from sqlalchemy import select

    from odr import create_app
    from odr.config import TestConfig
    from odr.extensions import db

    url = args.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app(TestConfig(Path(tempfile.mkdtemp(prefix="odr-bench-")) / "instance", url))
    with app.app_context():
        db.create_all()
        from odr.demo import seed_province
        from odr.organizations.models import Organization
        from odr.stats import live
        from odr.stats.queries import Filters, Scope, dashboard, descendants, summary

        print(seed_province())
        _seed(db, args.cases)
        year = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))
        county_id = db.session.execute(select(Organization.id).where(Organization.level == "county")
                                       .order_by(Organization.id).offset(3).limit(1)).scalar_one()

        county = Scope(org_ids=descendants(county_id))
        print(f"cases in the year: {summary(Scope(), year)['received']}; county {county_id}: "
              f"{len(county.org_ids or [])} organizations")
        assert dashboard(Scope(), year) == live.dashboard(Scope(), year), "rollup and live tables disagree"
        assert dashboard(county, year) == live.dashboard(county, year), "rollup and live tables disagree"
        cases = [("platform dashboard, one year", lambda d, s: d(Scope(), year)),
                 ("platform summary (GET /api/v1/stats), one year", lambda d, s: s(Scope(), year)),
                 ("one county dashboard, one year",
                  lambda d, s: d(Scope(org_ids=descendants(county_id)), year)),
                 ("platform dashboard, 2025-03-15..2025-09-20",
                  lambda d, s: d(Scope(), Filters(start=date(2025, 3, 15), end=date(2025, 9, 20))))]
        for name, call in cases:
            for path, (d, s) in (("rollup", (dashboard, summary)), ("live tables", (live.dashboard, live.summary))):
                if path == "live tables" and args.live_runs == 0:
                    continue

                def run(call: Any = call, d: Any = d, s: Any = s) -> None:
                    call(d, s)
                    db.session.rollback()

                load = os.getloadavg()[0]
                med, p95 = _measure(run, args.runs if path == "rollup" else args.live_runs)
                print(f"postgresql {name} [{path}]: median {med:.1f} ms, p95 {p95:.1f} ms "
                      f"(load average {load:.1f} → {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
